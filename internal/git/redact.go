package git

import (
	"regexp"
	"strings"
)

// minSecretLen is the shortest literal secret that is redacted by value;
// shorter ones would mangle ordinary words in messages.
const minSecretLen = 4

var (
	// userinfoPattern matches the user information of a URL ("scheme://user:pass@").
	userinfoPattern = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@`)
	// tokenPatterns match well-known token shapes and HTTP authorization values.
	tokenPatterns = []*regexp.Regexp{
		regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{16,}`),
		regexp.MustCompile(`github_pat_[A-Za-z0-9_]{16,}`),
		regexp.MustCompile(`glpat-[A-Za-z0-9_-]{16,}`),
		regexp.MustCompile(`(?i)((?:authorization|proxy-authorization):\s*\w+\s+)\S+`),
	}
)

const redacted = "***"

// Redact removes URL user information, well-known token shapes and the given
// literal secrets from s.
func Redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if len(secret) >= minSecretLen {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	s = userinfoPattern.ReplaceAllString(s, "${1}"+redacted+"@")
	for _, p := range tokenPatterns {
		if p.NumSubexp() > 0 {
			s = p.ReplaceAllString(s, "${1}"+redacted)
			continue
		}
		s = p.ReplaceAllString(s, redacted)
	}
	return s
}
