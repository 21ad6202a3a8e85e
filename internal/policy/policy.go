package policy

import (
	"context"
	"errors"
	"slices"
)

// ReasonChosen is the Reason of the winning tag's verdict.
const ReasonChosen = "chosen"

// Policy is a compiled, validated set of update settings. It is immutable
// and safe for concurrent use.
type Policy struct {
	strategy  strategy
	filter    tagFilter
	platforms []Platform
	verify    Verifier // nil: every tag is deployable
}

// Result is the outcome of [Policy.Choose].
type Result struct {
	// Tag is the chosen tag ("" when none was found).
	Tag string
	// Digest is the chosen tag's manifest digest when the strategy read it
	// (newest-build, digest); empty otherwise.
	Digest string
	// Found reports whether a tag was chosen.
	Found bool
	// Verdicts holds one entry per listed tag, in input order, saying why it
	// was filtered out, lost, or chosen. The digest strategy appends one
	// entry for a followed tag missing from the listing.
	Verdicts []Verdict
}

// Verdict says what happened to one tag.
type Verdict struct {
	// Tag is the tag as listed.
	Tag string
	// Eligible reports whether the tag passed every filter (allow-tags,
	// ignore-tags, and the strategy's own, such as the semver constraint).
	Eligible bool
	// Reason explains the verdict: why the tag was filtered out, why it lost
	// to the winner, or ReasonChosen.
	Reason string
	// Signature is the signature check's outcome when Settings.Verify is
	// set: "verified: ..." or "not verified: <why>"; empty when the tag
	// was not checked (filtered out, or ranked below the verified winner).
	Signature string `json:"signature,omitempty"`
}

// Compile validates settings and returns the policy. Every problem is
// reported (joined); each wraps ErrInvalidSettings and is a *SettingsError
// naming the field and value.
func Compile(s Settings) (*Policy, error) {
	var errs []error
	strat, err := newStrategy(s.Strategy, s.Constraint)
	if err != nil {
		errs = append(errs, err)
	}
	filter, ferrs := compileFilter(s.AllowTags, s.IgnoreTags)
	platforms, perrs := parsePlatforms(s.Platforms)
	errs = append(append(errs, ferrs...), perrs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Policy{strategy: strat, filter: filter, platforms: platforms, verify: s.Verify}, nil
}

// Strategy returns the canonical strategy name (aliases resolved).
func (p *Policy) Strategy() string { return p.strategy.name() }

// NeedsMetadata reports whether Choose will call the Metadata interface
// (newest-build and digest do; semver and alphabetical never do, so md may
// be nil for them), or when a Verifier is set.
func (p *Policy) NeedsMetadata() bool { return p.verify != nil || p.strategy.needsMetadata() }

// Verifies reports whether Choose checks the winner with a Verifier.
func (p *Policy) Verifies() bool { return p.verify != nil }

// Platforms returns the wanted platforms (the updater's own when none were
// configured). The slice is a copy.
func (p *Policy) Platforms() []Platform { return slices.Clone(p.platforms) }

// IsNewer reports whether candidate ranks above current under this policy's
// strategy: by version for semver (equal versions are not newer; an
// unparsable tag is an error), by byte order for alphabetical. For
// newest-build and digest the order cannot be told from names and the error
// wraps ErrNotComparable.
func (p *Policy) IsNewer(candidate, current string) (bool, error) {
	return p.strategy.isNewer(candidate, current)
}

// Choose applies the tag filters and the strategy to the listed tags. It
// calls md only for tags that passed the filters, and only when
// NeedsMetadata is true. A metadata error fails the whole choice.
//
// With a Verifier, the strategy's winner must verify; one that does not is
// ruled out and the strategy chooses again among the rest, so the best
// verified tag wins. A verification error fails the whole choice.
func (p *Policy) Choose(ctx context.Context, tags []string, md Metadata) (Result, error) {
	return p.ChooseFrom(ctx, "", tags, md)
}

// ChooseFrom is Choose for an image that runs the tag current now (empty
// when unknown). Where the strategy ranks several tags equal (semver: the
// same version spelt v1.2.1 and 1.2.1), the one written in current's style
// wins, so an update keeps the way the deployment spells its tags.
func (p *Policy) ChooseFrom(ctx context.Context, current string, tags []string, md Metadata) (Result, error) {
	verdicts, cands := p.filterTags(tags)
	var out outcome
	for {
		var err error
		out, err = p.strategy.choose(ctx, chooseInput{
			candidates: cands, all: verdicts, md: md, platforms: p.platforms, current: current,
		})
		if err != nil {
			return Result{}, err
		}
		if out.winner == nil || p.verify == nil {
			break
		}
		digest, ok, err := p.verifyWinner(ctx, md, out.winner, out.digest)
		if err != nil {
			return Result{}, err
		}
		if ok {
			out.digest = digest
			break
		}
		cands = stillEligible(cands)
	}
	var res Result
	if out.winner != nil {
		out.winner.Reason = ReasonChosen
		res.Tag, res.Digest, res.Found = out.winner.Tag, out.digest, true
	}
	// Append only after the winner (a pointer into verdicts) is updated.
	res.Verdicts = append(verdicts, out.extra...)
	return res, nil
}

// filterTags returns one verdict per tag and pointers to those that are
// valid tag references and pass allow-tags and ignore-tags (first
// occurrence of each tag only).
func (p *Policy) filterTags(tags []string) ([]Verdict, []*Verdict) {
	verdicts := make([]Verdict, len(tags))
	cands := make([]*Verdict, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for i, tag := range tags {
		v := &verdicts[i]
		v.Tag = tag
		switch {
		case tag == "":
			v.Reason = "empty tag"
		case !ValidTag(tag):
			v.Reason = ReasonInvalidTag
		case seen[tag]:
			v.Reason = "duplicate in the tag list"
		case isCosignTag(tag):
			v.Reason = ReasonCosignTag
		default:
			v.Reason = p.filter.reject(tag)
		}
		seen[tag] = true
		if v.Reason == "" {
			v.Eligible = true
			cands = append(cands, v)
		}
	}
	return verdicts, cands
}
