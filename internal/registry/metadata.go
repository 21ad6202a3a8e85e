package registry

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// repoMetadata answers policy.Metadata for one repository and credentials.
type repoMetadata struct {
	cycle *Cycle
	repo  name.Repository
	auth  authn.Authenticator
}

// Digest returns the digest tag points to now, asked with HEAD once per
// cycle. The answer also refreshes the tag-to-digest cache used by Created.
func (m *repoMetadata) Digest(ctx context.Context, tag string) (string, error) {
	t, err := m.cycle.client.target(ctx, m.repo, m.auth)
	if err != nil {
		return "", err
	}
	return m.cycle.digests.do(ctx, t.key+"|"+tag, func(ctx context.Context) (string, error) {
		return m.cycle.client.headDigest(ctx, t, tag)
	})
}

// Created returns the digest and creation time of tag's image. The digest
// comes from the tag-to-digest cache while fresh (else one HEAD); image
// information is fetched once per manifest digest and platform set. For an
// index only children matching platforms count (all when platforms is
// empty) and the newest creation time wins; a single image's own platform
// is not checked.
func (m *repoMetadata) Created(ctx context.Context, tag string, platforms []policy.Platform) (policy.ImageInfo, error) {
	c := m.cycle.client
	t, err := c.target(ctx, m.repo, m.auth)
	if err != nil {
		return policy.ImageInfo{}, err
	}
	digest, ok := c.tagDigests.get(t.key+"|"+tag, c.opts.clock.Now())
	if !ok {
		if digest, err = m.Digest(ctx, tag); err != nil {
			return policy.ImageInfo{}, err
		}
	}
	return c.imageInfo(ctx, t, digest, platforms)
}

// headDigest asks the registry (HEAD) which digest tag points to.
func (c *Client) headDigest(ctx context.Context, t *target, tag string) (string, error) {
	ref := t.repo.Tag(tag)
	desc, err := remote.Head(ref, remote.WithTransport(t.transport), remote.WithContext(ctx))
	if err != nil {
		return "", wrapErr("get digest of "+ref.Name(), err)
	}
	digest := desc.Digest.String()
	c.tagDigests.put(t.key+"|"+tag, digest, c.opts.clock.Now())
	return digest, nil
}

// imageInfo returns the cached information for a manifest digest and
// platform set, fetching it once (concurrent callers share the fetch).
func (c *Client) imageInfo(ctx context.Context, t *target, digest string, platforms []policy.Platform) (policy.ImageInfo, error) {
	key := digest + "|" + platformsKey(platforms)
	if info, ok := c.infos.get(key); ok {
		return info, nil
	}
	v, err, _ := c.infoFlight.Do(t.repo.Name()+"|"+key, func() (any, error) {
		if info, ok := c.infos.get(key); ok {
			return info, nil
		}
		created, err := c.fetchCreated(ctx, t, digest, platforms)
		if err != nil {
			return policy.ImageInfo{}, err
		}
		info := policy.ImageInfo{Digest: digest, Created: created}
		c.infos.put(key, info)
		return info, nil
	})
	if err != nil {
		return policy.ImageInfo{}, err
	}
	return v.(policy.ImageInfo), nil
}

// fetchCreated reads the manifest behind digest; for an index it reads the
// matching children, for an image its config.
func (c *Client) fetchCreated(ctx context.Context, t *target, digest string, platforms []policy.Platform) (time.Time, error) {
	ref := t.repo.Digest(digest)
	op := "get metadata of " + ref.Name()
	desc, err := remote.Get(ref, remote.WithTransport(t.transport), remote.WithContext(ctx))
	if err != nil {
		return time.Time{}, wrapErr(op, err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return time.Time{}, wrapErr(op, err)
		}
		return c.configCreated(op, digest, img)
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return time.Time{}, wrapErr(op, err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return time.Time{}, wrapErr(op, err)
	}
	return c.newestChild(ctx, t, op, manifest, platforms)
}

// newestChild returns the newest creation time among the index children
// whose platform matches.
func (c *Client) newestChild(ctx context.Context, t *target, op string, manifest *v1.IndexManifest, platforms []policy.Platform) (time.Time, error) {
	var newest time.Time
	found := false
	for _, child := range manifest.Manifests {
		if !child.MediaType.IsImage() || !childMatches(child.Platform, platforms) {
			continue
		}
		created, err := c.imageCreated(ctx, t, child.Digest.String())
		if err != nil {
			return time.Time{}, err
		}
		if !found || created.After(newest) {
			newest, found = created, true
		}
	}
	if !found {
		return time.Time{}, &Error{Op: op, Kind: ErrNoMatchingPlatform, Err: fmt.Errorf("wanted %s", platformsKey(platforms))}
	}
	return newest, nil
}

// imageCreated returns a single image's creation time, cached by digest.
func (c *Client) imageCreated(ctx context.Context, t *target, digest string) (time.Time, error) {
	info, err := c.imageInfo(ctx, t, digest, nil)
	return info.Created, err
}

func (c *Client) configCreated(op, digest string, img v1.Image) (time.Time, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return time.Time{}, wrapErr(op, err)
	}
	return cfg.Created.Time, nil
}

// childMatches applies the platform filter to an index entry: os/arch must
// be equal; a wanted variant must be the entry's variant. No wanted
// platforms means every entry; an entry without a platform never matches a
// filter.
func childMatches(p *v1.Platform, wants []policy.Platform) bool {
	if len(wants) == 0 {
		return true
	}
	if p == nil {
		return false
	}
	have := policy.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	return have.MatchesAny(wants)
}

// platformsKey is a canonical text for a platform set ("*" for none).
func platformsKey(platforms []policy.Platform) string {
	if len(platforms) == 0 {
		return "*"
	}
	parts := make([]string, len(platforms))
	for i, p := range platforms {
		parts[i] = p.String()
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
