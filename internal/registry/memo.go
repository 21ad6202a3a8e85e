package registry

import (
	"context"
	"errors"
	"sync"
)

// memo runs a function at most once per key and hands its result to every
// caller, including those that arrive while it runs. A call that failed
// because its own context ended is forgotten, so the next caller tries
// again; with forgetErrors every failure is forgotten.
type memo[T any] struct {
	mu           sync.Mutex
	calls        map[string]*memoCall[T]
	forgetErrors bool
}

type memoCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newMemo[T any](forgetErrors bool) *memo[T] {
	return &memo[T]{calls: map[string]*memoCall[T]{}, forgetErrors: forgetErrors}
}

func (m *memo[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		m.mu.Lock()
		c, ok := m.calls[key]
		if !ok {
			c = &memoCall[T]{done: make(chan struct{})}
			m.calls[key] = c
			m.mu.Unlock()
			c.val, c.err = fn(ctx)
			if c.err != nil && (m.forgetErrors || isContextErr(c.err)) {
				m.forget(key, c)
			}
			close(c.done)
			return c.val, c.err
		}
		m.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if c.err == nil || !(m.forgetErrors || isContextErr(c.err)) {
			return c.val, c.err
		}
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		if !isContextErr(c.err) {
			return c.val, c.err // forgetErrors: later callers try again
		}
		// The running call was cancelled by its own caller: try ourselves.
	}
}

func (m *memo[T]) forget(key string, c *memoCall[T]) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls[key] == c {
		delete(m.calls, key)
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// has reports whether key has a result or a call running.
func (m *memo[T]) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.calls[key]
	return ok
}

// drop forgets key's result, so the next caller runs the function again.
func (m *memo[T]) drop(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.calls, key)
}
