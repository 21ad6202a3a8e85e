package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// digestStrategy follows one (mutable) tag and reports its current digest.
type digestStrategy struct {
	tag string
}

func newDigestStrategy(constraint string) (strategy, error) {
	tag := strings.TrimSpace(constraint)
	if tag == "" {
		return nil, invalid("constraint", constraint, "the digest strategy needs the tag to follow", nil)
	}
	if !ValidTag(tag) {
		return nil, invalid("constraint", constraint, "not a valid tag to follow with the digest strategy", nil)
	}
	return digestStrategy{tag: tag}, nil
}

func (digestStrategy) name() string        { return StrategyDigest }
func (digestStrategy) needsMetadata() bool { return true }

func (s digestStrategy) choose(ctx context.Context, in chooseInput) (outcome, error) {
	var winner *Verdict
	for _, c := range in.candidates {
		if c.Tag == s.tag {
			winner = c
			continue
		}
		c.Eligible, c.Reason = false, fmt.Sprintf("not the followed tag %q", s.tag)
	}
	if winner == nil {
		return outcome{extra: s.missing(in.all)}, nil
	}
	if in.md == nil {
		return outcome{}, fmt.Errorf("digest strategy: no metadata source to read tag %q", s.tag)
	}
	digest, err := in.md.Digest(ctx, s.tag)
	if err != nil {
		return outcome{}, fmt.Errorf("reading digest of tag %q: %w", s.tag, err)
	}
	// The image behind the tag must be for a wanted platform, as for
	// newest-build (a single image's config and an index's children alike).
	// The registry caches this per digest, so an unchanged tag costs no
	// more than the HEAD above.
	if _, err := in.md.Created(ctx, s.tag, in.platforms); err != nil {
		if errors.Is(err, ErrNoMatchingPlatform) {
			winner.Eligible, winner.Reason = false, platformReason(err)
			return outcome{}, nil
		}
		return outcome{}, fmt.Errorf("reading platforms of tag %q: %w", s.tag, err)
	}
	return outcome{winner: winner, digest: digest}, nil
}

// missing returns a verdict for the followed tag when it was not listed at
// all (a listed but filtered tag already has its verdict).
func (s digestStrategy) missing(all []Verdict) []Verdict {
	for _, v := range all {
		if v.Tag == s.tag {
			return nil
		}
	}
	return []Verdict{{Tag: s.tag, Reason: "followed tag not found in the repository"}}
}

func (digestStrategy) isNewer(string, string) (bool, error) {
	return false, notComparable(StrategyDigest)
}
