package registry

import (
	"context"
	"fmt"
	"maps"
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
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return "", err
	}
	d, err := m.digest(ctx, tag)
	m.cycle.down.note(host, err)
	return d, err
}

func (m *repoMetadata) digest(ctx context.Context, tag string) (string, error) {
	if err := checkTag(m.repo, tag); err != nil {
		return "", err
	}
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		return "", err
	}
	return m.cycle.digests.do(ctx, t.key+"|"+tag, func(ctx context.Context) (string, error) {
		return bounded(ctx, m.cycle.client, func(ctx context.Context) (string, error) {
			return m.cycle.client.headDigest(ctx, t, tag)
		})
	})
}

// checkTag refuses a tag that is not a valid reference before it can
// reach a request path.
func checkTag(repo name.Repository, tag string) error {
	if policy.ValidTag(tag) {
		return nil
	}
	return &Error{Op: "look up a tag of " + repo.Name(), Kind: ErrNotFound, Err: fmt.Errorf("%s", policy.ReasonInvalidTag)}
}

// Created returns the digest and creation time of tag's image for the
// wanted platforms (all when platforms is empty). The digest comes from the
// tag-to-digest cache while fresh (else one HEAD); what a manifest says is
// fetched once per digest. A single image counts when the platform in its
// config matches; an index by its newest matching child. An image for none
// of the platforms is a *policy.PlatformError (ErrNoMatchingPlatform).
func (m *repoMetadata) Created(ctx context.Context, tag string, platforms []policy.Platform) (policy.ImageInfo, error) {
	host, err := m.cycle.down.check(m.cycle.client, m.repo)
	if err != nil {
		return policy.ImageInfo{}, err
	}
	info, err := m.created(ctx, tag, platforms)
	m.cycle.down.note(host, err)
	return info, err
}

func (m *repoMetadata) created(ctx context.Context, tag string, platforms []policy.Platform) (policy.ImageInfo, error) {
	if err := checkTag(m.repo, tag); err != nil {
		return policy.ImageInfo{}, err
	}
	c := m.cycle.client
	t, err := m.cycle.target(ctx, m.repo, m.auth)
	if err != nil {
		return policy.ImageInfo{}, err
	}
	digest, ok := c.tagDigests.get(t.key+"|"+tag, c.opts.clock.Now())
	if !ok {
		if digest, err = m.digest(ctx, tag); err != nil {
			return policy.ImageInfo{}, err
		}
	}
	img, err := bounded(ctx, c, func(ctx context.Context) (manifestFacts, error) {
		return c.imageFor(ctx, t, digest, platforms)
	})
	if err != nil {
		return policy.ImageInfo{}, err
	}
	return policy.ImageInfo{Digest: digest, Created: img.created, Labels: maps.Clone(img.labels)}, nil
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

// manifestFacts is what one manifest says that strategies need. Manifests
// are content-addressed, so facts cached by digest never go stale.
type manifestFacts struct {
	// index is true for an image index (manifest list).
	index bool
	// created and platform come from a single image's config.
	created  time.Time
	platform policy.Platform
	// labels are the image config's labels (config.Labels).
	labels map[string]string
	// children are an index's image entries.
	children []v1.Descriptor
}

// imageFor applies the platform rule to the manifest behind digest and
// returns the facts of the image that counts: the image itself, or an
// index's newest matching child.
func (c *Client) imageFor(ctx context.Context, t *target, digest string, wants []policy.Platform) (manifestFacts, error) {
	facts, err := c.facts(ctx, t, digest)
	if err != nil {
		return manifestFacts{}, err
	}
	if !facts.index {
		if len(wants) > 0 && !facts.platform.MatchesAny(wants) {
			return manifestFacts{}, platformErr(t.repo.Digest(digest).Name(), &policy.PlatformError{Have: []policy.Platform{facts.platform}, Want: wants})
		}
		return facts, nil
	}
	return c.newestChild(ctx, t, digest, facts.children, wants)
}

// facts returns the cached facts of a manifest, fetching them once
// (concurrent callers share the fetch).
func (c *Client) facts(ctx context.Context, t *target, digest string) (manifestFacts, error) {
	if f, ok := c.infos.get(digest); ok {
		return f, nil
	}
	v, err, _ := c.infoFlight.Do(t.repo.Name()+"|"+digest, func() (any, error) {
		if f, ok := c.infos.get(digest); ok {
			return f, nil
		}
		f, err := c.fetchFacts(ctx, t, digest)
		if err != nil {
			return manifestFacts{}, err
		}
		c.infos.put(digest, f)
		return f, nil
	})
	if err != nil {
		return manifestFacts{}, err
	}
	return v.(manifestFacts), nil
}

// fetchFacts reads the manifest behind digest: for an image also its
// config, for an index its image children.
func (c *Client) fetchFacts(ctx context.Context, t *target, digest string) (manifestFacts, error) {
	ref := t.repo.Digest(digest)
	op := "get metadata of " + ref.Name()
	desc, err := remote.Get(ref, remote.WithTransport(t.transport), remote.WithContext(ctx))
	if err != nil {
		return manifestFacts{}, wrapErr(op, err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return manifestFacts{}, wrapErr(op, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return manifestFacts{}, wrapErr(op, err)
		}
		p := policy.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
		return manifestFacts{created: cfg.Created.Time, platform: p, labels: cfg.Config.Labels}, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return manifestFacts{}, wrapErr(op, err)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		return manifestFacts{}, wrapErr(op, err)
	}
	f := manifestFacts{index: true}
	for _, child := range manifest.Manifests {
		if child.MediaType.IsImage() {
			f.children = append(f.children, child)
		}
	}
	return f, nil
}

// newestChild returns the facts of the newest index child whose platform
// matches (every child when wants is empty).
func (c *Client) newestChild(ctx context.Context, t *target, digest string, children []v1.Descriptor, wants []policy.Platform) (manifestFacts, error) {
	var newest manifestFacts
	found := false
	var have []policy.Platform
	for _, child := range children {
		p := descriptorPlatform(child.Platform)
		have = append(have, p)
		if len(wants) > 0 && (child.Platform == nil || !p.MatchesAny(wants)) {
			continue
		}
		f, err := c.facts(ctx, t, child.Digest.String())
		if err != nil {
			return manifestFacts{}, err
		}
		if !found || f.created.After(newest.created) {
			newest, found = f, true
		}
	}
	if !found {
		return manifestFacts{}, platformErr(t.repo.Digest(digest).Name(), &policy.PlatformError{Index: true, Have: have, Want: wants})
	}
	return newest, nil
}

func descriptorPlatform(p *v1.Platform) policy.Platform {
	if p == nil {
		return policy.Platform{}
	}
	return policy.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
}

func platformErr(ref string, pe *policy.PlatformError) error {
	return &Error{Op: "match platforms of " + ref, Kind: ErrNoMatchingPlatform, Err: pe}
}
