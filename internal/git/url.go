package git

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// scpLike matches "user@host:path" and "host:path" remote addresses.
var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9.-]+:[^/\\]`)

// normaliseURL returns the remote address git should use and the user
// information that was removed from it. Local paths become absolute file://
// URLs so that shallow clones work for them too.
func normaliseURL(raw string) (string, *url.Userinfo, error) {
	if raw == "" || strings.HasPrefix(raw, "-") || strings.ContainsAny(raw, "\x00\n\r") ||
		(!strings.Contains(raw, "://") && strings.Contains(raw, "::")) { // transport::address helpers
		return "", nil, fmt.Errorf("%w: repository URL %q", ErrInvalidArgument, RedactURL(raw))
	}
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", nil, fmt.Errorf("%w: repository URL %s is not a valid URL", ErrInvalidArgument, RedactURL(raw))
		}
		switch u.Scheme {
		case "https", "http", "ssh", "git", "file":
		default:
			return "", nil, fmt.Errorf("%w: unsupported URL scheme %q", ErrInvalidArgument, u.Scheme)
		}
		info := u.User
		if u.Scheme == "http" || u.Scheme == "https" {
			u.User = nil // credentials go through the askpass helper
		} else {
			info = nil // ssh user names are part of the address, not secrets
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
		}
		return u.String(), info, nil
	}
	if scpLike.MatchString(raw) && !filepath.IsAbs(raw) {
		return raw, nil, nil
	}
	abs, err := filepath.Abs(raw)
	if err != nil {
		return "", nil, fmt.Errorf("repository path: %w", err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil, nil
}
