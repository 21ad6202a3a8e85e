package registry

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is ggcr's in-process registry behind httptest, counting
// requests by "METHOD kind" and optionally demanding bearer tokens or
// injecting faults.
type testRegistry struct {
	t      *testing.T
	srv    *httptest.Server
	host   string
	mu     sync.Mutex
	counts map[string]int
	// bearer, when set, makes /v2/ demand tokens issued by /token.
	bearer bool
	// fault, when set, may answer a request instead of the registry.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	tr := &testRegistry{t: t, counts: map[string]int{}}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.count(r)
		tr.serve(inner, w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

func (tr *testRegistry) serve(inner http.Handler, w http.ResponseWriter, r *http.Request) {
	tr.mu.Lock()
	fault, bearer := tr.fault, tr.bearer
	tr.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.URL.Path == "/token" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token": "tok-secret", "expires_in": 3600})
		return
	}
	if bearer && r.Header.Get("Authorization") != "Bearer tok-secret" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+tr.srv.URL+`/token",service="test"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	inner.ServeHTTP(w, r)
}

func (tr *testRegistry) count(r *http.Request) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.counts[r.Method+" "+RequestKind(r)]++
}

// take returns the counts so far and resets them.
func (tr *testRegistry) take() map[string]int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	c := tr.counts
	tr.counts = map[string]int{}
	return c
}

func (tr *testRegistry) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.fault = f
}

func (tr *testRegistry) repo(path string) name.Repository {
	tr.t.Helper()
	r, err := name.NewRepository(tr.host + "/" + path)
	if err != nil {
		tr.t.Fatal(err)
	}
	return r
}

// image returns a random image created at the given time.
func testImage(t *testing.T, created time.Time, platform v1.Platform) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	cfg.OS, cfg.Architecture, cfg.Variant = platform.OS, platform.Architecture, platform.Variant
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img under each tag (before taking counts).
func (tr *testRegistry) push(t *testing.T, repo string, img v1.Image, tags ...string) {
	t.Helper()
	r := tr.repo(repo)
	for _, tag := range tags {
		if err := remote.Write(r.Tag(tag), img); err != nil {
			t.Fatal(err)
		}
	}
	tr.take()
}

// pushIndex writes a multi-arch index of the given images.
func (tr *testRegistry) pushIndex(t *testing.T, repo, tag string, children ...platformImage) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, c := range children {
		p := c.platform
		adds = append(adds, mutate.IndexAddendum{Add: c.image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	if err := remote.WriteIndex(tr.repo(repo).Tag(tag), idx); err != nil {
		t.Fatal(err)
	}
	tr.take()
	return idx
}

// platformImage is one child of a test index.
type platformImage struct {
	platform v1.Platform
	image    v1.Image
}
