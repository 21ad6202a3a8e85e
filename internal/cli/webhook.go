package cli

import (
	"log/slog"
	"net"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/httpserve"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// webhookFlags configure the registry webhook server; each flag's default
// comes from the environment variable Argo CD Image Updater's manifests set.
type webhookFlags struct {
	enabled         bool
	port            int
	bindAddress     string
	requireSecret   bool
	unauthenticated bool
	perHour         int
	secrets         map[string]*string
	// secretEnv holds the secrets from the environment, kept out of the
	// flags' defaults so that --help never prints them.
	secretEnv  map[string]string
	disableTLS bool
	tls        webhook.TLSOptions
}

// webhookSecretFlag names, per webhook type, the flag and environment
// variable holding its secret (upstream's names, plus gitlab and
// distribution).
var webhookSecretFlag = []struct{ typ, flag, env string }{
	{"docker.io", "docker-webhook-secret", "DOCKER_WEBHOOK_SECRET"},
	{"ghcr.io", "ghcr-webhook-secret", "GHCR_WEBHOOK_SECRET"},
	{"quay.io", "quay-webhook-secret", "QUAY_WEBHOOK_SECRET"},
	{"harbor", "harbor-webhook-secret", "HARBOR_WEBHOOK_SECRET"},
	{"aliyun-acr", "aliyun-acr-webhook-secret", "ALIYUN_ACR_WEBHOOK_SECRET"},
	{"acr", "acr-webhook-secret", "ACR_WEBHOOK_SECRET"},
	{"cloudevents", "cloudevents-webhook-secret", "CLOUDEVENTS_WEBHOOK_SECRET"},
	{"gitlab", "gitlab-webhook-secret", "GITLAB_WEBHOOK_SECRET"},
	{"distribution", "distribution-webhook-secret", "DISTRIBUTION_WEBHOOK_SECRET"},
}

// register adds the webhook flags to f; defaultPort is the port when
// WEBHOOK_PORT is unset (upstream: 8082 for run, 8080 for webhook).
func (w *webhookFlags) register(f *pflag.FlagSet, env *envSource, defaultPort int) {
	f.BoolVar(&w.enabled, "enable-webhook", env.boolean("enable-webhook", "ENABLE_WEBHOOK", false), "serve registry webhooks: a push re-checks the pushed repository at once (env ENABLE_WEBHOOK)")
	f.IntVar(&w.port, "webhook-port", env.number("webhook-port", "WEBHOOK_PORT", defaultPort, 0, 65535), "port of the webhook server, POST /webhook?type=TYPE (env WEBHOOK_PORT; 0 = off)")
	f.StringVar(&w.bindAddress, "webhook-bind-address", env.str("", "WEBHOOK_BIND_ADDRESS"), "host:port of the webhook server (overrides --webhook-port)")
	f.BoolVar(&w.requireSecret, "webhook-require-secret", env.boolean("webhook-require-secret", "WEBHOOK_REQUIRE_SECRET", true), "accept only webhook types that have a secret (env WEBHOOK_REQUIRE_SECRET); false lets types without one through unauthenticated")
	f.BoolVar(&w.unauthenticated, "webhook-allow-unauthenticated", false, "same as --webhook-require-secret=false (unsafe)")
	f.IntVar(&w.perHour, "webhook-ratelimit-allowed", env.number("webhook-ratelimit-allowed", "WEBHOOK_RATELIMIT_ALLOWED", 0, 0, 1<<30), "webhook requests allowed per client and hour, in bursts of up to that many (env WEBHOOK_RATELIMIT_ALLOWED; 0 = no hourly limit, the built-in flood guard of 10/s stays)")
	w.secrets, w.secretEnv = map[string]*string{}, map[string]string{}
	for _, s := range webhookSecretFlag {
		w.secrets[s.typ] = f.String(s.flag, "", "secret of "+s.typ+" webhooks (default: env "+s.env+")")
		w.secretEnv[s.typ] = env.str("", s.env)
	}
	f.BoolVar(&w.disableTLS, "disable-tls", env.boolean("disable-tls", "DISABLE_TLS", false), "serve webhooks over plain HTTP (env DISABLE_TLS)")
	f.StringVar(&w.tls.MinVersion, "tlsminversion", env.str(webhook.DefaultTLSMinVersion, "TLS_MIN_VERSION"), "minimum TLS version of the webhook server: 1.1, 1.2 or 1.3 (env TLS_MIN_VERSION)")
	f.StringVar(&w.tls.MaxVersion, "tlsmaxversion", env.str(webhook.DefaultTLSMaxVersion, "TLS_MAX_VERSION"), "maximum TLS version of the webhook server (env TLS_MAX_VERSION)")
	f.StringVar(&w.tls.Ciphers, "tlsciphers", env.str("", "TLS_CIPHERS"), "colon-separated TLS 1.2 cipher suites of the webhook server (env TLS_CIPHERS)")
	f.StringVar(&w.tls.CertFile, "webhook-tls-cert-file", webhook.DefaultTLSCertFile, "webhook server certificate (PEM); when it and the key are absent a self-signed one is generated")
	f.StringVar(&w.tls.KeyFile, "webhook-tls-key-file", webhook.DefaultTLSKeyFile, "webhook server private key (PEM)")
	f.BoolVar(&w.tls.EnableHTTP2, "enable-http2", false, "offer HTTP/2 on the HTTPS webhook and metrics servers (off: rapid-reset attacks)")
}

// address is where the webhook server listens ("" = off).
func (w *webhookFlags) address() string {
	if w.bindAddress != "" {
		return w.bindAddress
	}
	if w.port == 0 {
		return ""
	}
	return net.JoinHostPort("", strconv.Itoa(w.port))
}

// config builds the webhook server's configuration from the flags.
func (w *webhookFlags) config(logger *slog.Logger) webhook.Config {
	secrets := map[string]string{}
	for typ, v := range w.secretEnv {
		if v != "" {
			secrets[typ] = v
		}
	}
	for typ, v := range w.secrets {
		if v != nil && *v != "" {
			secrets[typ] = *v
		}
	}
	cfg := webhook.Config{Secrets: secrets, AllowUnauthenticated: w.unauthenticated || !w.requireSecret, Logger: logger}
	if w.perHour > 0 {
		cfg.RequestsPerSecond = float64(w.perHour) / 3600
		cfg.RateBurst = w.perHour
	}
	return cfg
}

// options are the webhook server's settings from the flags.
func (w *webhookFlags) options(logger *slog.Logger) httpserve.WebhookOptions {
	return httpserve.WebhookOptions{Addr: w.address(), Config: w.config(logger), TLS: !w.disableTLS, TLSOptions: w.tls}
}
