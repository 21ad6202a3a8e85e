package yamledit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSafeJoinRefusesGitDir(t *testing.T) {
	root, _ := repoWithLinks(t)
	for _, d := range []string{".git/hooks", "sub", "meta"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".git/HEAD", "ref: refs/heads/main\n")
	write("sub/.git", "gitdir: ../.git/modules/sub\n")
	links := map[string]string{
		"hooks-link":      ".git/hooks",
		"head-link.yaml":  ".git/HEAD",
		"apps/deep-link":  "../.git",
		"apps/ok-link":    "web",
		"apps/web/v.yaml": "values.yaml",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		rel    string
		gitDir bool
	}{
		{"/.git/HEAD", true},
		{".git/hooks/pre-commit", true},
		{"/.GIT/x", true},
		{"/.Git/config", true},
		{"apps/../.git/HEAD", true},
		{"/.git", true},
		{"/.git./HEAD", true},
		{"/git~1/HEAD", true},
		{"/sub/.git", true},
		{"/sub/.git/config", true},
		{"/hooks-link/pre-commit", true},
		{"/head-link.yaml", true},
		{"/apps/deep-link/HEAD", true},
		{"/apps/ok-link/values.yaml", false},
		{"/apps/web/v.yaml", false},
		{"/.github/workflows/ci.yaml", false},
		{"/apps/.gitignore", false},
		{"/apps/web/values.yaml", false},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			_, err := SafeJoin(root, tt.rel)
			if got := errors.Is(err, ErrGitDir); got != tt.gitDir {
				t.Fatalf("SafeJoin(%q) err = %v, want git-dir refusal %v", tt.rel, err, tt.gitDir)
			}
			if tt.gitDir && !errors.Is(err, ErrUnsafePath) {
				t.Errorf("error %v does not wrap ErrUnsafePath", err)
			}
			if !tt.gitDir && err != nil {
				t.Errorf("unexpected error %v", err)
			}
		})
	}
}

func TestSafeJoinRefusesLinkedGitDir(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "meta", "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".git"), []byte("gitdir: meta\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("meta/hooks", filepath.Join(root, "h")); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"/meta/HEAD", "/meta/hooks/pre-commit", "/h/post-checkout"} {
		if _, err := SafeJoin(root, rel); !errors.Is(err, ErrGitDir) {
			t.Errorf("SafeJoin(%q) err = %v, want ErrGitDir", rel, err)
		}
	}
	if _, err := SafeJoin(root, "/metadata.yaml"); err != nil {
		t.Errorf("SafeJoin(/metadata.yaml) = %v", err)
	}
}
