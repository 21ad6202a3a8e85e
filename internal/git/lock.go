package git

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// lockPoll is how often a waiter retries a working-copy lock held by
// another process.
const lockPoll = 50 * time.Millisecond

// BusyError means the working copy stayed locked for the whole lock
// timeout. It wraps ErrBusy.
type BusyError struct {
	// Dir is the working-copy directory.
	Dir string
	// PID is the process that holds the lock (0 when unknown, or when it
	// is another cycle of this process).
	PID int
	// Waited is how long the caller waited.
	Waited time.Duration
}

// Error implements error.
func (e *BusyError) Error() string {
	holder := "another cycle of this process"
	switch {
	case e.PID > 0 && e.PID != os.Getpid():
		holder = "another imagepilot process pid " + strconv.Itoa(e.PID)
	case e.PID == 0:
		holder = "another imagepilot process"
	}
	return fmt.Sprintf("working copy %s busy (locked by %s; waited %s, see --git-lock-timeout)",
		e.Dir, holder, e.Waited.Round(time.Millisecond))
}

// Unwrap returns ErrBusy.
func (e *BusyError) Unwrap() error { return ErrBusy }

// fileLock is an exclusive flock(2) on "<working copy>.lock", held by an
// open file description: the kernel drops it when the process dies, so a
// kill -9 never leaves a stale lock.
type fileLock struct{ f *os.File }

// lockFile takes the lock of the working copy dir, waiting up to timeout
// (and no longer than ctx). The lock file records the holder's pid.
func lockFile(ctx context.Context, dir string, timeout time.Duration) (*fileLock, error) {
	path := dir + ".lock"
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		l, busy, err := tryLockFile(path)
		if err != nil {
			return nil, err
		}
		if !busy {
			return l, nil
		}
		if !time.Now().Before(deadline) {
			return nil, &BusyError{Dir: dir, PID: readPID(path), Waited: time.Since(start)}
		}
		t := time.NewTimer(min(lockPoll, time.Until(deadline)))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for working copy lock %s: %w", dir, ctx.Err())
		}
	}
}

// tryLockFile makes one attempt; busy means another holder has it.
func tryLockFile(path string) (*fileLock, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open working copy lock: %w", err)
	}
	busy, err := tryFlock(f)
	if err != nil || busy {
		_ = f.Close()
		if err != nil {
			return nil, false, fmt.Errorf("lock working copy: %w", err)
		}
		return nil, true, nil
	}
	// The pid is informational (for the busy message); the flock is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &fileLock{f: f}, false, nil
}

// readPID returns the pid recorded in a lock file, or 0.
func readPID(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// release drops the lock. It is idempotent.
func (l *fileLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Close()
	l.f = nil
}

// errBusyInProcess is returned when another goroutine of this process keeps
// the working copy for the whole timeout.
func errBusyInProcess(dir string, waited time.Duration) error {
	return &BusyError{Dir: dir, PID: os.Getpid(), Waited: waited}
}
