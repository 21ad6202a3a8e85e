package infra

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GitRun runs git in dir with an isolated configuration (no system or user
// config, fixed identity "Test <test@example.com>") and returns its trimmed
// combined output, failing the test on error.
func GitRun(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// GitRequire skips the test when the git binary is absent.
func GitRequire(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not installed")
	}
}

// GitBareRepoFromFiles creates the bare repository bareDir (receive-pack
// enabled for HTTP) whose branch holds files, committed as "Test".
func GitBareRepoFromFiles(t testing.TB, bareDir, branch string, files map[string]string) {
	t.Helper()
	seed := t.TempDir()
	for name, content := range files {
		path := filepath.Join(seed, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	GitBareRepoFromDir(t, bareDir, branch, seed)
}

// GitBareRepoFromDir creates the bare repository bareDir with one commit on
// branch holding the files of seedDir; HEAD points at branch and
// http.receivepack is enabled (git-http-backend sees no REMOTE_USER).
func GitBareRepoFromDir(t testing.TB, bareDir, branch, seedDir string) {
	t.Helper()
	GitRequire(t)
	if err := os.MkdirAll(filepath.Dir(bareDir), 0o755); err != nil {
		t.Fatal(err)
	}
	GitRun(t, filepath.Dir(bareDir), "init", "--quiet", "--bare", "--initial-branch="+branch, bareDir)
	GitRun(t, bareDir, "config", "http.receivepack", "true")
	work := t.TempDir()
	GitRun(t, work, "init", "--quiet", "--initial-branch="+branch)
	GitRun(t, work, "--work-tree="+seedDir, "add", "--all")
	GitRun(t, work, "commit", "--quiet", "-m", "seed")
	GitRun(t, work, "push", "--quiet", bareDir, branch)
}

// GitPushFiles clones remote (any URL git can reach without credentials, or
// a bare path), writes files on branch, commits as "Test" with message and
// pushes. It returns the new commit.
func GitPushFiles(t testing.TB, remote, branch, message string, files map[string]string) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "clone")
	GitRun(t, filepath.Dir(work), "clone", "--quiet", "--branch", branch, remote, work)
	for name, content := range files {
		path := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	GitRun(t, work, "add", "--all")
	GitRun(t, work, "commit", "--quiet", "-m", message)
	GitRun(t, work, "push", "--quiet", "origin", branch)
	return GitRun(t, work, "rev-parse", "HEAD")
}
