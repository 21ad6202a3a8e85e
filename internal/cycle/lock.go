package cycle

import (
	"context"
	"fmt"
	"sync"
)

// Lock lets one pass (poll, webhook, trigger API request, hold change) run
// at a time. Unlike sync.Mutex, waiting for it honours a context, so a
// pass stuck on a slow registry cannot wedge the webhook queue or API
// requests for ever: they give up when their own time is up. The zero
// value is unlocked.
type Lock struct {
	once sync.Once
	ch   chan struct{}
}

func (l *Lock) init() { l.once.Do(func() { l.ch = make(chan struct{}, 1) }) }

// Lock waits for the lock.
func (l *Lock) Lock() { l.init(); l.ch <- struct{}{} }

// Unlock releases the lock.
func (l *Lock) Unlock() { l.init(); <-l.ch }

// LockContext waits for the lock until ctx ends.
func (l *Lock) LockContext(ctx context.Context) error {
	l.init()
	select {
	case l.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the running update cycle: %w", ctx.Err())
	}
}
