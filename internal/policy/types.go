package policy

import (
	"context"
	"errors"
	"time"
)

// ErrInvalidSettings marks a configuration error in update settings (unknown
// strategy, bad regexp, bad glob, bad constraint, bad platform). Callers report
// it against the item it belongs to and do not retry.
var ErrInvalidSettings = errors.New("invalid update settings")

// ErrNoMatchingPlatform is wrapped by Metadata.Created when an image has no
// variant for the wanted platforms; newest-build then rules that tag out
// instead of failing the whole choice.
var ErrNoMatchingPlatform = errors.New("no image for the wanted platforms")

// Settings are the user's update settings for one image, after inheritance.
type Settings struct {
	// Strategy is semver (default), newest-build (alias latest),
	// alphabetical (alias name) or digest.
	Strategy string
	// Constraint is the semver constraint, or the followed tag for digest.
	Constraint string
	// AllowTags is "", "any" or "regexp:<re>".
	AllowTags string
	// IgnoreTags are path.Match glob patterns.
	IgnoreTags []string
	// Platforms are os/arch[/variant] strings; empty means the updater's own.
	Platforms []string
	// Verify, when set, must accept a tag's image before it can be chosen
	// (cosign signature verification); nil accepts every image.
	Verify Verifier `json:"-"`
}

// Platform is an image platform a strategy may need to match.
type Platform struct {
	OS           string
	Architecture string
	Variant      string
}

// ImageInfo is what a registry tells about the image behind a tag.
type ImageInfo struct {
	// Digest is the manifest (or index) digest the tag points to.
	Digest string
	// Created is the image config creation time; for an index, the newest
	// among the children matching the wanted platforms.
	Created time.Time
	// Labels are the OCI labels of the image's config (config.Labels); for
	// an index, those of the child Created came from.
	Labels map[string]string
}

// Metadata is what strategies may ask a registry about one repository.
// internal/registry implements it; tests use fakes.
type Metadata interface {
	// Digest returns the manifest digest the tag points to now.
	Digest(ctx context.Context, tag string) (string, error)
	// Created returns the digest and creation time of the image behind tag,
	// considering only the given platforms for multi-arch indexes.
	Created(ctx context.Context, tag string, platforms []Platform) (ImageInfo, error)
}
