package infra

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request kinds the FaultProxy counts by (the same words as imagepilot's
// imagepilot_registry_requests_total kind label).
const (
	KindPing     = "ping"
	KindToken    = "token"
	KindTags     = "tags"
	KindManifest = "manifest"
	KindBlob     = "blob"
	KindOther    = "other"
)

// ProxiedRequest is one request the FaultProxy saw.
type ProxiedRequest struct {
	Method, Path, RawQuery, Kind string
}

// Fault is a programmed misbehaviour. It applies to requests of Kind (all
// when empty) and Method (all when empty), Times times (always when 0).
type Fault struct {
	Kind   string
	Method string
	Times  int
	// Status answers with this status instead of forwarding (0: forward).
	Status int
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Challenge is sent as the WWW-Authenticate header with Status (a 401
	// with the registry's bearer challenge acts as an expired token).
	Challenge string
	// Delay is waited before answering.
	Delay time.Duration
	// TruncateBody forwards, then cuts the response body in half.
	TruncateBody bool
	// DropLink forwards, then removes the Link header (tag paging).
	DropLink bool
}

// FaultProxy is a reverse proxy in front of a registry, on 127.0.0.1. It
// counts requests by kind, routes /token to an optional token handler (so a
// bearer realm has the registry's own host:port, which go-containerregistry
// demands for loopback realms), adds latency and injects faults.
type FaultProxy struct {
	// URL is the proxy's base URL (http or https).
	URL string
	// Host is host:port of URL.
	Host string

	backend  http.Handler
	token    http.Handler
	handlers map[string]http.Handler
	srv      *httptest.Server

	mu       sync.Mutex
	latency  time.Duration
	paging   bool
	faults   []*Fault
	requests []ProxiedRequest
}

// FaultProxyOptions configure NewFaultProxy.
type FaultProxyOptions struct {
	// Token, when set, serves /token.
	Token http.Handler
	// BackendCAs trusts an https backend's certificate.
	BackendCAs *x509.CertPool
	// TLS, when set, makes the proxy itself serve https with this certificate.
	TLS *tls.Certificate
	// Listener, when set, is used instead of a fresh one on 127.0.0.1:0
	// (so a caller can learn the URL before the backend starts).
	Listener net.Listener
	// Handlers serve these exact paths on the registry's own host (e.g.
	// ACR's /oauth2/exchange) instead of forwarding them.
	Handlers map[string]http.Handler
}

// NewFaultProxy starts a proxy to backend; it stops on t.Cleanup.
func NewFaultProxy(t testing.TB, backend *url.URL, opts FaultProxyOptions) *FaultProxy {
	t.Helper()
	rp := httputil.NewSingleHostReverseProxy(backend)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if opts.BackendCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: opts.BackendCAs, MinVersion: tls.VersionTLS12}
	}
	rp.Transport = tr
	// The Host header stays the proxy's, so the registry's absolute
	// Location headers (blob uploads) point back at the proxy.
	p := &FaultProxy{backend: rp, token: opts.Token, handlers: opts.Handlers}
	srv := httptest.NewUnstartedServer(p)
	if opts.Listener != nil {
		_ = srv.Listener.Close()
		srv.Listener = opts.Listener
	}
	if opts.TLS != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*opts.TLS}, MinVersion: tls.VersionTLS12}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	p.srv, p.URL = srv, srv.URL
	p.Host = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
	return p
}

// SetLatency adds d before every request is handled.
func (p *FaultProxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// AddFault programs a fault; faults are tried in the order added.
func (p *FaultProxy) AddFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// ClearFaults removes all faults.
func (p *FaultProxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// Reset forgets the requests seen so far.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = nil
}

// Requests returns the requests seen since the last Reset.
func (p *FaultProxy) Requests() []ProxiedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxiedRequest(nil), p.requests...)
}

// Count returns how many requests of kind (and method, unless empty) were
// seen since the last Reset.
func (p *FaultProxy) Count(kind, method string) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Kind == kind && (method == "" || r.Method == method) {
			n++
		}
	}
	return n
}

// Counts returns the requests since the last Reset by "METHOD kind".
func (p *FaultProxy) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range p.Requests() {
		out[r.Method+" "+r.Kind]++
	}
	return out
}

// ServeHTTP implements http.Handler.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := ProxyRequestKind(r)
	fault, latency, paging := p.record(r, kind)
	if d := latency + faultDelay(fault); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	next := p.backend
	if h, ok := p.handlers[r.URL.Path]; ok {
		next = h
	}
	if kind == KindToken && p.token != nil {
		next = p.token
	}
	if kind == KindTags && paging {
		next = pagingHandler{backend: next}
	}
	switch {
	case fault != nil && fault.Status != 0:
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		if fault.Challenge != "" {
			w.Header().Set("WWW-Authenticate", fault.Challenge)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fault.Status)
		_, _ = io.WriteString(w, `{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}`)
	case fault != nil && (fault.TruncateBody || fault.DropLink):
		serveMangled(next, w, r, fault)
	default:
		next.ServeHTTP(w, r)
	}
}

// record counts the request and picks the fault that applies, if any.
func (p *FaultProxy) record(r *http.Request, kind string) (*Fault, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, ProxiedRequest{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Kind: kind})
	for _, f := range p.faults {
		if (f.Kind != "" && f.Kind != kind) || (f.Method != "" && f.Method != r.Method) || f.Times < 0 {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				f.Times = -1 // used up
			}
		}
		c := *f
		return &c, p.latency, p.paging
	}
	return nil, p.latency, p.paging
}

func faultDelay(f *Fault) time.Duration {
	if f == nil {
		return 0
	}
	return f.Delay
}

// serveMangled forwards the request and damages the response.
func serveMangled(next http.Handler, w http.ResponseWriter, r *http.Request, f *Fault) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if f.DropLink {
		w.Header().Del("Link")
	}
	if f.TruncateBody {
		body = bytes.Clone(body[:len(body)/2])
		w.Header().Del("Content-Length")
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// ProxyRequestKind classifies a request: /v2/ is a ping, /token a token
// request, then tags, manifest, blob by path, other otherwise.
func ProxyRequestKind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		return KindPing
	case p == "/token" || strings.HasSuffix(p, "/token"):
		return KindToken
	case strings.HasPrefix(p, "/v2/") && strings.HasSuffix(p, "/tags/list"):
		return KindTags
	case strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/manifests/"):
		return KindManifest
	case strings.HasPrefix(p, "/v2/") && strings.Contains(p, "/blobs/"):
		return KindBlob
	}
	return KindOther
}
