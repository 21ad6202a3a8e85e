package registryconf

import (
	"strings"
)

// Docker Hub, built in.
const (
	DockerHubHost      = "docker.io"
	DockerHubAPIURL    = "https://registry-1.docker.io"
	DockerHubDefaultNS = "library"
)

// DockerHub returns the built-in Docker Hub entry.
func DockerHub() Registry {
	return Registry{
		Name:        "Docker Hub",
		APIURL:      DockerHubAPIURL,
		Prefix:      DockerHubHost,
		DefaultNS:   DockerHubDefaultNS,
		TagSortMode: TagSortNone,
	}
}

// Plain returns the entry implied for a host nobody configured:
// https://<host>, the host as prefix and name.
func Plain(host string) Registry {
	host = normalizeHost(host)
	return Registry{Name: host, APIURL: "https://" + host, Prefix: host, TagSortMode: TagSortNone}
}

// DefaultRegistry returns the registry of images written without a
// registry host. ok is true when an entry says default: true; otherwise
// the result is Docker Hub (the entry whose prefix covers docker.io, or
// the built-in one) and ok is false.
func (c *Config) DefaultRegistry() (r Registry, ok bool) {
	if c != nil {
		for _, r := range c.Registries {
			if r.Default {
				return r, true
			}
		}
	}
	return c.Lookup(DockerHubHost, ""), false
}

// Lookup returns the settings for repository on host: the entry whose
// prefix is the longest match of host/repository on a path-segment
// boundary, else built-in Docker Hub for docker.io, else [Plain](host).
// The host is compared case-insensitively; Docker Hub aliases
// (index.docker.io, registry-1.docker.io) count as docker.io. An empty
// host means the default registry ([Config.DefaultRegistry]).
// Lookup never fails; a nil Config has no entries.
func (c *Config) Lookup(host, repository string) Registry {
	if host == "" {
		r, _ := c.DefaultRegistry()
		return r
	}
	host = normalizeHost(host)
	if r, ok := c.longestPrefixMatch(host, strings.Trim(repository, "/")); ok {
		return r
	}
	if host == DockerHubHost {
		return DockerHub()
	}
	return Plain(host)
}

func (c *Config) longestPrefixMatch(host, repository string) (Registry, bool) {
	if c == nil {
		return Registry{}, false
	}
	name := host
	if repository != "" {
		name += "/" + repository
	}
	best, found := Registry{}, false
	for _, r := range c.Registries {
		if matchesPrefix(name, r.Prefix) && (!found || len(r.Prefix) > len(best.Prefix)) {
			best, found = r, true
		}
	}
	return best, found
}

// matchesPrefix reports whether name starts with prefix at a path-segment
// boundary: "ghcr.io/team" matches "ghcr.io/team/app" but not
// "ghcr.io/teamx/app".
func matchesPrefix(name, prefix string) bool {
	if prefix == "" || !strings.HasPrefix(name, prefix) {
		return false
	}
	return len(name) == len(prefix) || name[len(prefix)] == '/'
}

// Host returns the host[:port] part of the prefix.
func (r Registry) Host() string {
	host, _, _ := strings.Cut(r.Prefix, "/")
	return host
}

// NormalizeRepository prefixes the default namespace to a one-part
// repository name ("nginx" -> "library/nginx" on Docker Hub).
func (r Registry) NormalizeRepository(repository string) string {
	if r.DefaultNS == "" || repository == "" || strings.Contains(repository, "/") {
		return repository
	}
	return r.DefaultNS + "/" + repository
}

// normalizeHost lower-cases a host and maps Docker Hub aliases to
// docker.io.
func normalizeHost(host string) string {
	host = strings.ToLower(host)
	switch host {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return DockerHubHost
	}
	return host
}
