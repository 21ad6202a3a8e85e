package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// RetryPolicy bounds retries of idempotent requests (GET, HEAD) that got 429,
// a 5xx status or a connection error.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, first one included.
	MaxAttempts int
	// InitialBackoff is the first backoff; it doubles with each attempt.
	InitialBackoff time.Duration
	// MaxBackoff caps one backoff.
	MaxBackoff time.Duration
	// MaxRetryAfter caps a server's Retry-After; a longer one is not waited
	// for: the response is returned as it is.
	MaxRetryAfter time.Duration
	// MaxTotal caps the time spent on one request, retries included; no
	// retry starts whose wait would end past it.
	MaxTotal time.Duration
}

// DefaultRetryPolicy is used unless WithRetryPolicy says otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:    4,
		InitialBackoff: 500 * time.Millisecond,
		MaxBackoff:     10 * time.Second,
		MaxRetryAfter:  60 * time.Second,
		MaxTotal:       2 * time.Minute,
	}
}

// retryTransport retries idempotent requests according to a RetryPolicy.
type retryTransport struct {
	policy RetryPolicy
	now    func() time.Time
	inner  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return t.inner.RoundTrip(req)
	}
	start := t.now()
	for attempt := 1; ; attempt++ {
		resp, err := t.inner.RoundTrip(req)
		wait, retry := t.nextWait(attempt, resp, err)
		if !retry || t.now().Add(wait).Sub(start) > t.policy.MaxTotal {
			return resp, err
		}
		discard(resp)
		if err := sleepCtx(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("retry %s %s: %w", req.Method, req.URL.Redacted(), err)
		}
	}
}

// nextWait says whether to retry after this attempt and how long to wait.
func (t *retryTransport) nextWait(attempt int, resp *http.Response, err error) (time.Duration, bool) {
	if attempt >= t.policy.MaxAttempts {
		return 0, false
	}
	if err != nil {
		return t.backoff(attempt), isRetryableNetError(err)
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return 0, false
	}
	if after, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
		return after, after <= t.policy.MaxRetryAfter
	}
	return t.backoff(attempt), true
}

// backoff is exponential with full jitter in [d/2, d].
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.InitialBackoff << (attempt - 1)
	if d <= 0 || d > t.policy.MaxBackoff {
		d = t.policy.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// isRetryableNetError is true for connection resets, refusals, unexpected
// EOFs and timeouts; TLS and certificate errors are not retried.
func isRetryableNetError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
