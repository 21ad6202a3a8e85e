package git

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// managersOnOneCache returns two Managers sharing a cache directory, as two
// processes of one user do; flock treats their lock files as independent.
func managersOnOneCache(t *testing.T, timeout time.Duration) (*Manager, *Manager) {
	t.Helper()
	cache := t.TempDir()
	a := newTestManager(t, WithCacheDir(cache), WithLockTimeout(timeout))
	b := newTestManager(t, WithCacheDir(cache), WithLockTimeout(timeout))
	return a, b
}

func TestWorkingCopyLockBetweenManagers(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	a, b := managersOnOneCache(t, 200*time.Millisecond)
	ra := openRepo(t, a, bare, Credentials{})
	start := time.Now()
	_, err := b.Open(context.Background(), bare, Credentials{})
	var busy *BusyError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &busy) || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("Open while another Manager holds the copy = %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("waited %s, want about the lock timeout", waited)
	}
	if busy.PID != os.Getpid() {
		t.Fatalf("busy pid = %d, want %d", busy.PID, os.Getpid())
	}
	ra.Close()
	rb := openRepo(t, b, bare, Credentials{})
	if err := rb.Checkout(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
}

func TestWorkingCopyLockWaitsForRelease(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	a, b := managersOnOneCache(t, 10*time.Second)
	ra, err := a.Open(context.Background(), bare, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	time.AfterFunc(300*time.Millisecond, func() { ra.Close(); close(closed) })
	start := time.Now()
	rb := openRepo(t, b, bare, Credentials{})
	if time.Since(start) < 250*time.Millisecond {
		t.Fatal("second Open did not wait for the first to close")
	}
	rb.Close()
	<-closed
}

func TestLockWaitHonoursContext(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	a, b := managersOnOneCache(t, time.Minute)
	openRepo(t, a, bare, Credentials{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Open(ctx, bare, Credentials{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open = %v, want the context's deadline", err)
	}
}

func TestLeaseHoldsTheLockAcrossOpens(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	a, b := managersOnOneCache(t, 100*time.Millisecond)
	ctx, release, err := a.Lease(context.Background(), bare)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		r, err := a.Open(ctx, bare, Credentials{})
		if err != nil {
			t.Fatalf("Open %d under the lease: %v", i, err)
		}
		r.Close()
		// Between the cycle's Opens, nobody else gets the working copy.
		if _, err := b.Open(context.Background(), bare, Credentials{}); !errors.Is(err, ErrBusy) {
			t.Fatalf("other Manager during the lease = %v, want ErrBusy", err)
		}
	}
	r, err := a.Open(ctx, bare, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(ctx, bare, Credentials{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Repo under one lease = %v, want ErrBusy", err)
	}
	r.Close()
	release()
	release() // idempotent
	openRepo(t, b, bare, Credentials{})
}

func TestCancelledOpenKeepsWorkingCopy(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	cache := t.TempDir()
	m := newTestManager(t, WithCacheDir(cache))
	openRepo(t, m, bare, Credentials{}).Close()
	dir, _ := m.WorkDir(bare)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Open(ctx, bare, Credentials{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", cloneMarker)); err != nil {
		t.Fatalf("working copy gone after a cancelled Open: %v", err)
	}
	next := newTestManager(t, WithCacheDir(cache))
	openRepo(t, next, bare, Credentials{})
	if st := next.Stats(); st.Clones != 0 {
		t.Fatalf("next Open cloned again: %+v", st)
	}
}

func TestGitFailureThatIsNotCorruptionKeepsWorkingCopy(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	cache := t.TempDir()
	openRepo(t, newTestManager(t, WithCacheDir(cache)), bare, Credentials{}).Close()
	fake := filepath.Join(t.TempDir(), "git")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nkill -9 $$\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, WithCacheDir(cache), WithGitBinary(fake))
	if _, err := m.Open(context.Background(), bare, Credentials{}); err == nil {
		t.Fatal("Open with a git killed by a signal succeeded")
	}
	dir, _ := m.WorkDir(bare)
	if _, err := os.Stat(filepath.Join(dir, ".git", cloneMarker)); err != nil {
		t.Fatalf("working copy removed after git was killed: %v", err)
	}
}

func TestInterruptedCloneIsReplaced(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	dir, _ := m.WorkDir(bare)
	// A clone killed before it finished: a leftover temporary directory,
	// and a directory without the completion marker.
	writeFiles(t, dir+".clone-123", map[string]string{"wc/.git/HEAD": "ref: refs/heads/main\n"})
	testGit(t, filepath.Dir(dir), "clone", "--quiet", "--no-checkout", bare, dir)
	r := openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.Clones != 1 {
		t.Fatalf("stats = %+v, want the unmarked copy cloned again", st)
	}
	if _, err := os.Stat(dir + ".clone-123"); !os.IsNotExist(err) {
		t.Fatalf("partial clone left behind: %v", err)
	}
}

func TestStaleGitLocksAreRemoved(t *testing.T) {
	bare := newBareRepo(t, map[string]string{"a.txt": "one\n"})
	m := newTestManager(t)
	r := openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	// What a git fetch or checkout killed with -9 leaves behind.
	writeFiles(t, r.Dir(), map[string]string{".git/index.lock": "", ".git/shallow.lock": "",
		".git/refs/remotes/origin/main.lock": "", ".git/HEAD.lock": ""})
	humanPush(t, bare, "main", map[string]string{"a.txt": "two\n"})
	r = openRepo(t, m, bare, Credentials{})
	if err := r.Checkout(context.Background(), "main"); err != nil {
		t.Fatalf("Checkout after stale locks: %v", err)
	}
}
