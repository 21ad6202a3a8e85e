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
	// The user information runs to the last "@" before the path, so a
	// password with a raw "@" in it is removed whole.
	userinfoPattern = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s]+@`)
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
	return redactTokens(s)
}

// redactTokens removes well-known token shapes and authorization values.
func redactTokens(s string) string {
	for _, p := range tokenPatterns {
		if p.NumSubexp() > 0 {
			s = p.ReplaceAllString(s, "${1}"+redacted)
			continue
		}
		s = p.ReplaceAllString(s, redacted)
	}
	return s
}

// RedactURL returns rawURL fit for messages and logs: a password in the user
// information becomes "***" ("https://user:***@host/repo"), a bare HTTP(S)
// user name (often a token) too, and well-known token shapes anywhere in the
// address are removed. SSH user names and scp-like addresses
// ("git@host:path") stay, since they are not secrets. It never fails: a
// string that is no URL is redacted as free text.
func RedactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return Redact(rawURL)
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return Redact(rawURL)
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	switch s := strings.ToLower(scheme); {
	case hasPassword:
		user += ":" + redacted
	case s == "http" || s == "https":
		user = redacted
	}
	return redactTokens(scheme + "://" + user + "@" + authority[at+1:] + tail)
}
