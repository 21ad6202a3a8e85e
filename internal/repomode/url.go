package repomode

import (
	"net/url"
	"path/filepath"
	"strings"
)

// SameRepository reports whether two repository addresses name the same
// repository: scheme, user, a trailing slash and a .git suffix do not count,
// scp-like SSH addresses equal their ssh:// form, and local paths compare
// cleaned.
func SameRepository(a, b string) bool {
	return canonicalRepo(a) == canonicalRepo(b)
}

func canonicalRepo(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "file://") {
		p := strings.TrimPrefix(s, "file://")
		return "file:" + strings.TrimSuffix(filepath.Clean(p), ".git")
	}
	if !strings.Contains(s, "://") {
		// scp-like: [user@]host:path
		if at := strings.Index(s, "@"); at >= 0 {
			s = s[at+1:]
		}
		s = strings.Replace(s, ":", "/", 1)
		return strings.ToLower(hostPart(s)) + trimRepoPath(pathPart(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "22" && p != "443" && p != "80" {
		host += ":" + p
	}
	return host + trimRepoPath(u.Path)
}

func hostPart(s string) string { h, _, _ := strings.Cut(s, "/"); return h }

func pathPart(s string) string {
	_, p, _ := strings.Cut(s, "/")
	return "/" + p
}

func trimRepoPath(p string) string {
	p = strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}
