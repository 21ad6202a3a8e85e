package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// errRequestTimeout is the cause of a request cut off by deadlineTransport.
// It deliberately is not context.DeadlineExceeded: the caller's context is
// still alive, the registry is what failed.
var errRequestTimeout = errors.New("registry request timed out")

// deadlineTransport bounds one HTTP exchange, body included: the whole
// exchange must end within total, and once headers are in, the body must
// deliver a byte at least every stall. A registry that sends headers and
// then nothing fails the request instead of hanging its cycle.
type deadlineTransport struct {
	total, stall time.Duration
	inner        http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *deadlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithCancelCause(parent)
	total := time.AfterFunc(t.total, func() {
		cancel(fmt.Errorf("%w: no complete answer within %s", errRequestTimeout, t.total))
	})
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	if err != nil {
		total.Stop()
		cause := context.Cause(ctx)
		cancel(nil)
		if parent.Err() == nil && errors.Is(cause, errRequestTimeout) {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), cause)
		}
		return nil, err
	}
	resp.Body = newDeadlineBody(ctx, parent, resp.Body, t.stall, func() { total.Stop(); cancel(nil) }, cancel)
	return resp, nil
}

// deadlineBody cancels its request when no byte arrives for stall, and
// reports the timeout (not a bare "context canceled") to the reader.
type deadlineBody struct {
	ctx, parent context.Context
	inner       io.ReadCloser
	stall       time.Duration
	timer       *time.Timer
	release     func()
	closeOnce   sync.Once
}

func newDeadlineBody(ctx, parent context.Context, inner io.ReadCloser, stall time.Duration, release func(), cancel context.CancelCauseFunc) *deadlineBody {
	b := &deadlineBody{ctx: ctx, parent: parent, inner: inner, stall: stall, release: release}
	b.timer = time.AfterFunc(stall, func() {
		cancel(fmt.Errorf("%w: answer stalled, no data for %s", errRequestTimeout, stall))
	})
	return b
}

// Read implements io.Reader; every read that returns data restarts the
// stall timer.
func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.inner.Read(p)
	if n > 0 {
		b.timer.Reset(b.stall)
	}
	if err != nil && err != io.EOF && b.parent.Err() == nil {
		if cause := context.Cause(b.ctx); errors.Is(cause, errRequestTimeout) {
			return n, cause
		}
	}
	return n, err
}

// Close implements io.Closer and releases the request's timers.
func (b *deadlineBody) Close() error {
	err := b.inner.Close()
	b.closeOnce.Do(func() {
		b.timer.Stop()
		b.release()
	})
	return err
}
