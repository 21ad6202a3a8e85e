package credentials

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// countingSource returns "user:<n>" on the n-th call, or err when set.
type countingSource struct {
	calls atomic.Int32
	err   error
}

func (s *countingSource) Resolve(context.Context) (authn.AuthConfig, error) {
	n := s.calls.Add(1)
	if s.err != nil {
		return authn.AuthConfig{}, s.err
	}
	return authn.AuthConfig{Username: "user", Password: string(rune('0' + n))}, nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCachedTTL(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		advances  []time.Duration // before each Resolve after the first
		wantCalls int32
	}{
		{"forever", 0, []time.Duration{time.Hour, 1000 * time.Hour}, 1},
		{"within ttl", time.Hour, []time.Duration{30 * time.Minute, 29 * time.Minute}, 1},
		{"expires at ttl", time.Hour, []time.Duration{time.Hour}, 2},
		{"expires again", time.Hour, []time.Duration{61 * time.Minute, 30 * time.Minute, 31 * time.Minute}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingSource{}
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			c := Cached(src, tt.ttl, clock.Now)
			ctx := context.Background()
			if _, err := c.Resolve(ctx); err != nil {
				t.Fatal(err)
			}
			var last authn.AuthConfig
			for _, d := range tt.advances {
				clock.Advance(d)
				got, err := c.Resolve(ctx)
				if err != nil {
					t.Fatal(err)
				}
				last = got
			}
			if n := src.calls.Load(); n != tt.wantCalls {
				t.Errorf("source called %d times, want %d", n, tt.wantCalls)
			}
			if want := string(rune('0' + tt.wantCalls)); last.Password != want {
				t.Errorf("last value %q, want the value of call %s", last.Password, want)
			}
		})
	}
}

func TestCachedDoesNotCacheErrors(t *testing.T) {
	src := &countingSource{err: errors.New("registry down")}
	c := Cached(src, 0, nil)
	for range 3 {
		if _, err := c.Resolve(context.Background()); err == nil {
			t.Fatal("want error")
		}
	}
	if n := src.calls.Load(); n != 3 {
		t.Errorf("source called %d times, want 3 (errors must not be cached)", n)
	}
	src.err = nil
	if got, err := c.Resolve(context.Background()); err != nil || got.Username != "user" {
		t.Fatalf("after recovery: %+v, %v", got, err)
	}
}

// blockingSource blocks every call until release is closed.
type blockingSource struct {
	calls   atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (s *blockingSource) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	if s.calls.Add(1) == 1 {
		close(s.entered)
	}
	<-s.release
	return authn.AuthConfig{Username: "u", Password: "p"}, nil
}

func TestCachedSharesOneResolution(t *testing.T) {
	src := &blockingSource{entered: make(chan struct{}), release: make(chan struct{})}
	c := Cached(src, time.Hour, nil)
	const callers = 16
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Resolve(context.Background())
			if err == nil && got.Username != "u" {
				err = errors.New("wrong value")
			}
			errs <- err
		}()
	}
	<-src.entered
	close(src.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("source called %d times, want 1", n)
	}
}

func TestCachedWaiterHonoursContext(t *testing.T) {
	src := &blockingSource{entered: make(chan struct{}), release: make(chan struct{})}
	c := Cached(src, 0, nil)
	done := make(chan struct{})
	go func() { defer close(done); _, _ = c.Resolve(context.Background()) }()
	<-src.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Resolve(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("waiter err = %v, want context.Canceled", err)
	}
	close(src.release)
	<-done
}
