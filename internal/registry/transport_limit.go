package registry

import (
	"fmt"
	"net/http"

	"golang.org/x/time/rate"
)

// limitTransport holds requests to the registry's requests-per-second
// limit. Waiting respects the request's context.
type limitTransport struct {
	limiter *rate.Limiter
	inner   http.RoundTripper
}

// newLimitTransport returns inner unchanged when perSecond is not positive.
func newLimitTransport(perSecond float64, inner http.RoundTripper) http.RoundTripper {
	if perSecond <= 0 {
		return inner
	}
	burst := max(int(perSecond), 1)
	return &limitTransport{limiter: rate.NewLimiter(rate.Limit(perSecond), burst), inner: inner}
}

// RoundTrip implements http.RoundTripper.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.Wait(req.Context()); err != nil {
		return nil, fmt.Errorf("wait for registry rate limit: %w", err)
	}
	return t.inner.RoundTrip(req)
}
