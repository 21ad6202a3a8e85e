package git

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testGit runs git for test set-up with the package's isolated environment.
func testGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(),
		"GIT_AUTHOR_NAME=Human", "GIT_AUTHOR_EMAIL=human@example.com",
		"GIT_COMMITTER_NAME=Human", "GIT_COMMITTER_EMAIL=human@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newBareRepo creates a bare repository with branch main holding files.
func newBareRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	bare := filepath.Join(root, "remote.git")
	testGit(t, root, "init", "--quiet", "--bare", "--initial-branch=main", bare)
	work := filepath.Join(root, "seed")
	testGit(t, root, "clone", "--quiet", bare, work)
	testGit(t, work, "checkout", "--quiet", "-b", "main")
	writeFiles(t, work, files)
	testGit(t, work, "add", "--all")
	testGit(t, work, "commit", "--quiet", "-m", "seed")
	testGit(t, work, "push", "--quiet", "origin", "main")
	return bare
}

// humanPush clones bare, changes files on branch and pushes as "Human".
func humanPush(t *testing.T, bare, branch string, files map[string]string) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "human")
	testGit(t, filepath.Dir(work), "clone", "--quiet", "--branch", branch, bare, work)
	writeFiles(t, work, files)
	testGit(t, work, "add", "--all")
	testGit(t, work, "commit", "--quiet", "-m", "human edit")
	testGit(t, work, "push", "--quiet", "origin", branch)
	return testGit(t, work, "rev-parse", "HEAD")
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newTestManager(t *testing.T, opts ...Option) *Manager {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not installed")
	}
	base := []Option{WithCacheDir(t.TempDir()), WithRetryBackoff(time.Millisecond), WithCommandTimeout(time.Minute)}
	m, err := NewManager(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openRepo(t *testing.T, m *Manager, url string, creds Credentials) *Repo {
	t.Helper()
	r, err := m.Open(context.Background(), url, creds)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// setLine returns an Apply that writes "image: tag" into name, keeping
// other lines, and reports whether it changed anything.
func setLine(name, key, value string) func(dir string) (bool, error) {
	return func(dir string) (bool, error) {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return false, err
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		found, changed := false, false
		for i, l := range lines {
			if k, v, ok := strings.Cut(l, ": "); ok && k == key {
				found = true
				if v != value {
					lines[i], changed = key+": "+value, true
				}
			}
		}
		if !found {
			lines, changed = append(lines, key+": "+value), true
		}
		if !changed {
			return false, nil
		}
		return true, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
}
