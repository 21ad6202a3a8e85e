package yamledit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoWithLinks makes a checkout with symlinks inside and outside it.
func repoWithLinks(t testing.TB) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "repo"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "apps", "web"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{filepath.Join(root, "apps", "web", "values.yaml"): "a: 1\n", filepath.Join(outside, "secret.yaml"): "x: 1\n"}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"out-dir":             outside,
		"out-file.yaml":       filepath.Join(outside, "secret.yaml"),
		"in-dir":              filepath.Join(root, "apps"),
		"apps/web/rel-up":     "../../../outside",
		"apps/web/dangling":   filepath.Join(outside, "missing"),
		"apps/web/local.yaml": "values.yaml",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

func TestSafeJoin(t *testing.T) {
	root, _ := repoWithLinks(t)
	tests := []struct {
		rel, want string
		ok        bool
	}{
		{"apps/web/values.yaml", "apps/web/values.yaml", true},
		{"/apps/web/values.yaml", "apps/web/values.yaml", true},
		{"apps/web/new.yaml", "apps/web/new.yaml", true},
		{"apps/new/dir/file.yaml", "apps/new/dir/file.yaml", true},
		{"apps/web/../web/values.yaml", "apps/web/values.yaml", true},
		{"in-dir/web/values.yaml", "in-dir/web/values.yaml", true},
		{"apps/web/local.yaml", "apps/web/local.yaml", true},
		{"", "", true},
		{"../outside/secret.yaml", "", false},
		{"apps/../../outside", "", false},
		{"/../outside", "", false},
		{"out-dir/secret.yaml", "", false},
		{"out-file.yaml", "", false},
		{"out-dir/new.yaml", "", false},
		{"apps/web/rel-up/secret.yaml", "", false},
		{"apps/web/dangling", "", false},
		{"a\x00b", "", false},
	}
	for _, tt := range tests {
		got, err := SafeJoin(root, tt.rel)
		if !tt.ok {
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("SafeJoin(%q) = %q, %v; want ErrUnsafePath", tt.rel, got, err)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tt.want) {
			t.Errorf("SafeJoin(%q) = %q, %v; want %q", tt.rel, got, err, filepath.Join(root, tt.want))
		}
	}
	if _, err := SafeJoin("relative/root", "a"); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("relative root: err = %v", err)
	}
}

func TestSafeJoinSource(t *testing.T) {
	root, _ := repoWithLinks(t)
	tests := []struct {
		source, target, want string
		ok                   bool
	}{
		{"apps/web", "values.yaml", "apps/web/values.yaml", true},
		{"apps/web", "/apps/other.yaml", "apps/other.yaml", true},
		{"apps/web", "../shared.yaml", "apps/shared.yaml", true},
		{"/apps/web", "values.yaml", "apps/web/values.yaml", true},
		{".", ".argocd-source-web.yaml", ".argocd-source-web.yaml", true},
		{"apps/web", "../../../x.yaml", "", false},
		{"../x", "values.yaml", "", false},
		{"out-dir", "values.yaml", "", false},
		{"apps/web", "/../x", "", false},
	}
	for _, tt := range tests {
		got, err := SafeJoinSource(root, tt.source, tt.target)
		if !tt.ok {
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("SafeJoinSource(%q, %q) = %q, %v; want ErrUnsafePath", tt.source, tt.target, got, err)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tt.want) {
			t.Errorf("SafeJoinSource(%q, %q) = %q, %v; want %q", tt.source, tt.target, got, err, tt.want)
		}
	}
}

func TestSafeRead(t *testing.T) {
	root, _ := repoWithLinks(t)
	data, err := SafeRead(root, "/apps/web/values.yaml")
	if err != nil || string(data) != "a: 1\n" {
		t.Fatalf("SafeRead = %q, %v", data, err)
	}
	if _, err := SafeRead(root, "apps/web/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	if _, err := SafeRead(root, "out-file.yaml"); !errors.Is(err, ErrUnsafePath) {
		t.Errorf("escape: err = %v", err)
	}
	big := filepath.Join(root, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("a", MaxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := SafeRead(root, "big.yaml"); err == nil {
		t.Error("big file: no error")
	}
}
