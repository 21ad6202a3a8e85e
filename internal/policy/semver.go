package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// semverStrategy picks the highest version satisfying the constraint.
type semverStrategy struct {
	raw        string // constraint as written; "*" when none
	constraint *semver.Constraints
}

func newSemverStrategy(constraint string) (strategy, error) {
	raw := strings.TrimSpace(constraint)
	if raw == "" {
		raw = "*"
	}
	c, err := semver.NewConstraint(raw)
	if err != nil {
		return nil, invalid("constraint", constraint, "invalid semver constraint", err)
	}
	return semverStrategy{raw: raw, constraint: c}, nil
}

func (semverStrategy) name() string        { return StrategySemver }
func (semverStrategy) needsMetadata() bool { return false }

// choose keeps tags that parse as versions and satisfy the constraint, and
// picks the highest. Among tags of equal version (v1.2.0 and 1.2.0, or
// differing build metadata) the deployed tag itself wins, then a tag with
// the deployed tag's "v" prefix (or lack of it), then the lexically last.
func (s semverStrategy) choose(_ context.Context, in chooseInput) (outcome, error) {
	var winner *Verdict
	var best *semver.Version
	versions := make(map[*Verdict]*semver.Version, len(in.candidates))
	for _, c := range in.candidates {
		v, ok := s.admit(c)
		if !ok {
			continue
		}
		versions[c] = v
		if winner == nil || semverRanksAbove(v, c.Tag, best, winner.Tag, in.current) {
			winner, best = c, v
		}
	}
	explainLosers(in.candidates, winner, func(c *Verdict) string {
		if versions[c].Equal(best) {
			return "same version as " + winner.Tag + ", " + tieReason(winner.Tag, in.current)
		}
		return "older than " + winner.Tag
	})
	return outcome{winner: winner}, nil
}

// tieReason says why winner beat a tag of the same version.
func tieReason(winner, current string) string {
	switch tieStyle(winner, current) {
	case 2:
		return "which is deployed now"
	case 1:
		return "which is spelt like the deployed " + current
	}
	return "which sorts later"
}

// admit parses c's tag and checks the constraint, ruling c out otherwise.
func (s semverStrategy) admit(c *Verdict) (*semver.Version, bool) {
	v, err := parseVersion(c.Tag)
	if err != nil {
		c.Eligible, c.Reason = false, "not a semantic version"
		return nil, false
	}
	if !s.constraint.Check(v) {
		c.Eligible, c.Reason = false, "does not satisfy constraint "+s.raw
		if v.Prerelease() != "" {
			c.Reason += " (pre-releases need a constraint with a pre-release part, e.g. 2.x-0)"
		}
		return nil, false
	}
	return v, true
}

// parseVersion is semver.NewVersion with a fast rejection of tags that
// cannot be versions (they must start with a digit or "v" and a digit),
// which spares two regexp runs for tags such as "latest" or "sha-1234abc".
func parseVersion(tag string) (*semver.Version, error) {
	rest := strings.TrimPrefix(tag, "v")
	if rest == "" || rest[0] < '0' || rest[0] > '9' {
		return nil, semver.ErrInvalidSemVer
	}
	return semver.NewVersion(tag)
}

// semverRanksAbove orders by version, then by closeness to the deployed
// tag's spelling (tieStyle), then by tag byte order.
func semverRanksAbove(v *semver.Version, tag string, w *semver.Version, wtag, current string) bool {
	if d := v.Compare(w); d != 0 {
		return d > 0
	}
	if a, b := tieStyle(tag, current), tieStyle(wtag, current); a != b {
		return a > b
	}
	return tag > wtag
}

// tieStyle scores how closely tag follows the deployed tag current: 2 when
// it is current, 1 when both have a "v" prefix or both lack one, 0
// otherwise or when current is unknown.
func tieStyle(tag, current string) int {
	switch {
	case current == "":
		return 0
	case tag == current:
		return 2
	case strings.HasPrefix(tag, "v") == strings.HasPrefix(current, "v"):
		return 1
	}
	return 0
}

func (semverStrategy) isNewer(candidate, current string) (bool, error) {
	cand, err := parseVersion(candidate)
	if err != nil {
		return false, fmt.Errorf("candidate tag %q is not a semantic version: %w", candidate, err)
	}
	cur, err := parseVersion(current)
	if err != nil {
		return false, fmt.Errorf("current tag %q is not a semantic version: %w", current, err)
	}
	return cand.GreaterThan(cur), nil
}
