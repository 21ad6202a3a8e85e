package cli

import (
	"context"
	"fmt"
)

// cycleLock lets one repo-mode cycle (poll, webhook, API request) run at a
// time. Unlike sync.Mutex, waiting for it honours a context, so a cycle
// stuck on a slow registry cannot wedge the webhook queue or API requests
// for ever: they give up when their own time is up.
type cycleLock struct{ ch chan struct{} }

func newCycleLock() *cycleLock { return &cycleLock{ch: make(chan struct{}, 1)} }

// Lock waits for the lock.
func (l *cycleLock) Lock() { l.ch <- struct{}{} }

// Unlock releases the lock.
func (l *cycleLock) Unlock() { <-l.ch }

// LockContext waits for the lock until ctx ends.
func (l *cycleLock) LockContext(ctx context.Context) error {
	select {
	case l.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the running update cycle: %w", ctx.Err())
	}
}
