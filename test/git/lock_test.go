package gitint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestWorkingCopyLockedBetweenProcesses: while another process holds the
// working copy, Open waits for the lock timeout and then names that
// process; once it lets go, Open succeeds.
func TestWorkingCopyLockedBetweenProcesses(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	cache := t.TempDir()
	holder := startHelper(t, "hold", helperURLEnv+"="+srv.RepoURL("app.git"), helperCacheEnv+"="+cache)
	if l := holder.waitLine(t, time.Minute); l != "locked" {
		t.Fatalf("helper said %q", l)
	}
	m, _ := newManager(t, git.WithCacheDir(cache), git.WithLockTimeout(300*time.Millisecond))
	_, err := m.Open(context.Background(), srv.RepoURL("app.git"), git.Credentials{})
	want := fmt.Sprintf("locked by another imagepilot process pid %d", holder.cmd.Process.Pid)
	if !errors.Is(err, git.ErrBusy) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open next to another process = %v, want ErrBusy saying %q", err, want)
	}
	_ = holder.stdin.Close()
	m2, _ := newManager(t, git.WithCacheDir(cache), git.WithLockTimeout(time.Minute))
	if _, err := cycle(t, m2, srv.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", "tag", "v2")); err != nil {
		t.Fatalf("cycle after the other process let go: %v", err)
	}
}
