package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// signedImage pushes an image as tag "1" and returns its digest.
func signedImage(t *testing.T, reg *testRegistry, repo string) v1.Hash {
	t.Helper()
	img := testImage(t, time.Now(), v1.Platform{OS: "linux", Architecture: "amd64"})
	reg.push(t, repo, img, "1")
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// signatureImage builds a legacy cosign signature manifest with one layer
// per payload; a non-empty signature becomes the layer's annotation.
func signatureImage(t *testing.T, payloads []string, sigs []string) v1.Image {
	t.Helper()
	var adds []mutate.Addendum
	for i, p := range payloads {
		add := mutate.Addendum{Layer: static.NewLayer([]byte(p), "application/vnd.dev.cosign.simplesigning.v1+json")}
		if sigs[i] != "" {
			add.Annotations = map[string]string{CosignSignatureAnnotation: sigs[i]}
		}
		adds = append(adds, add)
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), adds...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestTagSchemes(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	if got := CosignSignatureTag(d); got != "sha256-"+strings.Repeat("ab", 32)+".sig" {
		t.Errorf("CosignSignatureTag = %s", got)
	}
	if got := ReferrersTag(d); got != "sha256-"+strings.Repeat("ab", 32) {
		t.Errorf("ReferrersTag = %s", got)
	}
	for _, tag := range []string{CosignSignatureTag(d), ReferrersTag(d)} {
		if !policy.ValidTag(tag) {
			t.Errorf("%s is not a valid tag", tag)
		}
	}
}

func TestCosignSignatures(t *testing.T) {
	reg := newTestRegistry(t)
	digest := signedImage(t, reg, "signed")
	sig := signatureImage(t, []string{`{"critical":1}`, `{"critical":2}`}, []string{"c2lnMQ==", ""})
	reg.push(t, "signed", sig, CosignSignatureTag(digest.String()))
	sigDigest, _ := sig.Digest()
	unsigned := signedImage(t, reg, "unsigned")

	c := newTestClient(t)
	cy := c.NewCycle()
	md := cy.Metadata(reg.repo("signed"), nil).(*repoMetadata)
	got, found, err := md.CosignSignatureDigest(context.Background(), digest.String())
	if err != nil || !found || got != sigDigest.String() {
		t.Fatalf("CosignSignatureDigest = %q, %v, %v; want %s", got, found, err, sigDigest)
	}
	sigs, err := md.CosignSignatures(context.Background(), got)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 || string(sigs[0].Payload) != `{"critical":1}` || sigs[0].Signature != "c2lnMQ==" ||
		string(sigs[1].Payload) != `{"critical":2}` || sigs[1].Signature != "" {
		t.Fatalf("signatures %+v", sigs)
	}

	// No signature tag in the listing: not found, and no request for it.
	reg.take()
	umd := cy.Metadata(reg.repo("unsigned"), nil).(*repoMetadata)
	if _, found, err := umd.CosignSignatureDigest(context.Background(), unsigned.String()); err != nil || found {
		t.Fatalf("unsigned image: found %v, %v", found, err)
	}
	if counts := reg.take(); counts["HEAD manifest"] != 0 || counts["GET tags"] != 1 {
		t.Errorf("requests %v, want only the listing", counts)
	}
	// Within the cycle the listing is not asked again.
	if _, _, err := umd.CosignSignatureDigest(context.Background(), unsigned.String()); err != nil {
		t.Fatal(err)
	}
	if counts := reg.take(); len(counts) != 0 {
		t.Errorf("second lookup sent %v", counts)
	}
}

func TestCosignSignaturesBounds(t *testing.T) {
	reg := newTestRegistry(t)
	many := make([]string, maxSignatureLayers+1)
	sigs := make([]string, len(many))
	for i := range many {
		many[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	tooMany := signatureImage(t, many, sigs)
	big := signatureImage(t, []string{strings.Repeat("x", maxSignaturePayload+1)}, []string{""})
	reg.push(t, "s", tooMany, "many")
	reg.push(t, "s", big, "big")
	md := newTestClient(t).NewCycle().Metadata(reg.repo("s"), nil).(*repoMetadata)
	for name, img := range map[string]v1.Image{"too many layers": tooMany, "payload too large": big} {
		d, _ := img.Digest()
		_, err := md.CosignSignatures(context.Background(), d.String())
		if !errors.Is(err, ErrTransport) {
			t.Errorf("%s: err = %v, want ErrTransport", name, err)
		}
	}
	if _, err := md.CosignSignatures(context.Background(), "sha256:"+strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) {
		t.Errorf("absent signature manifest: %v, want ErrNotFound", err)
	}
}

// bundleArtifact is an OCI artifact manifest whose subject is subject and
// whose layers carry the given media types and contents.
func bundleArtifact(t *testing.T, subject v1.Hash, layers map[string]types.MediaType) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for content, mt := range layers {
		var err error
		if img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer([]byte(content), mt)}); err != nil {
			t.Fatal(err)
		}
	}
	return mutate.Subject(img, v1.Descriptor{MediaType: types.DockerManifestSchema2, Digest: subject, Size: 1}).(v1.Image)
}

func TestSigstoreBundles(t *testing.T) {
	reg := newTestRegistry(t)
	digest := signedImage(t, reg, "app")
	other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}
	mine := bundleArtifact(t, digest, map[string]types.MediaType{
		`{"bundle":"mine"}`: BundleMediaTypeV03,
		"not a bundle":      "application/octet-stream",
	})
	theirs := bundleArtifact(t, other, map[string]types.MediaType{`{"bundle":"theirs"}`: BundleMediaTypeV03})
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: mine}, mutate.IndexAddendum{Add: theirs}), types.OCIImageIndex)
	if err := remote.WriteIndex(reg.repo("app").Tag(ReferrersTag(digest.String())), idx); err != nil {
		t.Fatal(err)
	}
	idxDigest, _ := idx.Digest()
	reg.take()

	md := newTestClient(t).NewCycle().Metadata(reg.repo("app"), nil).(*repoMetadata)
	got, found, err := md.ReferrersIndexDigest(context.Background(), digest.String())
	if err != nil || !found || got != idxDigest.String() {
		t.Fatalf("ReferrersIndexDigest = %q, %v, %v; want %s", got, found, err, idxDigest)
	}
	bundles, err := md.SigstoreBundles(context.Background(), got, digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != 1 || !bytes.Equal(bundles[0], []byte(`{"bundle":"mine"}`)) {
		t.Fatalf("bundles %q, want only the one whose subject is the image", bundles)
	}
	nobody := "sha256:" + strings.Repeat("2", 64)
	if _, found, err := md.ReferrersIndexDigest(context.Background(), nobody); err != nil || found {
		t.Fatalf("image without a referrers tag: found %v, %v", found, err)
	}
}

func TestSigstoreBundlesTooManyReferrers(t *testing.T) {
	reg := newTestRegistry(t)
	digest := signedImage(t, reg, "app")
	var adds []mutate.IndexAddendum
	for i := range maxReferrers + 1 {
		adds = append(adds, mutate.IndexAddendum{Add: bundleArtifact(t, digest, map[string]types.MediaType{fmt.Sprint(i): BundleMediaTypeV03})})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	if err := remote.WriteIndex(reg.repo("app").Tag(ReferrersTag(digest.String())), idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	md := newTestClient(t).NewCycle().Metadata(reg.repo("app"), nil).(*repoMetadata)
	if _, err := md.SigstoreBundles(context.Background(), d.String(), digest.String()); !errors.Is(err, ErrTransport) || !strings.Contains(err.Error(), "referrers") {
		t.Fatalf("err = %v, want ErrTransport for too many referrers", err)
	}
}

// CachedDigest answers from the client's tag-to-digest cache across
// cycles; Digest asks once per cycle.
func TestCachedDigestAcrossCycles(t *testing.T) {
	reg := newTestRegistry(t)
	digest := signedImage(t, reg, "app")
	clock := newClock()
	c := newTestClient(t, WithClock(clock), WithDigestTTL(10*time.Minute))
	cached := func() string {
		t.Helper()
		d, err := c.NewCycle().Metadata(reg.repo("app"), nil).(*repoMetadata).CachedDigest(context.Background(), "1")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if cached() != digest.String() || cached() != digest.String() {
		t.Fatal("wrong digest")
	}
	if n := reg.take()["HEAD manifest"]; n != 1 {
		t.Errorf("%d HEADs for two cycles within the TTL, want 1", n)
	}
	if _, err := c.NewCycle().Metadata(reg.repo("app"), nil).Digest(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	if n := reg.take()["HEAD manifest"]; n != 1 {
		t.Errorf("Digest sent %d HEADs, want 1 (it always asks once per cycle)", n)
	}
	clock.advance(11 * time.Minute)
	cached()
	if n := reg.take()["HEAD manifest"]; n != 1 {
		t.Errorf("%d HEADs after the TTL, want 1", n)
	}
	md := c.NewCycle().Metadata(reg.repo("app"), nil).(*repoMetadata)
	for _, bad := range []string{"../x", "", ".sig", strings.Repeat("t", 129)} {
		if _, err := md.CachedDigest(context.Background(), bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("CachedDigest(%q) = %v, want ErrNotFound", bad, err)
		}
		if _, err := md.Created(context.Background(), bad, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("Created(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	if counts := reg.take(); len(counts) != 0 {
		t.Errorf("invalid tags reached the registry: %v", counts)
	}
}

// The manifest facts cache is bounded: with room for one manifest, two
// alternating images are fetched again; with room for both, never.
func TestMetadataCacheBound(t *testing.T) {
	reg := newTestRegistry(t)
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	reg.push(t, "app", testImage(t, time.Now(), amd), "a")
	reg.push(t, "app", testImage(t, time.Now().Add(time.Hour), amd), "b")
	for _, tt := range []struct {
		size       int
		wantFetchs int
	}{{1, 4}, {2, 2}} {
		t.Run(fmt.Sprintf("size %d", tt.size), func(t *testing.T) {
			c := newTestClient(t, WithMetadataCacheSize(tt.size))
			reg.take()
			for _, tag := range []string{"a", "b", "a", "b"} {
				mustCreated(t, c.NewCycle().Metadata(reg.repo("app"), nil), tag, nil)
			}
			if n := reg.take()["GET manifest"]; n != tt.wantFetchs {
				t.Errorf("%d manifest fetches, want %d", n, tt.wantFetchs)
			}
			if n := c.infos.len(); n > tt.size {
				t.Errorf("cache holds %d entries, bound %d", n, tt.size)
			}
		})
	}
}
