package registry

import (
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// pingTTL is how long a registry's answer to GET /v2/ is reused.
const pingTTL = time.Hour

// pingCache answers GET /v2/ (the ping go-containerregistry sends before
// authenticating to each repository) from the registry's last answer, so a
// registry is pinged once, not once per repository. Only 200 and 401
// answers are kept: their status and headers (the auth challenge) are all a
// ping tells. Concurrent first pings share one request.
type pingCache struct {
	inner http.RoundTripper
	now   func() time.Time

	mu      sync.Mutex
	answers map[string]pingAnswer // by scheme://host
	flight  singleflight.Group
}

type pingAnswer struct {
	status int
	header http.Header
	at     time.Time
}

func newPingCache(inner http.RoundTripper, now func() time.Time) *pingCache {
	return &pingCache{inner: inner, now: now, answers: map[string]pingAnswer{}}
}

// RoundTrip implements http.RoundTripper.
func (p *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.URL.RawQuery != "" {
		return p.inner.RoundTrip(req)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	if a, ok := p.get(key); ok {
		return a.response(req), nil
	}
	leader := false // set only by the call that runs the ping
	v, err, _ := p.flight.Do(key, func() (any, error) {
		leader = true
		if a, ok := p.get(key); ok {
			return a, nil
		}
		return p.ping(req, key)
	})
	if a, ok := v.(pingAnswer); ok && err == nil {
		return a.response(req), nil
	}
	if leader {
		if err != nil {
			return nil, err
		}
		return v.(*http.Response), nil
	}
	// The shared ping failed or its answer is not reusable (and belongs to
	// its own caller): ask ourselves.
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return p.inner.RoundTrip(req)
}

// ping sends the request and keeps a reusable answer.
func (p *pingCache) ping(req *http.Request, key string) (any, error) {
	resp, err := p.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	a := pingAnswer{status: resp.StatusCode, header: resp.Header.Clone(), at: p.now()}
	p.mu.Lock()
	p.answers[key] = a
	p.mu.Unlock()
	return a, nil
}

func (p *pingCache) get(key string) (pingAnswer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.answers[key]
	if !ok || p.now().Sub(a.at) >= pingTTL {
		return pingAnswer{}, false
	}
	return a, true
}

func (a pingAnswer) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:     http.StatusText(a.status),
		StatusCode: a.status,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     a.header.Clone(),
		Body:       http.NoBody,
		Request:    req,
	}
}
