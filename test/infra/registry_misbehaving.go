package infra

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// StallingRegistry is a loopback registry that answers pings and then, for
// every other GET, sends status, headers and the start of a body, and
// nothing more until the client hangs up: a registry stuck mid-answer.
// HEAD requests get no answer at all.
type StallingRegistry struct {
	// URL is the base URL (http://127.0.0.1:port).
	URL string
	// Host is 127.0.0.1:port.
	Host string

	stalled atomic.Int32
	done    chan struct{}
}

// StartStallingRegistry starts one; it stops on t.Cleanup (stalled
// requests are released first).
func StartStallingRegistry(t testing.TB) *StallingRegistry {
	t.Helper()
	s := &StallingRegistry{done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(s.done) }) // runs before srv.Close
	s.URL = srv.URL
	s.Host = strings.TrimPrefix(srv.URL, "http://")
	return s
}

// Stalled counts the requests left hanging so far.
func (s *StallingRegistry) Stalled() int { return int(s.stalled.Load()) }

func (s *StallingRegistry) serve(w http.ResponseWriter, r *http.Request) {
	if ProxyRequestKind(r) == KindPing {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
		return
	}
	s.stalled.Add(1)
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"name":"stuck","tags":["1.0.0",`)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	select {
	case <-r.Context().Done():
	case <-s.done:
	}
}

// TagRewriter is a reverse proxy in front of a registry that adds names to
// every tag listing (names a real registry refuses to store), leaving all
// other answers alone.
type TagRewriter struct {
	// URL is the proxy's base URL; Host its 127.0.0.1:port.
	URL, Host string
}

// StartTagRewriter proxies to backend (a registry base URL) and appends
// extra to the "tags" of every /tags/list answer.
func StartTagRewriter(t testing.TB, backend string, extra []string) *TagRewriter {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK || !strings.HasSuffix(resp.Request.URL.Path, "/tags/list") {
			return nil
		}
		return appendTags(resp, extra)
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return &TagRewriter{URL: srv.URL, Host: strings.TrimPrefix(srv.URL, "http://")}
}

func appendTags(resp *http.Response, extra []string) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var page map[string]any
	if err := json.Unmarshal(body, &page); err != nil {
		return err
	}
	tags, _ := page["tags"].([]any)
	for _, e := range extra {
		tags = append(tags, e)
	}
	page["tags"] = tags
	if body, err = json.Marshal(page); err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
