package git

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// lease is a working-copy lock held for a whole cycle: Opens of that
// working copy through the same Manager with the lease's context reuse it
// instead of locking again.
type lease struct {
	m      *Manager
	dir    string
	inUse  chan struct{} // one Repo at a time under the lease
	parent *lease
}

type leaseKey struct{}

// leaseFor returns the lease ctx carries for (m, dir), if any.
func leaseFor(ctx context.Context, m *Manager, dir string) *lease {
	l, _ := ctx.Value(leaseKey{}).(*lease)
	for ; l != nil; l = l.parent {
		if l.m == m && l.dir == dir {
			return l
		}
	}
	return nil
}

// Lease locks the working copy of rawURL for a whole cycle, against other
// goroutines and other processes sharing the cache directory, waiting at
// most the lock timeout (then the error wraps ErrBusy). Every Open of the
// same repository through this Manager with the returned context (or a
// context derived from it) reuses the lease instead of locking again, so a
// cycle that opens the repository several times (read, then write back)
// holds the lock from its first Open to release. Repos opened under one
// lease still exclude each other: close one before opening the next.
// release is idempotent and must be called when the cycle ends.
func (m *Manager) Lease(ctx context.Context, rawURL string) (context.Context, func(), error) {
	remote, _, err := normaliseURL(rawURL)
	if err != nil {
		return ctx, func() {}, err
	}
	dir := m.workDir(remote)
	if leaseFor(ctx, m, dir) != nil {
		return ctx, func() {}, nil // already held by an outer lease
	}
	release, err := m.lock(ctx, dir)
	if err != nil {
		return ctx, func() {}, err
	}
	parent, _ := ctx.Value(leaseKey{}).(*lease)
	l := &lease{m: m, dir: dir, inUse: make(chan struct{}, 1), parent: parent}
	return context.WithValue(ctx, leaseKey{}, l), release, nil
}

// use takes the lease's single Repo slot, waiting at most the lock
// timeout.
func (l *lease) use(ctx context.Context) (func(), error) {
	start := time.Now()
	t := time.NewTimer(l.m.opts.lockTimeout)
	defer t.Stop()
	select {
	case l.inUse <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-l.inUse }) }, nil
	case <-t.C:
		return nil, errBusyInProcess(l.dir, time.Since(start))
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for working copy %s: %w", l.dir, ctx.Err())
	}
}
