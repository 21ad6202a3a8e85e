package infra

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// GitDaemon is a running `git daemon` serving a base directory over git://
// with pushes enabled.
type GitDaemon struct {
	// URL is "git://127.0.0.1:PORT"; RepoURL appends a repository path.
	URL string
	// Dir is the base path.
	Dir string
}

// RepoURL returns the git:// URL of Dir/name.
func (d *GitDaemon) RepoURL(name string) string { return d.URL + "/" + name }

// StartGitDaemon runs `git daemon` on 127.0.0.1 exporting every repository
// under dir with receive-pack enabled, until the test ends.
func StartGitDaemon(t testing.TB, dir string) *GitDaemon {
	t.Helper()
	GitRequire(t)
	port := GitFreePort(t)
	cmd := exec.Command("git", "daemon", "--listen=127.0.0.1", "--port="+strconv.Itoa(port),
		"--base-path="+dir, "--export-all", "--enable=receive-pack", "--reuseaddr", "--informative-errors", dir)
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start git daemon: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := GitWaitForTCP(addr, 10*time.Second); err != nil {
		t.Fatalf("git daemon: %v", err)
	}
	return &GitDaemon{URL: "git://" + addr, Dir: dir}
}

// GitFreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func GitFreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// GitWaitForTCP polls addr until it accepts a connection or timeout passes.
func GitWaitForTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not accepting connections after %s: %w", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
