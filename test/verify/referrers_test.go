package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/test/infra"
)

// referrersRegistry is a registry with the OCI referrers API: the Debian
// docker-registry (distribution 2.8) has none, so this is
// go-containerregistry's registry with referrers support, plus what the
// OCI distribution specification asks of such a registry and it omits:
// the OCI-Subject header on a manifest PUT that has a subject (it tells
// clients, cosign included, that no referrers tag is needed). Requests
// are counted by kind.
type referrersRegistry struct {
	srv  *httptest.Server
	host string
	mu   sync.Mutex
	n    map[string]int
}

func startReferrersRegistry(t *testing.T) *referrersRegistry {
	t.Helper()
	inner := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)), ggcr.WithReferrersSupport(true))
	r := &referrersRegistry{n: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.n[req.Method+" "+registry.RequestKind(req)]++
		r.mu.Unlock()
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			var m struct {
				Subject *struct{ Digest string } `json:"subject"`
			}
			if json.Unmarshal(body, &m) == nil && m.Subject != nil {
				w.Header().Set("OCI-Subject", m.Subject.Digest)
			}
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func (r *referrersRegistry) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	r.n = map[string]int{}
	return n
}

func (r *referrersRegistry) conf(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(p, []byte(fmt.Sprintf("registries:\n- name: referrers\n  prefix: %s\n  api_url: %s\n", r.host, r.srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignaturesThroughTheReferrersAPI signs with the real cosign CLI in
// the sigstore bundle format on a registry with the referrers API, where
// cosign writes no sha256-<hex> tag: imagepilot finds the bundle through
// the API, picks the newest signed tag, and the next run costs nothing
// beyond the tag listing and the HEAD of the followed tags.
func TestSignaturesThroughTheReferrersAPI(t *testing.T) {
	reg := startReferrersRegistry(t)
	dir := t.TempDir()
	key := generateKey(t, dir, "team")
	repo := reg.host + "/team/app"
	digests := map[string]string{}
	for i, tag := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		img := infra.NewImage(t, infra.ImageSpec{Created: time.Date(2026, 3, 1, i, 0, 0, 0, time.UTC)})
		ref, err := name.NewTag(repo+":"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests[tag] = d.String()
	}
	cosign(t, dir, "sign", "--key", key.priv, "--tlog-upload=false", "--yes",
		"--allow-insecure-registry", "--allow-http-registry",
		"--new-bundle-format=true", "--use-signing-config=false", repo+"@"+digests["1.1.0"])

	tags, err := remote.List(mustRepo(t, repo))
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(tags, func(s string) bool { return strings.HasPrefix(s, "sha256-") }) {
		t.Fatalf("cosign wrote a referrers tag %v: the registry's referrers API is not what is being tested", tags)
	}
	reg.take()

	conf := reg.conf(t)
	code, res, stderr := check(t, conf, repo, "--cosign-key", key.pub)
	if code != 0 || res.Tag != "1.1.0" || res.Digest != digests["1.1.0"] {
		t.Fatalf("exit %d %+v\n%s", code, res, stderr)
	}
	if v := verdict(t, res, "2.0.0"); v.Eligible || v.Signature != "not verified: no signature" {
		t.Errorf("unsigned 2.0.0: %+v", v)
	}
	counts := reg.take()
	if counts["GET referrers"] < 2 {
		t.Errorf("requests %v: the referrers API was not asked for 2.0.0 and 1.1.0", counts)
	}
	if counts["GET referrers"] > 3 {
		t.Errorf("requests %v: more than one referrers request per candidate", counts)
	}
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
