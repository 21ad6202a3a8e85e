package repomode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
