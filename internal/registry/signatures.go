package registry

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// CosignSignatureAnnotation is the layer annotation in which cosign stores
// a base64 signature of the layer's payload.
const CosignSignatureAnnotation = "dev.cosignproject.cosign/signature"

// Bounds on what a signature manifest may make us read.
const (
	maxSignatureLayers  = 64
	maxSignaturePayload = 256 << 10
)

// CosignSignature is one signature layer of a legacy cosign signature
// manifest: the signed payload (a simple-signing JSON document) and the
// base64 signature from the layer's annotation ("" when absent).
type CosignSignature struct {
	Payload   []byte
	Signature string
}

// CosignSignatureTag is the tag under which cosign stores the legacy
// signatures of the image at digest ("sha256:<hex>" -> "sha256-<hex>.sig").
func CosignSignatureTag(digest string) string {
	return strings.Replace(digest, ":", "-", 1) + ".sig"
}

// CosignSignatureDigest returns the digest of the legacy signature
// manifest of the image at imageDigest, found=false when this cycle's tag
// listing has no signature tag for it (which costs no request). The digest
// is read from the tag-to-digest cache while fresh, else with one HEAD per
// cycle.
func (m *repoMetadata) CosignSignatureDigest(ctx context.Context, imageDigest string) (string, bool, error) {
	tag := CosignSignatureTag(imageDigest)
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

// CachedDigest returns the digest of tag from the client's tag-to-digest
// cache while fresh (it may be older than this cycle), else asks with one
// HEAD per cycle. It implements policy.CachedDigester.
func (m *repoMetadata) CachedDigest(ctx context.Context, tag string) (string, error) {
	if err := checkTag(m.repo, tag); err != nil {
		return "", err
	}
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return "", err
	}
	d, err := m.cachedDigest(ctx, tag)
	m.cycle.down.note(host, err)
	return d, err
}

var _ policy.CachedDigester = (*repoMetadata)(nil)

// cachedDigest is digest with the client's tag-to-digest cache in front.
func (m *repoMetadata) cachedDigest(ctx context.Context, tag string) (string, error) {
	c := m.cycle.client
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		return "", err
	}
	if d, ok := c.tagDigests.get(t.key+"|"+tag, c.opts.clock.Now()); ok {
		return d, nil
	}
	return m.digest(ctx, tag)
}

// CosignSignatures reads the signature manifest at sigDigest and the
// payload of every layer (at most 64, each at most 256 KiB, checked
// against its digest). A layer without the signature annotation is
// returned with an empty Signature. Registry failures are *Error; a
// manifest that is not an image manifest is an error wrapping ErrTransport.
func (m *repoMetadata) CosignSignatures(ctx context.Context, sigDigest string) ([]CosignSignature, error) {
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return nil, err
	}
	sigs, err := bounded(ctx, m.cycle.client, func(ctx context.Context) ([]CosignSignature, error) {
		return m.fetchSignatures(ctx, sigDigest)
	})
	m.cycle.down.note(host, err)
	return sigs, err
}

func (m *repoMetadata) fetchSignatures(ctx context.Context, sigDigest string) ([]CosignSignature, error) {
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		return nil, err
	}
	ref := t.repo.Digest(sigDigest)
	op := "get signatures " + ref.Name()
	img, err := remote.Image(ref, remote.WithTransport(t.transport), remote.WithContext(ctx))
	if err != nil {
		return nil, wrapErr(op, err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return nil, wrapErr(op, err)
	}
	if len(manifest.Layers) > maxSignatureLayers {
		return nil, &Error{Op: op, Kind: ErrTransport, Err: fmt.Errorf("%d layers, more than %d", len(manifest.Layers), maxSignatureLayers)}
	}
	out := make([]CosignSignature, 0, len(manifest.Layers))
	for _, desc := range manifest.Layers {
		payload, err := readPayload(img, desc)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		out = append(out, CosignSignature{Payload: payload, Signature: desc.Annotations[CosignSignatureAnnotation]})
	}
	return out, nil
}

// readPayload reads one small layer blob; the layer reader checks its
// digest.
func readPayload(img v1.Image, desc v1.Descriptor) ([]byte, error) {
	if desc.Size > maxSignaturePayload {
		return nil, fmt.Errorf("signature payload %s: %d bytes, more than %d", desc.Digest, desc.Size, maxSignaturePayload)
	}
	layer, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("signature payload %s: %w", desc.Digest, err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("signature payload %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSignaturePayload+1))
	if err != nil {
		return nil, fmt.Errorf("signature payload %s: %w", desc.Digest, err)
	}
	if len(b) > maxSignaturePayload {
		return nil, fmt.Errorf("signature payload %s: larger than %d bytes", desc.Digest, maxSignaturePayload)
	}
	return b, nil
}
