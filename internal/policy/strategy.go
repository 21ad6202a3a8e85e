package policy

import (
	"context"
	"fmt"
	"strings"
)

// Canonical strategy names, as [Policy.Strategy] returns them.
const (
	StrategySemver       = "semver"
	StrategyNewestBuild  = "newest-build"
	StrategyAlphabetical = "alphabetical"
	StrategyDigest       = "digest"
)

// strategy picks one tag among the candidates that passed the tag filters.
// Each implementation lives in its own file.
type strategy interface {
	// name is the canonical strategy name.
	name() string
	// needsMetadata reports whether choose calls the Metadata interface.
	needsMetadata() bool
	// choose may rule out candidates (setting Eligible=false and a reason),
	// must give every remaining loser a reason, and returns the outcome.
	choose(ctx context.Context, in chooseInput) (outcome, error)
	// isNewer compares two tags by this strategy's order.
	isNewer(candidate, current string) (bool, error)
}

// chooseInput is what a strategy sees of one Choose call.
type chooseInput struct {
	// candidates point into all; every one is Eligible on entry, unique, and
	// in input order.
	candidates []*Verdict
	// all holds the verdicts of every listed tag (read-only for strategies).
	all       []Verdict
	md        Metadata
	platforms []Platform
	// current is the tag deployed now ("" when unknown); it breaks ties
	// between equally ranked tags in favour of its spelling.
	current string
}

// outcome is a strategy's answer.
type outcome struct {
	winner *Verdict // nil when no tag qualifies
	digest string
	// extra verdicts about tags that were not listed (e.g. a followed tag
	// that is missing from the repository).
	extra []Verdict
}

// newStrategy returns the strategy for a (possibly aliased) name, or an
// error wrapping ErrInvalidSettings for unknown names and bad constraints.
func newStrategy(name, constraint string) (strategy, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", StrategySemver:
		return newSemverStrategy(constraint)
	case StrategyNewestBuild, "latest":
		return newestBuildStrategy{}, nil
	case StrategyAlphabetical, "name":
		return alphabeticalStrategy{}, nil
	case StrategyDigest:
		return newDigestStrategy(constraint)
	default:
		return nil, invalid("update-strategy", name,
			"unknown strategy (want semver, newest-build or latest, alphabetical or name, digest)", nil)
	}
}

// explainLosers gives every still-eligible candidate other than the winner
// the reason returned by why.
func explainLosers(cands []*Verdict, winner *Verdict, why func(*Verdict) string) {
	for _, c := range cands {
		if c != winner && c.Eligible {
			c.Reason = why(c)
		}
	}
}

func notComparable(strategy string) error {
	return fmt.Errorf("%s strategy: %w", strategy, ErrNotComparable)
}
