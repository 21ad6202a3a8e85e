package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of sigstore bundles stored as OCI artifacts.
const (
	BundleMediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaPrefix  = "application/vnd.dev.sigstore.bundle"
	maxReferrers       = 32
)

// ReferrersTag is the OCI referrers tag schema tag for the image at digest
// ("sha256:<hex>" -> "sha256-<hex>"): an index of the artifacts whose
// subject is that image, which cosign writes when a registry has no
// referrers API.
func ReferrersTag(digest string) string {
	return strings.Replace(digest, ":", "-", 1)
}

// ReferrersIndexDigest returns the digest of the referrers-tag index of the
// image at imageDigest; found=false when this cycle's tag listing has no
// such tag (no request is made then).
func (m *repoMetadata) ReferrersIndexDigest(ctx context.Context, imageDigest string) (string, bool, error) {
	tag := ReferrersTag(imageDigest)
	listing, err := m.cycle.Listing(ctx, m.repo, m.auth)
	if err != nil {
		return "", false, err
	}
	if !slices.Contains(listing.Tags, tag) {
		return "", false, nil
	}
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return "", false, err
	}
	d, err := m.cachedDigest(ctx, tag)
	m.cycle.down.note(host, err)
	return d, err == nil, err
}

// SigstoreBundles reads the referrers index at indexDigest and returns the
// sigstore bundles (JSON) of the artifacts in it whose subject is
// imageDigest (at most 32 artifacts, each bundle at most 256 KiB).
// Artifacts of other types are skipped.
func (m *repoMetadata) SigstoreBundles(ctx context.Context, indexDigest, imageDigest string) ([][]byte, error) {
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return nil, err
	}
	out, err := bounded(ctx, m.cycle.client, func(ctx context.Context) ([][]byte, error) {
		return m.fetchBundles(ctx, indexDigest, imageDigest)
	})
	m.cycle.down.note(host, err)
	return out, err
}

func (m *repoMetadata) fetchBundles(ctx context.Context, indexDigest, imageDigest string) ([][]byte, error) {
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		return nil, err
	}
	ref := t.repo.Digest(indexDigest)
	op := "get referrers " + ref.Name()
	ropts := []remote.Option{remote.WithTransport(t.transport), remote.WithContext(ctx)}
	idx, err := remote.Index(ref, ropts...)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, wrapErr(op, err)
	}
	if len(im.Manifests) > maxReferrers {
		return nil, &Error{Op: op, Kind: ErrTransport, Err: fmt.Errorf("%d referrers, more than %d", len(im.Manifests), maxReferrers)}
	}
	out, err := bundlesOf(im.Manifests, imageDigest, idx.Image)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	return out, nil
}

// bundlesOf reads the sigstore bundles of the OCI manifests among descs
// whose subject is imageDigest; image fetches a manifest by digest.
func bundlesOf(descs []v1.Descriptor, imageDigest string, image func(v1.Hash) (v1.Image, error)) ([][]byte, error) {
	var out [][]byte
	for _, desc := range descs {
		if desc.MediaType != types.OCIManifestSchema1 {
			continue
		}
		img, err := image(desc.Digest)
		if err != nil {
			return nil, err
		}
		man, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		if man.Subject == nil || man.Subject.Digest.String() != imageDigest {
			continue
		}
		for _, layer := range man.Layers {
			if !strings.HasPrefix(string(layer.MediaType), bundleMediaPrefix) {
				continue
			}
			b, err := readPayload(img, layer)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}
