package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/registry"
)

// countsPath answers (uncounted) with the requests counted since the last
// call and resets the count.
const countsPath = "/_bench/counts"

// benchRegistry is the in-process registry behind a counting handler.
type benchRegistry struct {
	server *httptest.Server
	host   string
	count  *counter
	// delay turns the latency on (after populating).
	delay atomic.Bool
}

func startRegistry(latency time.Duration, tokens bool) (*benchRegistry, error) {
	backend := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	r := &benchRegistry{count: &counter{counts: map[string]int{}}}
	auth := &tokenAuth{granted: map[string][]string{}}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == countsPath {
			_ = json.NewEncoder(w).Encode(r.count.take())
			return
		}
		r.count.add(req.Method + " " + registry.RequestKind(req))
		if latency > 0 && r.delay.Load() {
			time.Sleep(latency)
		}
		if tokens && !auth.serve(w, req, r.server.URL) {
			return
		}
		backend.ServeHTTP(w, req)
	}))
	r.host = strings.TrimPrefix(r.server.URL, "http://")
	return r, nil
}

func (r *benchRegistry) close() { r.server.Close() }

// populate pushes one image per repository under every tag, then forgets
// the pushes' requests.
func (r *benchRegistry) populate(images, tags int) error {
	for i := range images {
		img, err := random.Image(256, 1)
		if err != nil {
			return fmt.Errorf("building image: %w", err)
		}
		repo, err := name.NewRepository(imageName(r.host, i), name.Insecure)
		if err != nil {
			return err
		}
		for j := range tags {
			if err := remote.Write(repo.Tag(tagOf(j)), img); err != nil {
				return fmt.Errorf("pushing %s: %w", repo, err)
			}
		}
	}
	r.count.take()
	r.delay.Store(true)
	return nil
}

// counter counts requests by kind.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) add(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[kind]++
}

func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = map[string]int{}
	return out
}

// summary renders counts as a total and "kind=n, ..." sorted by kind.
func summary(counts map[string]int) (int, string) {
	keys := make([]string, 0, len(counts))
	total := 0
	for k, v := range counts {
		keys = append(keys, fmt.Sprintf("%s=%d", k, v))
		total += v
	}
	sort.Strings(keys)
	return total, strings.Join(keys, ", ")
}

// tokenAuth is a Docker token server in front of the registry: /token
// issues opaque tokens granting the scopes asked for, and every /v2/
// request needs a token granting its repository.
type tokenAuth struct {
	mu      sync.Mutex
	next    int
	granted map[string][]string // token -> scopes
}

// serve answers token requests and refuses unauthorised registry requests;
// it returns true when the registry should answer.
func (a *tokenAuth) serve(w http.ResponseWriter, req *http.Request, base string) bool {
	if req.URL.Path == "/token" {
		var scopes []string
		for _, s := range req.URL.Query()["scope"] {
			scopes = append(scopes, strings.Fields(s)...)
		}
		a.mu.Lock()
		a.next++
		tok := fmt.Sprintf("tok-%d", a.next)
		a.granted[tok] = scopes
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in": 3600})
		return false
	}
	a.mu.Lock()
	scopes, known := a.granted[strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")]
	a.mu.Unlock()
	repo := repositoryOf(req.URL.Path)
	if known && (repo == "" || grantsRepo(scopes, repo)) {
		return true
	}
	challenge := `Bearer realm="` + base + `/token",service="bench"`
	if repo != "" {
		challenge += `,scope="repository:` + repo + `:pull"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.WriteHeader(http.StatusUnauthorized)
	return false
}

func grantsRepo(scopes []string, repo string) bool {
	for _, s := range scopes {
		if strings.HasPrefix(s, "repository:"+repo+":") {
			return true
		}
	}
	return false
}

// repositoryOf returns the repository of /v2/<repo>/(tags|manifests|blobs)/...
func repositoryOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return ""
	}
	for _, kind := range []string{"/tags/", "/manifests/", "/blobs/"} {
		if i := strings.LastIndex(rest, kind); i > 0 {
			return rest[:i]
		}
	}
	return ""
}
