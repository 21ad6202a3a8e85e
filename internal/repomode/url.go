package repomode

import (
	"net"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// SameRepository reports whether two repository addresses name the same
// repository (see NormalizeRepoURL).
func SameRepository(a, b string) bool {
	na, nb := NormalizeRepoURL(a), NormalizeRepoURL(b)
	return na != "" && na == nb
}

// defaultPorts are the ports a URL may name without changing the address.
var defaultPorts = map[string]string{"https": "443", "http": "80", "ssh": "22", "git+ssh": "22", "ssh+git": "22", "git": "9418"}

// scpAddress matches the scp-like form [user@]host:path of an SSH address
// (the host has no slash, the path does not start with "//").
var scpAddress = regexp.MustCompile(`^(?:[^@/:]+@)?(\[[^\]/]+\]|[^@/:\[\]]+):(.*)$`)

// NormalizeRepoURL returns the form in which equivalent spellings of a
// repository address are equal, "" when s is no address at all. Network
// addresses become host[:port]/path: the scheme (https, http, ssh, git),
// user information, the host's case, a default port, a trailing slash, a
// ".git" suffix and repeated slashes do not count, and scp-like SSH
// addresses (git@host:org/repo.git) equal their ssh:// form. Local paths
// and file:// URLs become "file:" and the cleaned absolute path without a
// ".git" suffix. The path's case counts: many servers tell it apart. The
// result never holds a password.
func NormalizeRepoURL(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return ""
	case strings.HasPrefix(strings.ToLower(s), "file://"):
		return normalizeFileURL(s)
	case strings.Contains(s, "://"):
		return normalizeNetworkURL(s)
	case filepath.IsAbs(s) || strings.HasPrefix(s, "."):
		return normalizeLocalPath(s)
	}
	if m := scpAddress.FindStringSubmatch(s); m != nil && !strings.HasPrefix(m[2], "//") {
		host := strings.Trim(m[1], "[]")
		return joinHostPath(strings.ToLower(host), "", m[2])
	}
	return normalizeLocalPath(s)
}

func normalizeFileURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Host != "" && !strings.EqualFold(u.Host, "localhost")) {
		return ""
	}
	return normalizeLocalPath(u.Path)
}

func normalizeLocalPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return "file:" + trimRepoPath(filepath.ToSlash(abs))
}

func normalizeNetworkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return ""
	}
	port := u.Port()
	if port == defaultPorts[strings.ToLower(u.Scheme)] {
		port = ""
	}
	return joinHostPath(host, port, u.Path)
}

// joinHostPath renders host[:port]/path with the path trimmed.
func joinHostPath(host, port, p string) string {
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + trimRepoPath(p)
}

// trimRepoPath cleans a repository path: one leading slash, no repeated or
// trailing slashes, no ".git" suffix.
func trimRepoPath(p string) string {
	p = path.Clean("/" + p)
	p = strings.TrimSuffix(p, ".git")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "/"
	}
	return p
}
