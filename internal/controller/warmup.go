package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// WarmUp lists, once, the tags of every repository the ImageUpdaters (and,
// when legacy is set, the annotations) manage into the interval's registry
// cycle, so the first reconciles start from a full cache. It writes
// nothing. It returns the repositories listed; the error joins the
// selections and listings that failed (the reconciles report those again).
func (e *Engine) WarmUp(ctx context.Context, legacy *Legacy) (int, error) {
	e.init()
	all, err := e.scopes(ctx, legacy)
	errs := []error{err}
	view := e.cycles.view(e.Resolver)
	seen := map[string]bool{}
	for _, s := range all {
		for _, t := range s.sel.targets {
			key := repoKey(t.Image) + "\x00" + t.PullSecret
			if seen[key] {
				continue
			}
			seen[key] = true
			if _, err := view.Tags(ctx, t.Image, t.PullSecret); err != nil {
				errs = append(errs, fmt.Errorf("warm-up %s: %w", repoKey(t.Image), err))
			}
		}
	}
	return len(seen), errors.Join(errs...)
}

// warmer is the manager runnable of --warmup-cache: it warms the cache on
// the leader, and until it is done the reconciler waits and /readyz fails.
type warmer struct {
	engine *Engine
	legacy *Legacy
	// done is closed when the warm-up ended (or was not wanted).
	done   chan struct{}
	once   sync.Once
	leader atomic.Bool
}

func newWarmer(e *Engine, legacy *Legacy, enabled bool) *warmer {
	w := &warmer{engine: e, legacy: legacy, done: make(chan struct{})}
	if !enabled {
		w.finish()
	}
	return w
}

func (w *warmer) finish() { w.once.Do(func() { close(w.done) }) }

// NeedLeaderElection: only the leader reconciles, so only it warms up.
func (w *warmer) NeedLeaderElection() bool { return true }

// Start warms the cache once and returns.
func (w *warmer) Start(ctx context.Context) error {
	w.leader.Store(true)
	defer w.finish()
	n, err := w.engine.WarmUp(ctx, w.legacy)
	if err != nil {
		w.engine.Logger.WarnContext(ctx, "cache warm-up incomplete", "repositories", n, "error", err)
		return nil
	}
	w.engine.Logger.InfoContext(ctx, "cache warm-up finished", "repositories", n)
	return nil
}

// wait blocks until the warm-up ended or ctx ends.
func (w *warmer) wait(ctx context.Context) error {
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ready is the /readyz check: the leader is ready once warmed up;
// others always are.
func (w *warmer) ready(*http.Request) error {
	select {
	case <-w.done:
		return nil
	default:
	}
	if w.leader.Load() {
		return errors.New("cache warm-up in progress")
	}
	return nil
}
