package policy

import (
	"context"
	"fmt"
	"strings"
)

// ReasonCosignTag is the verdict of a tag cosign writes for its own
// artifacts (signatures, attestations, SBOMs); such tags are never
// candidates, whatever the strategy.
const ReasonCosignTag = "signature/attestation tag written by cosign"

// Verifier decides whether the image behind a tag may be deployed, for
// example because it carries a valid signature. [Settings.Verify] holds one;
// internal/verify implements it.
type Verifier interface {
	// Verify checks the image at digest (tag's manifest or index digest).
	// md is the Metadata of the repository the tag belongs to. An error
	// means the question could not be answered (a registry failure): the
	// choice then fails instead of falling back to another tag.
	Verify(ctx context.Context, md Metadata, tag, digest string) (Verification, error)
}

// Verification is a Verifier's answer for one image.
type Verification struct {
	// Verified reports whether the image may be deployed.
	Verified bool
	// Reason says why not (e.g. "no signature", "wrong key"), or, when
	// verified, what verified it (e.g. "signed by key.pub").
	Reason string
}

// isCosignTag reports whether tag is one cosign writes: sha256-<hex> with
// or without a suffix, *.sig, *.att, *.sbom.
func isCosignTag(tag string) bool {
	return strings.HasPrefix(tag, "sha256-") || strings.HasSuffix(tag, ".sig") ||
		strings.HasSuffix(tag, ".att") || strings.HasSuffix(tag, ".sbom")
}

// CachedDigester is an optional extension of [Metadata]: a tag's digest
// from a cache that may be older than this cycle (internal/registry keeps
// one with a TTL). Verification uses it to rule tags out without a
// request; a tag is only accepted at the digest Metadata.Digest reads now.
type CachedDigester interface {
	CachedDigest(ctx context.Context, tag string) (string, error)
}

// verifyWinner checks the strategy's winner. It returns false when the
// winner was ruled out (its verdict then says why) and the strategy must
// choose again among the remaining candidates. A failed check is an
// error: never a fallback to an older, unchecked tag.
func (p *Policy) verifyWinner(ctx context.Context, md Metadata, winner *Verdict, digest string) (string, bool, error) {
	if md == nil {
		return "", false, fmt.Errorf("verifying tag %q: no metadata source", winner.Tag)
	}
	if digest == "" {
		if cd, ok := md.(CachedDigester); ok {
			d, err := cd.CachedDigest(ctx, winner.Tag)
			if err != nil {
				return "", false, fmt.Errorf("reading digest of tag %q to verify it: %w", winner.Tag, err)
			}
			ok, err := p.check(ctx, md, winner, d)
			if err != nil || !ok {
				return "", false, err
			}
		}
		d, err := md.Digest(ctx, winner.Tag)
		if err != nil {
			return "", false, fmt.Errorf("reading digest of tag %q to verify it: %w", winner.Tag, err)
		}
		digest = d
	}
	ok, err := p.check(ctx, md, winner, digest)
	if err != nil || !ok {
		return "", false, err
	}
	return digest, true, nil
}

// check asks the Verifier about winner's image at digest and records the
// outcome in the verdict; an unverified winner is ruled out.
func (p *Policy) check(ctx context.Context, md Metadata, winner *Verdict, digest string) (bool, error) {
	v, err := p.verify.Verify(ctx, md, winner.Tag, digest)
	if err != nil {
		return false, fmt.Errorf("verifying signature of tag %q (%s): %w", winner.Tag, digest, err)
	}
	if v.Verified {
		winner.Signature = "verified: " + v.Reason
		return true, nil
	}
	winner.Eligible = false
	winner.Signature = "not verified: " + v.Reason
	winner.Reason = "signature not verified: " + v.Reason
	return false, nil
}

// stillEligible returns the candidates that are still eligible.
func stillEligible(cands []*Verdict) []*Verdict {
	out := make([]*Verdict, 0, len(cands))
	for _, c := range cands {
		if c.Eligible {
			out = append(out, c)
		}
	}
	return out
}
