package registryconf

import "time"

// Registry is one entry of registries.conf, or a built-in or implied one.
type Registry struct {
	// Name is a human-readable label.
	Name string
	// APIURL is the registry's base URL, e.g. https://registry-1.docker.io.
	APIURL string
	// Prefix is matched against image names (host, optionally with a path).
	Prefix string
	// Credentials is a credential reference: secret:ns/name#key,
	// pullsecret:ns/name, env:VAR, ext:/abs/path or provider:NAME[?opts]
	// (cloud workload identity). Empty means anonymous
	// (or the Docker config keychain).
	Credentials string
	// CredsExpire is how long resolved credentials are cached; 0 = forever.
	CredsExpire time.Duration
	// DefaultNS is prefixed to one-part repository names (library on Docker Hub).
	DefaultNS string
	// Default marks the registry used for images without a registry host.
	Default bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// CAFile and CAData add trusted certificate authorities (PEM).
	CAFile string
	CAData string
	// Limit is the maximum requests per second to this registry; 0 = unlimited.
	Limit float64
	// TagSortMode is none, latest-first or latest-last.
	TagSortMode string
}
