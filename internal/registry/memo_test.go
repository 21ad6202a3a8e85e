package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoSharesOneCallAmongConcurrentCallers(t *testing.T) {
	m := newMemo[int](false)
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	results := make(chan int, 50)
	for range 50 {
		wg.Go(func() {
			v, err := m.do(context.Background(), "k", fn)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	time.Sleep(20 * time.Millisecond) // let the callers pile up on the running call
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != 42 {
			t.Fatalf("a caller got %d", v)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls for 50 concurrent callers, want 1", n)
	}
	if v, _ := m.do(context.Background(), "k", fn); v != 42 || calls.Load() != 1 {
		t.Fatalf("a later caller ran the function again (%d calls)", calls.Load())
	}
	if _, _ = m.do(context.Background(), "other", func(context.Context) (int, error) { calls.Add(1); return 0, nil }); calls.Load() != 2 {
		t.Fatal("another key shared the first key's result")
	}
}

func TestMemoErrors(t *testing.T) {
	boom := errors.New("registry said no")
	tests := []struct {
		name         string
		forgetErrors bool
		err          error
		wantCalls    int32 // after two sequential calls
	}{
		{"a failure is kept for the cycle", false, boom, 1},
		{"with forgetErrors a failure is tried again", true, boom, 2},
		{"a context failure is always tried again", false, fmt.Errorf("list: %w", context.Canceled), 2},
		{"a deadline failure is always tried again", false, fmt.Errorf("list: %w", context.DeadlineExceeded), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemo[string](tt.forgetErrors)
			var calls atomic.Int32
			fn := func(context.Context) (string, error) { calls.Add(1); return "", tt.err }
			for range 2 {
				if _, err := m.do(context.Background(), "k", fn); !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Fatalf("%d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

// A caller whose own context ends while it waits gets its context's error
// at once; the running call carries on for the others.
func TestMemoWaiterCancelled(t *testing.T) {
	m := newMemo[int](false)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = m.do(context.Background(), "k", func(context.Context) (int, error) {
			close(started)
			<-release
			return 7, nil
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.do(ctx, "k", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter err = %v, want its deadline", err)
	}
	close(release)
	v, err := m.do(context.Background(), "k", func(context.Context) (int, error) { return 0, errors.New("ran again") })
	if err != nil || v != 7 {
		t.Fatalf("after the waiter gave up: %d, %v; want the leader's 7", v, err)
	}
}

// When the caller running the call is cancelled, callers waiting for it
// with live contexts run it themselves instead of inheriting the
// cancellation, with or without forgetErrors.
func TestMemoLeaderCancelledWaitersRetry(t *testing.T) {
	for _, forget := range []bool{false, true} {
		t.Run(fmt.Sprintf("forgetErrors=%v", forget), func(t *testing.T) {
			m := newMemo[int](forget)
			leaderCtx, cancelLeader := context.WithCancel(context.Background())
			started := make(chan struct{})
			var calls atomic.Int32
			fn := func(ctx context.Context) (int, error) {
				if calls.Add(1) == 1 {
					close(started)
					<-ctx.Done()
					return 0, fmt.Errorf("authenticate: %w", ctx.Err())
				}
				return 9, nil
			}
			leaderErr := make(chan error, 1)
			go func() { _, err := m.do(leaderCtx, "k", fn); leaderErr <- err }()
			<-started
			waiter := make(chan error, 1)
			var got int
			go func() {
				v, err := m.do(context.Background(), "k", fn)
				got = v
				waiter <- err
			}()
			time.Sleep(20 * time.Millisecond) // the waiter waits on the leader's call
			cancelLeader()
			if err := <-leaderErr; !errors.Is(err, context.Canceled) {
				t.Fatalf("leader err = %v", err)
			}
			if err := <-waiter; err != nil || got != 9 {
				t.Fatalf("waiter = %d, %v; want 9 from its own call", got, err)
			}
		})
	}
}

func TestLRU(t *testing.T) {
	c := newLRU[string](3)
	c.put("a", "1")
	c.put("b", "2")
	c.put("c", "3")
	c.put("a", "1b") // update refreshes a
	c.put("d", "4")  // evicts b, the least recently used
	for key, want := range map[string]string{"a": "1b", "c": "3", "d": "4"} {
		if v, ok := c.get(key); !ok || v != want {
			t.Errorf("get(%s) = %q, %v; want %q", key, v, ok, want)
		}
	}
	if _, ok := c.get("b"); ok {
		t.Error("b survived eviction")
	}
	for i := range 100 {
		c.put(fmt.Sprint(i), "x")
	}
	if c.len() != 3 {
		t.Errorf("len = %d after 100 puts, want the bound 3", c.len())
	}
	if _, ok := c.get("99"); !ok {
		t.Error("the newest entry was evicted")
	}
}

func TestTTLCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTTLCache[string](10, time.Minute)
	c.put("k", "v", t0)
	tests := []struct {
		at     time.Duration
		wantOK bool
	}{{0, true}, {59 * time.Second, true}, {time.Minute, false}, {time.Hour, false}}
	for _, tt := range tests {
		if v, ok := c.get("k", t0.Add(tt.at)); ok != tt.wantOK || (ok && v != "v") {
			t.Errorf("get after %s = %q, %v; want present %v", tt.at, v, ok, tt.wantOK)
		}
	}
	c.put("k", "v2", t0.Add(time.Hour)) // a new answer restarts the clock
	if v, ok := c.get("k", t0.Add(time.Hour+30*time.Second)); !ok || v != "v2" {
		t.Errorf("refreshed entry = %q, %v", v, ok)
	}
	off := newTTLCache[string](10, 0)
	off.put("k", "v", t0)
	if _, ok := off.get("k", t0); ok {
		t.Error("a TTL of 0 must not cache")
	}
	small := newTTLCache[int](2, time.Hour)
	for i := range 3 {
		small.put(fmt.Sprint(i), i, t0)
	}
	if _, ok := small.get("0", t0); ok {
		t.Error("the TTL cache is not bounded")
	}
}
