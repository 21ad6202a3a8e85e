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

func TestLinkedGitDir(t *testing.T) {
	other := t.TempDir()
	tests := []struct {
		name, content string
		dir           bool   // .git is a directory
		want          string // relative to root, or absolute when it starts with "/"
	}{
		{name: "relative", content: "gitdir: meta\n", want: "meta"},
		{name: "relative with parent", content: "gitdir: ../x/.git/worktrees/w\n", want: "../x/.git/worktrees/w"},
		{name: "absolute", content: "gitdir: " + other + "\n", want: other},
		{name: "no final newline", content: "gitdir: meta", want: "meta"},
		{name: "crlf and spaces", content: "gitdir:   meta  \r\n", want: "meta"},
		{name: "only the first line counts", content: "# x\ngitdir: meta\n", want: ""},
		{name: "not a gitdir line", content: "ref: refs/heads/main\n", want: ""},
		{name: "empty file", content: "", want: ""},
		{name: "a git directory", dir: true, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			real, err := filepath.EvalSymlinks(root)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(root, ".git")
			if tt.dir {
				err = os.Mkdir(p, 0o755)
			} else {
				err = os.WriteFile(p, []byte(tt.content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want != "" && !filepath.IsAbs(want) {
				want = filepath.Join(real, want)
			}
			if got := linkedGitDir(real); got != want {
				t.Errorf("linkedGitDir = %q, want %q", got, want)
			}
		})
	}
	if got := linkedGitDir(t.TempDir()); got != "" {
		t.Errorf("no .git: %q", got)
	}
}

func TestSafeJoinLinkShapes(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"loop1":     "loop2",
		"loop2":     "loop1",
		"self":      ".",
		"up":        "..",
		"chain1":    "chain2",
		"chain2":    "a/b",
		"a/b/back":  "../../a",
		"a/abs-in":  filepath.Join(root, "a", "b"),
		"a/abs-out": filepath.Dir(root),
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		rel string
		ok  bool
	}{
		{"loop1/x.yaml", false},
		{"self/a/values.yaml", true},
		{"self/self/a", true},
		{"up/x.yaml", false},
		{"chain1/values.yaml", true},
		{"a/b/back/b/values.yaml", true},
		{"a/abs-in/values.yaml", true},
		{"a/abs-out/x.yaml", false},
		{"a/b/../../up", false},
	}
	for _, tt := range tests {
		_, err := SafeJoin(root, tt.rel)
		if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrUnsafePath)) {
			t.Errorf("SafeJoin(%q) err = %v, want ok=%v", tt.rel, err, tt.ok)
		}
	}
}
