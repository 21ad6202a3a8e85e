package credentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Keys of the Secret types kubernetes.io/dockerconfigjson and the legacy
// kubernetes.io/dockercfg.
const (
	dockerConfigJSONKey = ".dockerconfigjson"
	dockerCfgKey        = ".dockercfg"
)

// pullSecretSource picks the registry's entry of a Docker pull secret.
type pullSecretSource struct {
	ref    ref
	getter SecretGetter
	host   string
}

// String names the reference.
func (s *pullSecretSource) String() string { return s.ref.String() }

// Resolve reads the Secret on every call.
func (s *pullSecretSource) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	data, err := s.getter.GetSecret(ctx, s.ref.namespace, s.ref.name)
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: reading secret: %w", s, err)
	}
	auths, err := decodeAuths(data)
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: %w", s, err)
	}
	cfg, err := PickAuth(auths, s.host)
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: %w", s, err)
	}
	return cfg, nil
}

// DockerAuth is one entry of a Docker config's "auths" map.
type DockerAuth struct {
	Auth          string `json:"auth,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// decodeAuths reads .dockerconfigjson ({"auths": {...}}) or the legacy
// .dockercfg (the map itself). Decoding errors are summarised, not quoted:
// the JSON holds passwords.
func decodeAuths(data map[string][]byte) (map[string]DockerAuth, error) {
	if raw, ok := data[dockerConfigJSONKey]; ok {
		var cfg struct {
			Auths map[string]DockerAuth `json:"auths"`
		}
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("key %s is not valid Docker config JSON", dockerConfigJSONKey)
		}
		return cfg.Auths, nil
	}
	if raw, ok := data[dockerCfgKey]; ok {
		var auths map[string]DockerAuth
		if err := json.Unmarshal(raw, &auths); err != nil {
			return nil, fmt.Errorf("key %s is not valid Docker config JSON", dockerCfgKey)
		}
		return auths, nil
	}
	return nil, fmt.Errorf("secret has neither %s nor %s", dockerConfigJSONKey, dockerCfgKey)
}

// PickAuth returns the credentials of the auths entry for host, matched as
// the Docker client does: an exact key first, then keys equal to host after
// normalisation (scheme and path removed, lower case, Docker Hub aliases
// merged). Among several normalised matches the lexically first key wins,
// so the choice is stable.
func PickAuth(auths map[string]DockerAuth, host string) (authn.AuthConfig, error) {
	if entry, ok := auths[host]; ok {
		return entry.authConfig(host)
	}
	want := NormalizeHost(host)
	keys := make([]string, 0, len(auths))
	for key := range auths {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if NormalizeHost(key) == want {
			return auths[key].authConfig(key)
		}
	}
	return authn.AuthConfig{}, fmt.Errorf("no auths entry for registry %q (entries: %s)", host, strings.Join(keys, ", "))
}

func (a DockerAuth) authConfig(key string) (authn.AuthConfig, error) {
	what := fmt.Sprintf("auths entry %q", key)
	var cfg authn.AuthConfig
	switch {
	case a.Auth != "":
		decoded, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil {
			return authn.AuthConfig{}, fmt.Errorf("%s: field auth is not valid base64", what)
		}
		if cfg, err = SplitUserPassword(string(decoded), what+" field auth"); err != nil {
			return authn.AuthConfig{}, err
		}
	case a.Username != "" || a.Password != "":
		if a.Username == "" || a.Password == "" {
			return authn.AuthConfig{}, fmt.Errorf("%s: username and password must both be set", what)
		}
		cfg = authn.AuthConfig{Username: a.Username, Password: a.Password}
	case a.IdentityToken == "" && a.RegistryToken == "":
		return authn.AuthConfig{}, fmt.Errorf("%s: has no credentials", what)
	}
	cfg.IdentityToken, cfg.RegistryToken = a.IdentityToken, a.RegistryToken
	return cfg, nil
}

// dockerHubHost is the canonical name of Docker Hub.
const dockerHubHost = "docker.io"

// NormalizeHost reduces a registry address ("https://Index.Docker.io/v1/",
// "ghcr.io/owner") to a lower-case host[:port]; Docker Hub's aliases become
// "docker.io".
func NormalizeHost(address string) string {
	h := strings.ToLower(strings.TrimSpace(address))
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	h, _, _ = strings.Cut(h, "/")
	switch h {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return dockerHubHost
	}
	return h
}
