package git

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Manager owns the working copies under a cache directory and serialises
// access to each of them. It is safe for concurrent use.
type Manager struct {
	opts  options
	mu    sync.Mutex
	locks map[string]chan struct{}
	stats counters
}

// Stats are cumulative counters of a Manager's git activity.
type Stats struct {
	Commands       int64 // git processes started
	Clones         int64 // working copies created
	Fetches        int64 // fetches of existing working copies
	Commits        int64 // commits created
	Pushes         int64 // push attempts
	PushRejections int64 // pushes rejected because the branch moved
}

type counters struct {
	commands, clones, fetches, commits, pushes, rejections atomic.Int64
}

// NewManager returns a Manager configured by opts.
func NewManager(opts ...Option) (*Manager, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("git manager option: %w", err)
		}
	}
	if err := os.MkdirAll(o.cacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("create git cache directory: %w", err)
	}
	m := &Manager{opts: o, locks: map[string]chan struct{}{}}
	m.sweepSessions()
	return m, nil
}

// Stats returns a snapshot of the counters.
func (m *Manager) Stats() Stats {
	c := &m.stats
	return Stats{
		Commands: c.commands.Load(), Clones: c.clones.Load(), Fetches: c.fetches.Load(),
		Commits: c.commits.Load(), Pushes: c.pushes.Load(), PushRejections: c.rejections.Load(),
	}
}

func (m *Manager) runner() *runner {
	return &runner{
		binary: m.opts.binary, timeout: m.opts.timeout, logger: m.opts.logger,
		hook: m.opts.hook, count: func() { m.stats.commands.Add(1) },
	}
}

// WorkDir returns the working-copy directory the Manager uses for rawURL.
func (m *Manager) WorkDir(rawURL string) (string, error) {
	remote, _, err := normaliseURL(rawURL)
	if err != nil {
		return "", err
	}
	return m.workDir(remote), nil
}

func (m *Manager) workDir(remote string) string {
	sum := sha256.Sum256([]byte(remote))
	return filepath.Join(m.opts.cacheDir, hex.EncodeToString(sum[:12]))
}

// Open returns the working copy of the repository at rawURL, cloning it the
// first time. It waits until no other goroutine or process holds the
// working copy, at most the lock timeout (then the error wraps ErrBusy) and
// never past ctx; the caller must Close the Repo to release it. Under a
// Lease of the same working copy (ctx from Manager.Lease) it reuses the
// lease's lock. User information in rawURL is moved into the credentials
// (when creds has none) and never stored in the working copy's
// configuration.
func (m *Manager) Open(ctx context.Context, rawURL string, creds Credentials) (*Repo, error) {
	remote, userinfo, err := normaliseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if userinfo != nil && creds.Username == "" && creds.Password == "" {
		creds.Username = userinfo.Username()
		creds.Password, _ = userinfo.Password()
	}
	dir := m.workDir(remote)
	var release func()
	if l := leaseFor(ctx, m, dir); l != nil {
		release, err = l.use(ctx)
	} else {
		release, err = m.lock(ctx, dir)
	}
	if err != nil {
		return nil, err
	}
	r := &Repo{m: m, run: m.runner(), url: remote, dir: dir, creds: creds, release: release}
	if err := r.ensureClone(ctx); err != nil {
		release()
		return nil, err
	}
	return r, nil
}

// lock takes the working copy's lock: first against the other goroutines of
// this Manager, then (flock on "<dir>.lock") against every other process and
// Manager sharing the cache directory. The whole wait is bounded by the lock
// timeout and ctx.
func (m *Manager) lock(ctx context.Context, dir string) (func(), error) {
	m.mu.Lock()
	ch, ok := m.locks[dir]
	if !ok {
		ch = make(chan struct{}, 1)
		m.locks[dir] = ch
	}
	m.mu.Unlock()
	start := time.Now()
	t := time.NewTimer(m.opts.lockTimeout)
	defer t.Stop()
	select {
	case ch <- struct{}{}:
	case <-t.C:
		return nil, errBusyInProcess(dir, time.Since(start))
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for working copy lock %s: %w", dir, ctx.Err())
	}
	fl, err := lockFile(ctx, dir, m.opts.lockTimeout-time.Since(start))
	if err != nil {
		<-ch
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			fl.release()
			<-ch
		})
	}, nil
}
