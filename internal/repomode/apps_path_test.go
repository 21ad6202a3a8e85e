package repomode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func TestLoadAppsPath(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "file.yaml"), []byte("a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir     string
		missing bool
	}{
		{dir: ""},
		{dir: "apps"},
		{dir: "nosuchdir", missing: true},
		{dir: "file.yaml", missing: true},
		{dir: "apps/deeper", missing: true},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			_, errs := Load(root, tt.dir)
			var got *AppsPathError
			found := false
			for _, err := range errs {
				if errors.As(err, &got) {
					found = true
					if !errors.Is(err, ErrAppsPath) || got.Path != tt.dir || strings.Contains(err.Error(), root) {
						t.Errorf("error %v", err)
					}
				}
			}
			if found != tt.missing {
				t.Errorf("AppsPathError %v, want %v (errors %v)", found, tt.missing, errs)
			}
		})
	}
}

func TestCountHeld(t *testing.T) {
	app := target.AppRef{Namespace: "argocd", Name: "a"}
	img, err := imagespec.Parse("nginx")
	if err != nil {
		t.Fatal(err)
	}
	other, err := imagespec.Parse("redis")
	if err != nil {
		t.Fatal(err)
	}
	held := fakePins{app.String() + " " + img.Key(): "pinned by alice"}
	items := []updater.Item{{Target: target.Target{App: app, Image: img}}, {Target: target.Target{App: app, Image: other}}}
	tests := []struct {
		items []updater.Item
		want  int
	}{
		{nil, 0},
		{items, 1},
		{items[1:], 0},
	}
	for _, tt := range tests {
		if got := countHeld(tt.items, held); got != tt.want {
			t.Errorf("countHeld = %d, want %d", got, tt.want)
		}
	}
}

// fakePins holds the "app image-key" pairs it names.
type fakePins map[string]string

func (f fakePins) Pin(app target.AppRef, img imagespec.Spec) (string, bool) {
	r, ok := f[app.String()+" "+img.Key()]
	return r, ok
}
