package registry

import (
	"net/http"
	"strings"
	"time"

	"github.com/imagepilot/imagepilot/internal/metrics"
)

// countingTransport records every request in the metrics, by kind and code,
// with its duration until the response headers.
type countingTransport struct {
	registry string
	metrics  *metrics.Metrics
	inner    http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.inner.RoundTrip(req)
	code := 0
	if err == nil {
		code = resp.StatusCode
	}
	t.metrics.ObserveRegistryRequest(t.registry, RequestKind(req), code, time.Since(start))
	return resp, err
}

// RequestKind classifies a registry request by its URL: ping (/v2/), tags
// (/tags/list), manifest (/manifests/), blob (/blobs/), referrers
// (/referrers/), token (a request
// outside /v2/ that carries service, scope or an OAuth2 form, or whose path
// ends in "token"), other otherwise.
func RequestKind(req *http.Request) string {
	p := req.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		return metrics.KindPing
	case strings.HasPrefix(p, "/v2/") && strings.HasSuffix(p, "/tags/list"):
		return metrics.KindTags
	case strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/manifests/"):
		return metrics.KindManifest
	case strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/blobs/"):
		return metrics.KindBlob
	case strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/referrers/"):
		return metrics.KindReferrers
	case strings.HasPrefix(p, "/v2/"):
		return metrics.KindOther
	case isTokenRequest(req):
		return metrics.KindToken
	}
	return metrics.KindOther
}

func isTokenRequest(req *http.Request) bool {
	q := req.URL.Query()
	if q.Has("scope") || q.Has("service") {
		return true
	}
	if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return true
	}
	return strings.HasSuffix(strings.TrimSuffix(req.URL.Path, "/"), "token")
}
