package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(""))}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestRetryNextWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := RetryPolicy{MaxAttempts: 4, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, MaxRetryAfter: 30 * time.Second, MaxTotal: time.Minute}
	rt := &retryTransport{policy: p, now: func() time.Time { return now }}
	backoff1 := [2]time.Duration{50 * time.Millisecond, 100 * time.Millisecond}
	tests := []struct {
		name      string
		attempt   int
		resp      *http.Response
		err       error
		wantRetry bool
		// wantWait is the exact wait, or the [min, max] of a jittered one.
		wantWait [2]time.Duration
	}{
		{"200 is final", 1, answer(200), nil, false, [2]time.Duration{}},
		{"404 is final", 1, answer(404), nil, false, [2]time.Duration{}},
		{"401 is final", 1, answer(401), nil, false, [2]time.Duration{}},
		{"429 without Retry-After backs off", 1, answer(429), nil, true, backoff1},
		{"500 backs off", 1, answer(500), nil, true, backoff1},
		{"503 with Retry-After seconds waits that long", 1, answer(503, "Retry-After", "7"), nil, true, [2]time.Duration{7 * time.Second, 7 * time.Second}},
		{"429 with a Retry-After date waits until then", 1, answer(429, "Retry-After", "Thu, 01 Jan 2026 00:00:12 GMT"), nil, true, [2]time.Duration{12 * time.Second, 12 * time.Second}},
		{"Retry-After beyond the cap is not waited for", 1, answer(429, "Retry-After", "31"), nil, false, [2]time.Duration{31 * time.Second, 31 * time.Second}},
		{"malformed Retry-After falls back to backoff", 1, answer(503, "Retry-After", "soon"), nil, true, backoff1},
		{"the last attempt is final even on 503", 4, answer(503), nil, false, [2]time.Duration{}},
		{"connection reset is retried", 1, nil, fmt.Errorf("read: %w", syscall.ECONNRESET), true, backoff1},
		{"connection refused is retried", 2, nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true, [2]time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{"unexpected EOF is retried", 1, nil, io.ErrUnexpectedEOF, true, backoff1},
		{"network timeout is retried", 1, nil, &net.OpError{Op: "read", Err: timeoutErr{}}, true, backoff1},
		{"certificate error is not retried", 1, nil, x509.UnknownAuthorityError{}, false, backoff1},
		{"caller cancellation is not retried", 1, nil, context.Canceled, false, backoff1},
		{"caller deadline is not retried", 1, nil, fmt.Errorf("get: %w", context.DeadlineExceeded), false, backoff1},
		{"other errors are not retried", 1, nil, errors.New("tls: handshake failure"), false, backoff1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, retry := rt.nextWait(tt.attempt, tt.resp, tt.err)
			if retry != tt.wantRetry {
				t.Fatalf("retry = %v, want %v (wait %s)", retry, tt.wantRetry, wait)
			}
			if retry && (wait < tt.wantWait[0] || wait > tt.wantWait[1]) {
				t.Errorf("wait %s, want within [%s, %s]", wait, tt.wantWait[0], tt.wantWait[1])
			}
		})
	}
}

func TestRetryBackoffDoublesWithinCap(t *testing.T) {
	rt := &retryTransport{policy: RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for attempt := 1; attempt <= 70; attempt++ {
		d := min(100*time.Millisecond<<(attempt-1), time.Second)
		if attempt > 10 { // the shift overflows far before 70
			d = time.Second
		}
		for range 20 {
			got := rt.backoff(attempt)
			if got < d/2 || got > d {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, got, d/2, d)
			}
		}
	}
}

func TestRetryTransportRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		policy    RetryPolicy
		answers   []*http.Response
		wantCalls int
		wantCode  int
	}{
		{"429 then 200 is retried to success", http.MethodGet, fastRetry,
			[]*http.Response{answer(429), answer(200)}, 2, 200},
		{"HEAD is retried like GET", http.MethodHead, fastRetry,
			[]*http.Response{answer(502), answer(503), answer(200)}, 3, 200},
		{"attempts are bounded", http.MethodGet, fastRetry,
			[]*http.Response{answer(500), answer(500), answer(500), answer(200)}, 3, 500},
		{"POST is never retried", http.MethodPost, fastRetry,
			[]*http.Response{answer(503), answer(200)}, 1, 503},
		{"a wait past MaxTotal returns the answer at once", http.MethodGet,
			RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Hour, MaxTotal: 500 * time.Millisecond},
			[]*http.Response{answer(429, "Retry-After", "2"), answer(200)}, 1, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			rt := &retryTransport{policy: tt.policy, now: time.Now, inner: roundTripFunc(func(*http.Request) (*http.Response, error) {
				return tt.answers[calls.Add(1)-1], nil
			})}
			req := httptest.NewRequest(tt.method, "https://r.example/v2/", nil)
			start := time.Now()
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode || int(calls.Load()) != tt.wantCalls {
				t.Errorf("status %d after %d calls, want %d after %d", resp.StatusCode, calls.Load(), tt.wantCode, tt.wantCalls)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestRetryWaitHonoursContext(t *testing.T) {
	var calls atomic.Int32
	rt := &retryTransport{policy: RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute, MaxTotal: time.Hour},
		now: time.Now, inner: roundTripFunc(func(*http.Request) (*http.Response, error) {
			calls.Add(1)
			return answer(503, "Retry-After", "30"), nil
		})}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "https://user:pw@r.example/v2/x/tags/list", nil).WithContext(ctx)
	start := time.Now()
	_, err := rt.RoundTrip(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want the caller's deadline at once", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "pw") {
		t.Errorf("error shows the URL password: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
}

// A connection the server drops mid-answer is retried on a new one.
func TestRetryAfterDroppedConnection(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	rt := &retryTransport{policy: fastRetry, now: time.Now, inner: tr}
	resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "ok" || calls.Load() != 2 {
		t.Fatalf("body %q after %d calls, want ok after 2", body, calls.Load())
	}
}

func TestLimitTransport(t *testing.T) {
	var calls atomic.Int32
	inner := roundTripFunc(func(*http.Request) (*http.Response, error) { calls.Add(1); return answer(200), nil })
	if rt := newLimitTransport(0, inner); fmt.Sprintf("%p", rt) != fmt.Sprintf("%p", inner) {
		t.Error("limit 0 must leave the transport unlimited")
	}
	if _, ok := newLimitTransport(-1, inner).(*limitTransport); ok {
		t.Error("a negative limit must leave the transport unlimited")
	}

	rt := newLimitTransport(20, inner) // burst 20, then one every 50ms
	start := time.Now()
	for range 30 {
		if _, err := rt.RoundTrip(httptest.NewRequest(http.MethodGet, "https://r.example/v2/", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("30 requests at 20/s took %s, want about 500ms", d)
	}

	// A fractional limit still lets one request through at once.
	slow := newLimitTransport(0.5, inner)
	if _, err := slow.RoundTrip(httptest.NewRequest(http.MethodGet, "https://r.example/v2/", nil)); err != nil {
		t.Fatalf("first request under 0.5/s: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	before := calls.Load()
	_, err := slow.RoundTrip(httptest.NewRequest(http.MethodGet, "https://r.example/v2/", nil).WithContext(ctx))
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("second request within the caller's 30ms: %v, want a rate limit wait error", err)
	}
	if calls.Load() != before {
		t.Error("a request that could not wait for the limit was sent")
	}
}
