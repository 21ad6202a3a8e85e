package registry

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// referrersRegistry is go-containerregistry's registry with the OCI
// referrers API on, counting requests.
type referrersRegistry struct {
	*testRegistry
}

func newReferrersRegistry(t *testing.T) *referrersRegistry {
	t.Helper()
	tr := &testRegistry{t: t, counts: map[string]int{}}
	inner := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)), ggcr.WithReferrersSupport(true))
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.count(r)
		tr.serve(inner, w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return &referrersRegistry{tr}
}

// attach pushes an artifact of the given layer media type whose subject
// is the image at digest, and returns the artifact's digest.
func attach(t *testing.T, tr *testRegistry, repo string, subject v1.Descriptor, layerType types.MediaType, payload string) string {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, emptyConfigMediaType)
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer([]byte(payload), layerType)})
	if err != nil {
		t.Fatal(err)
	}
	art := mutate.Subject(img, subject).(v1.Image)
	d, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tr.repo(repo).Digest(d.String()), art); err != nil {
		t.Fatal(err)
	}
	tr.take()
	return d.String()
}

func subjectOf(t *testing.T, img v1.Image) v1.Descriptor {
	t.Helper()
	d, err := partial.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

func TestReferrersAPIFindsBundles(t *testing.T) {
	reg := newReferrersRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{})
	reg.push(t, "team/app", img, "1.0")
	signedDesc := subjectOf(t, img)
	attach(t, reg.testRegistry, "team/app", signedDesc, BundleMediaTypeV03, `{"bundle":1}`)
	attach(t, reg.testRegistry, "team/app", signedDesc, "application/spdx+json", `{"sbom":1}`)
	other := testImage(t, time.Now(), v1.Platform{})
	reg.push(t, "team/app", other, "2.0")

	c := newTestClient(t)
	cy := c.NewCycle()
	md := cy.Metadata(reg.repo("team/app"), nil).(*repoMetadata)
	ctx := context.Background()
	set, supported, err := md.ReferrersAPI(ctx, signedDesc.Digest.String())
	if err != nil || !supported {
		t.Fatalf("ReferrersAPI = %+v, %v, %v", set, supported, err)
	}
	bundles, err := md.ReferrerBundles(ctx, set, signedDesc.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != 1 || string(bundles[0]) != `{"bundle":1}` {
		t.Fatalf("bundles = %q, want the one bundle (the SBOM is not one)", bundles)
	}
	// Memoised for the cycle: asking again costs nothing.
	reg.take()
	if again, _, _ := md.ReferrersAPI(ctx, signedDesc.Digest.String()); again.ID != set.ID {
		t.Fatalf("second answer %+v, first %+v", again, set)
	}
	assertCounts(t, reg.take(), map[string]int{})

	// An image nothing refers to: supported, no bundles, and another ID.
	otherDigest := subjectOf(t, other).Digest.String()
	none, supported, err := md.ReferrersAPI(ctx, otherDigest)
	if err != nil || !supported || len(none.Bundles) != 0 || none.ID == set.ID {
		t.Fatalf("unsigned image: %+v, %v, %v", none, supported, err)
	}
	// A bundle attached later changes the answer's ID in the next cycle.
	attach(t, reg.testRegistry, "team/app", subjectOf(t, other), BundleMediaTypeV03, `{"bundle":2}`)
	md = c.NewCycle().Metadata(reg.repo("team/app"), nil).(*repoMetadata)
	later, _, err := md.ReferrersAPI(ctx, otherDigest)
	if err != nil || len(later.Bundles) != 1 || later.ID == none.ID {
		t.Fatalf("after signing: %+v, %v (before %+v)", later, err, none)
	}
}

func TestReferrersAPIUnsupportedIsAskedOnce(t *testing.T) {
	reg := newTestRegistry(t) // go-containerregistry's registry without the API: 404
	img := testImage(t, time.Now(), v1.Platform{})
	reg.push(t, "team/app", img, "1.0")
	digest := subjectOf(t, img).Digest.String()
	c := newTestClient(t)
	for cycle := range 3 {
		md := c.NewCycle().Metadata(reg.repo("team/app"), nil).(*repoMetadata)
		set, supported, err := md.ReferrersAPI(context.Background(), digest)
		if err != nil || supported || len(set.Bundles) != 0 {
			t.Fatalf("cycle %d: %+v, %v, %v", cycle, set, supported, err)
		}
	}
	counts := reg.take()
	if counts["GET referrers"] != 1 {
		t.Fatalf("requests %v: a registry without the API must be asked once per process", counts)
	}
}

func TestReferrersAPIErrorsAreErrors(t *testing.T) {
	reg := newReferrersRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{})
	reg.push(t, "team/app", img, "1.0")
	digest := subjectOf(t, img).Digest.String()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   error
	}{
		{"server error", http.StatusInternalServerError, "", ErrTransport},
		{"denied", http.StatusForbidden, `{"errors":[{"code":"DENIED"}]}`, ErrUnauthorized},
		{"not an index", http.StatusOK, `{"schemaVersion":1}`, ErrTransport},
		{"not JSON", http.StatusOK, `<html>`, ErrTransport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg.setFault(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(r.URL.Path, "/referrers/") {
					return false
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
				return true
			})
			c := newTestClient(t)
			md := c.NewCycle().Metadata(reg.repo("team/app"), nil).(*repoMetadata)
			_, _, err := md.ReferrersAPI(context.Background(), digest)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
		})
	}
	reg.setFault(nil)
	md := newTestClient(t).NewCycle().Metadata(reg.repo("team/app"), nil).(*repoMetadata)
	if _, _, err := md.ReferrersAPI(context.Background(), "sha256:nothex"); err == nil {
		t.Fatal("a malformed digest was sent to the registry")
	}
}

func TestParseReferrers(t *testing.T) {
	bundle := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`
	fromConfig := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1,"artifactType":"application/vnd.oci.empty.v1+json"}`
	sbom := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("c", 64) + `","size":1,"artifactType":"application/spdx+json"}`
	index := func(descs ...string) string {
		return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + strings.Join(descs, ",") + `]}`
	}
	for _, tc := range []struct {
		name    string
		body    string
		want    int
		wantErr bool
	}{
		{"empty", index(), 0, false},
		{"bundle", index(bundle), 1, false},
		{"artifact type from the empty config", index(fromConfig), 1, false},
		{"other artifacts skipped", index(sbom, bundle), 1, false},
		{"no media type", `{"schemaVersion":2,"manifests":[` + bundle + `]}`, 1, false},
		{"wrong media type", `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]}`, 0, true},
		{"schema 1", `{"schemaVersion":1,"manifests":[]}`, 0, true},
		{"garbage", `nope`, 0, true},
		{"too many", index(slices.Repeat([]string{bundle}, maxReferrers+1)...), 0, true},
		{"too large", strings.Repeat(" ", maxReferrersBody+1), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := parseReferrers([]byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && len(set.Bundles) != tc.want {
				t.Fatalf("%d bundles, want %d", len(set.Bundles), tc.want)
			}
			if err == nil && !strings.HasPrefix(set.ID, "referrers:") {
				t.Fatalf("ID %q", set.ID)
			}
		})
	}
}

func FuzzParseReferrers(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseReferrers(body)
		if err != nil {
			return
		}
		if len(set.Bundles) > maxReferrers {
			t.Fatalf("%d bundles accepted", len(set.Bundles))
		}
		for _, d := range set.Bundles {
			if !maybeBundle(d) {
				t.Fatalf("kept %+v", d)
			}
		}
	})
}
