package credentials

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Cached wraps src so a resolved value is reused for ttl (0 = forever),
// measured with now (time.Now when nil). When src is [Expiring] the value
// is also dropped before it expires: RefreshMargin ahead of the expiry
// (for short-lived credentials a quarter of their lifetime), so a token is
// replaced before a registry refuses it. Concurrent callers share one
// resolution; a failed resolution is not cached, the next call tries again.
func Cached(src Source, ttl time.Duration, now func() time.Time) Source {
	if now == nil {
		now = time.Now
	}
	return &cached{src: src, ttl: ttl, now: now}
}

type cached struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu         sync.Mutex
	value      authn.AuthConfig
	resolvedAt time.Time
	expiresAt  time.Time // zero: no expiry known
	valid      bool
	inflight   *resolution
}

// resolution is one call of the wrapped source that others wait for.
type resolution struct {
	done   chan struct{}
	value  authn.AuthConfig
	expiry time.Time
	err    error
}

// String describes the wrapped source.
func (c *cached) String() string {
	if s, ok := c.src.(interface{ String() string }); ok {
		return s.String()
	}
	return "cached credentials"
}

// Resolve returns the cached value while it is fresh, otherwise resolves
// (or waits for a resolution already under way).
func (c *cached) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	c.mu.Lock()
	if c.fresh() {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	if r := c.inflight; r != nil {
		c.mu.Unlock()
		return r.wait(ctx)
	}
	r := &resolution{done: make(chan struct{})}
	c.inflight = r
	c.mu.Unlock()

	// Should Resolve panic, waiters get this error and nothing is cached.
	r.err = errors.New("credential resolution did not complete")
	defer c.finish(r)
	if e, ok := c.src.(Expiring); ok {
		r.value, r.expiry, r.err = e.ResolveExpiring(ctx)
	} else {
		r.value, r.err = c.src.Resolve(ctx)
	}
	return r.value, r.err
}

// RefreshMargin is how long before their expiry [Cached] replaces
// expiring credentials whose lifetime is at least four times as long.
const RefreshMargin = 5 * time.Minute

// refreshAt is when credentials resolved at resolvedAt and expiring at
// expiresAt are to be replaced.
func refreshAt(resolvedAt, expiresAt time.Time) time.Time {
	margin := min(RefreshMargin, expiresAt.Sub(resolvedAt)/4)
	return expiresAt.Add(-margin)
}

func (c *cached) fresh() bool {
	if !c.valid {
		return false
	}
	now := c.now()
	if c.ttl > 0 && now.Sub(c.resolvedAt) >= c.ttl {
		return false
	}
	return c.expiresAt.IsZero() || now.Before(refreshAt(c.resolvedAt, c.expiresAt))
}

func (c *cached) finish(r *resolution) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.err == nil {
		c.value, c.resolvedAt, c.expiresAt, c.valid = r.value, c.now(), r.expiry, true
	}
	c.inflight = nil
	close(r.done)
}

func (r *resolution) wait(ctx context.Context) (authn.AuthConfig, error) {
	select {
	case <-r.done:
		return r.value, r.err
	case <-ctx.Done():
		return authn.AuthConfig{}, ctx.Err()
	}
}
