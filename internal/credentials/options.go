package credentials

import (
	"crypto/tls"
	"os"
	"time"

	"github.com/imagepilot/imagepilot/internal/cloudauth"
)

// DefaultExtTimeout bounds an ext: script's run time.
const DefaultExtTimeout = 10 * time.Second

// Option configures [ParseRef].
type Option func(*options)

type options struct {
	getter       SecretGetter
	registryHost string
	apiURL       string
	tls          *tls.Config
	allowPlain   bool
	extTimeout   time.Duration
	lookupEnv    func(string) (string, bool)
	saTokens     cloudauth.ServiceAccountTokens
}

func defaultOptions() options {
	return options{extTimeout: DefaultExtTimeout, lookupEnv: os.LookupEnv}
}

// WithSecretGetter sets how secret: and pullsecret: references read
// Kubernetes Secrets.
func WithSecretGetter(g SecretGetter) Option {
	return func(o *options) { o.getter = g }
}

// WithRegistryHost sets the registry host (e.g. "ghcr.io" or
// "registry.example.com:5000") whose entry a pullsecret: reference picks.
func WithRegistryHost(host string) Option {
	return func(o *options) { o.registryHost = host }
}

// AllowPlain admits a literal "user:password" reference. Only the command
// line should allow it: configuration must not hold passwords.
func AllowPlain() Option {
	return func(o *options) { o.allowPlain = true }
}

// WithExtTimeout replaces [DefaultExtTimeout] for ext: scripts.
func WithExtTimeout(d time.Duration) Option {
	return func(o *options) { o.extTimeout = d }
}

// WithLookupEnv replaces os.LookupEnv for env: references (for tests and
// for callers with their own environment).
func WithLookupEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.lookupEnv = lookup }
}

// WithRegistryAPI sets where the registry answers (registries.conf api_url)
// and its TLS configuration; provider:azure sends its token exchange there.
// Without it the registry host over https with the system roots is used.
func WithRegistryAPI(apiURL string, tlsConfig *tls.Config) Option {
	return func(o *options) { o.apiURL, o.tls = apiURL, tlsConfig }
}

// WithServiceAccountTokens sets how provider: references with
// serviceAccount= obtain Kubernetes service account tokens (the
// controller's TokenRequest client). Without it such references are
// refused.
func WithServiceAccountTokens(t cloudauth.ServiceAccountTokens) Option {
	return func(o *options) { o.saTokens = t }
}
