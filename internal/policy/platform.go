package policy

import (
	"regexp"
	"runtime"
	"strings"
)

// platformPart is what an os, architecture or variant may consist of.
var platformPart = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// ParsePlatform parses "os/arch" or "os/arch/variant" (case-insensitive,
// surrounding spaces ignored). Errors wrap ErrInvalidSettings.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return Platform{}, invalid("platforms", s, "want os/arch[/variant]", nil)
	}
	for _, part := range parts {
		if !platformPart.MatchString(part) {
			return Platform{}, invalid("platforms", s, "want os/arch[/variant] made of letters, digits, '_', '.', '-'", nil)
		}
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// String renders the platform as os/arch[/variant].
func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Matches reports whether p, the platform of an image (e.g. an index entry),
// satisfies the wanted platform. OS and architecture must be equal; a wanted
// platform without a variant matches any variant, one with a variant needs
// exactly that variant.
func (p Platform) Matches(want Platform) bool {
	if p.OS != want.OS || p.Architecture != want.Architecture {
		return false
	}
	return want.Variant == "" || want.Variant == p.Variant
}

// MatchesAny reports whether p matches at least one of the wanted platforms.
func (p Platform) MatchesAny(wants []Platform) bool {
	for _, w := range wants {
		if p.Matches(w) {
			return true
		}
	}
	return false
}

// ownPlatform is the platform this binary runs on, without a variant.
func ownPlatform() Platform {
	return Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
}

// parsePlatforms parses a platform list, dropping duplicates and blank
// entries; an empty list yields the updater's own platform.
func parsePlatforms(list []string) ([]Platform, []error) {
	var out []Platform
	var errs []error
	seen := map[Platform]bool{}
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		p, err := ParsePlatform(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 && len(errs) == 0 {
		out = []Platform{ownPlatform()}
	}
	return out, errs
}
