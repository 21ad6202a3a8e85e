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

func startRegistry(latency time.Duration) (*benchRegistry, error) {
	backend := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	r := &benchRegistry{count: &counter{counts: map[string]int{}}}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == countsPath {
			_ = json.NewEncoder(w).Encode(r.count.take())
			return
		}
		r.count.add(req.Method + " " + registry.RequestKind(req))
		if latency > 0 && r.delay.Load() {
			time.Sleep(latency)
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
