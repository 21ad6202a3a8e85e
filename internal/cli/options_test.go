package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/git"
)

// runOptions are the options of `run` (and the in-cluster webhook), built
// from an environment and arguments the way the commands build them.
type runOptions struct {
	repo  *repoOptions
	ctrl  *controllerOptions
	hooks *webhookFlags
	api   *apiFlags
	flags *pflag.FlagSet
	env   *envSource
}

func parseRun(t *testing.T, environ map[string]string, args ...string) (runOptions, error) {
	t.Helper()
	r := runOptions{repo: &repoOptions{}, hooks: &webhookFlags{}, api: &apiFlags{}, env: mapEnv(environ)}
	r.ctrl = &controllerOptions{common: r.repo}
	r.flags = pflag.NewFlagSet("run", pflag.ContinueOnError)
	r.hooks.register(r.flags, r.env, 8082)
	r.api.register(r.flags, r.env)
	registerControllerFlags(r.flags, r.env, r.ctrl)
	r.repo.register(r.flags, r.env)
	if err := r.flags.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := r.repo.prepare(r.flags, r.env, false); err != nil {
		return r, err
	}
	return r, r.ctrl.validate()
}

// upstreamEnv is what Argo CD Image Updater v1.3's Deployment sets from a
// fully filled argocd-image-updater-config ConfigMap and
// argocd-image-updater-secret Secret.
var upstreamEnv = map[string]string{
	"ARGOCD_NAMESPACE":               "argo",
	"IMAGE_UPDATER_WATCH_NAMESPACES": "team-a, team-b",
	"IMAGE_UPDATER_INTERVAL":         "5m",
	"IMAGE_UPDATER_LOGLEVEL":         "debug",
	"IMAGE_UPDATER_LOGFORMAT":        "json",
	"MAX_CONCURRENT_APPS":            "7",
	"MAX_CONCURRENT_RECONCILES":      "4",
	"GIT_COMMIT_USER":                "bot",
	"GIT_COMMIT_EMAIL":               "bot@example.com",
	"GIT_COMMIT_SIGNING_KEY":         "/app/ssh-keys/id_rsa",
	"GIT_COMMIT_SIGNING_METHOD":      "ssh",
	"GIT_COMMIT_SIGN_OFF":            "true",
	"IMAGE_UPDATER_KUBE_EVENTS":      "true",
	"ENABLE_WEBHOOK":                 "true",
	"WEBHOOK_REQUIRE_SECRET":         "false",
	"WEBHOOK_PORT":                   "9443",
	"QUAY_WEBHOOK_SECRET":            "q",
	"DOCKER_WEBHOOK_SECRET":          "d",
	"GHCR_WEBHOOK_SECRET":            "g",
	"HARBOR_WEBHOOK_SECRET":          "h",
	"ALIYUN_ACR_WEBHOOK_SECRET":      "al",
	"ACR_WEBHOOK_SECRET":             "a",
	"CLOUDEVENTS_WEBHOOK_SECRET":     "c",
	"WEBHOOK_RATELIMIT_ALLOWED":      "7200",
	"DISABLE_TLS":                    "true",
	"TLS_MIN_VERSION":                "1.2",
	"TLS_MAX_VERSION":                "1.3",
	"TLS_CIPHERS":                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
}

func TestUpstreamEnvironmentMapsToOptions(t *testing.T) {
	r, err := parseRun(t, upstreamEnv)
	if err != nil {
		t.Fatal(err)
	}
	o, c, h := r.repo, r.ctrl, r.hooks
	checks := []struct {
		name      string
		got, want any
	}{
		{"argocd namespace", o.namespace, "argo"},
		{"watch namespaces", strings.Join(c.watchNamespaces, ","), "team-a,team-b"},
		{"log level", o.loglevel, "debug"},
		{"log format", o.logformat, "json"},
		{"max concurrent apps", o.concurrency, 7},
		{"max concurrent reconciles", c.maxConcurrentReconciles, 4},
		{"git user", o.git.commitUser, "bot"},
		{"git email", o.git.commitEmail, "bot@example.com"},
		{"signing key", o.git.signingKey, "/app/ssh-keys/id_rsa"},
		{"signing method", o.git.signingMethod, git.SigningSSH},
		{"sign-off", o.git.signOff, true},
		{"kube events disabled", c.disableKubeEvents, true},
		{"webhook enabled", h.enabled, true},
		{"webhook address", h.address(), ":9443"},
		{"require secret", h.requireSecret, false},
		{"disable tls", h.disableTLS, true},
		{"tls min", h.tls.MinVersion, "1.2"},
		{"tls max", h.tls.MaxVersion, "1.3"},
		{"tls ciphers", h.tls.Ciphers, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{"rate per hour", h.perHour, 7200},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	cfg := h.config(slog.New(slog.DiscardHandler))
	want := map[string]string{"quay.io": "q", "docker.io": "d", "ghcr.io": "g", "harbor": "h", "aliyun-acr": "al", "acr": "a", "cloudevents": "c"}
	if len(cfg.Secrets) != len(want) {
		t.Errorf("secrets %v", keys(cfg.Secrets))
	}
	for typ, s := range want {
		if cfg.Secrets[typ] != s {
			t.Errorf("secret of %s = %q, want %q", typ, cfg.Secrets[typ], s)
		}
	}
	if !cfg.AllowUnauthenticated || cfg.RequestsPerSecond != 2 || cfg.RateBurst != 7200 {
		t.Errorf("webhook config: unauthenticated %v, %v/s, burst %d", cfg.AllowUnauthenticated, cfg.RequestsPerSecond, cfg.RateBurst)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRunDefaultsMatchUpstream(t *testing.T) {
	r, err := parseRun(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, c, h := r.repo, r.ctrl, r.hooks
	checks := []struct {
		name      string
		got, want any
	}{
		{"argocd namespace: own namespace", o.namespace, ""},
		{"registries.conf", o.confPath, "/app/config/registries.conf"},
		{"registries.conf may be absent", o.confOptional, true},
		{"commit template", o.git.messagePath, "/app/config/commit.template"},
		{"commit template may be absent", o.git.messageOptional, true},
		{"max concurrent apps", o.concurrency, 10},
		{"max concurrent reconciles", c.maxConcurrentReconciles, 1},
		{"kube events on", c.disableKubeEvents, false},
		{"leader election", c.leaderElection, true},
		{"leader election namespace", c.leaderElectionNamespace, ""},
		{"metrics off", c.metricsAddr, "0"},
		{"metrics secure", c.metricsSecure, true},
		{"health probes", c.healthProbeAddr, ":8081"},
		{"webhook off", h.enabled, false},
		{"webhook port", h.address(), ":8082"},
		{"require secret", h.requireSecret, true},
		{"TLS on", h.disableTLS, false},
		{"tls min", h.tls.MinVersion, "1.3"},
		{"tls max", h.tls.MaxVersion, "1.3"},
		{"cert", h.tls.CertFile, "/app/config/tls/tls.crt"},
		{"key", h.tls.KeyFile, "/app/config/tls/tls.key"},
		{"http2 off", h.tls.EnableHTTP2, false},
		{"no rate limit per hour", h.perHour, 0},
		{"api off", r.api.address(), ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if cfg := h.config(slog.New(slog.DiscardHandler)); cfg.AllowUnauthenticated || len(cfg.Secrets) != 0 {
		t.Errorf("default webhook config %+v", cfg)
	}
}

func TestRunEnvironmentErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"apps zero", map[string]string{"MAX_CONCURRENT_APPS": "0"}, nil, "MAX_CONCURRENT_APPS"},
		{"apps too many", map[string]string{"MAX_CONCURRENT_APPS": "101"}, nil, "from 1 to 100"},
		{"reconciles", map[string]string{"MAX_CONCURRENT_RECONCILES": "11"}, nil, "MAX_CONCURRENT_RECONCILES"},
		{"kube events", map[string]string{"IMAGE_UPDATER_KUBE_EVENTS": "off"}, nil, "want true or false"},
		{"require secret", map[string]string{"WEBHOOK_REQUIRE_SECRET": "no"}, nil, "WEBHOOK_REQUIRE_SECRET"},
		{"rate limit", map[string]string{"WEBHOOK_RATELIMIT_ALLOWED": "-1"}, nil, "WEBHOOK_RATELIMIT_ALLOWED"},
		{"disable tls", map[string]string{"DISABLE_TLS": "1"}, nil, "DISABLE_TLS"},
		{"sign-off", map[string]string{"GIT_COMMIT_SIGN_OFF": "y"}, nil, "GIT_COMMIT_SIGN_OFF"},
		{"flag wins over bad env", map[string]string{"MAX_CONCURRENT_APPS": "x"}, []string{"--max-concurrent-apps", "2"}, ""},
		{"flag apps zero", nil, []string{"--max-concurrent-apps", "0"}, "--max-concurrent-apps 0"},
		{"flag reconciles", nil, []string{"--max-concurrent-reconciles", "20"}, "want 1 to 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRun(t, tt.env, tt.args...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestArgoCDNamespaceSources(t *testing.T) {
	tests := []struct {
		env  map[string]string
		repo bool
		want string
	}{
		{map[string]string{"ARGOCD_NAMESPACE": "a", "IMAGE_UPDATER_ARGOCD_NAMESPACE": "b"}, false, "a"},
		{map[string]string{"IMAGE_UPDATER_ARGOCD_NAMESPACE": "b"}, false, "b"},
		{nil, false, ""}, // resolved to the controller's own namespace later
		{nil, true, "argocd"},
		{map[string]string{"ARGOCD_NAMESPACE": "a"}, true, "a"},
	}
	for _, tt := range tests {
		o := &repoOptions{}
		env := mapEnv(tt.env)
		f := pflag.NewFlagSet("t", pflag.ContinueOnError)
		o.register(f, env)
		if err := o.prepare(f, env, tt.repo); err != nil {
			t.Fatal(err)
		}
		if o.namespace != tt.want {
			t.Errorf("env %v repo %v: namespace %q, want %q", tt.env, tt.repo, o.namespace, tt.want)
		}
	}
}

func TestWebhookFlagsAddressAndSecrets(t *testing.T) {
	r, err := parseRun(t, map[string]string{"DOCKER_WEBHOOK_SECRET": "from-env"},
		"--webhook-bind-address", "127.0.0.1:0", "--docker-webhook-secret", "from-flag", "--gitlab-webhook-secret", "gl",
		"--distribution-webhook-secret", "dist", "--webhook-allow-unauthenticated", "--api-bind-address", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.hooks.config(slog.New(slog.DiscardHandler))
	if r.hooks.address() != "127.0.0.1:0" || cfg.Secrets["docker.io"] != "from-flag" || cfg.Secrets["gitlab"] != "gl" || cfg.Secrets["distribution"] != "dist" || !cfg.AllowUnauthenticated {
		t.Fatalf("address %q config %+v", r.hooks.address(), cfg)
	}
	if r.api.address() != "127.0.0.1:7000" {
		t.Fatalf("api address %q", r.api.address())
	}
	r, _ = parseRun(t, nil, "--webhook-port", "0", "--api-port", "7001")
	if r.hooks.address() != "" || r.api.address() != ":7001" {
		t.Fatalf("port 0: %q, api %q", r.hooks.address(), r.api.address())
	}
}

func TestDefaultPathsMayBeAbsentOthersMayNot(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{name: "defaults absent", env: nil},
		{name: "explicit conf absent", args: []string{"--registries-conf-path", missing}, wantErr: "registries configuration"},
		{name: "conf from env absent", env: map[string]string{"IMAGE_UPDATER_REGISTRIES_CONF_PATH": missing}, wantErr: "registries configuration"},
		{name: "explicit template absent", args: []string{"--git-commit-message-path", missing}, wantErr: "--git-commit-message-path"},
	}
	if _, err := os.Stat(defaultRegistriesConfPath); err == nil {
		t.Skip("this machine has " + defaultRegistriesConfPath)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRun(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.repo.loadConf()
			if err == nil {
				var mgr *git.Manager
				mgr, err = r.repo.git.manager(slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
				if err == nil {
					_, err = r.repo.git.writer(mgr, staticCredentials{}, slog.New(slog.DiscardHandler), true)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestHelpNeverShowsWebhookSecrets(t *testing.T) {
	r, err := parseRun(t, map[string]string{"DOCKER_WEBHOOK_SECRET": "hush-d0cker"})
	if err != nil {
		t.Fatal(err)
	}
	if usage := r.flags.FlagUsages(); strings.Contains(usage, "hush-d0cker") {
		t.Fatalf("--help shows a secret:\n%s", usage)
	}
	if got := r.hooks.config(slog.New(slog.DiscardHandler)).Secrets["docker.io"]; got != "hush-d0cker" {
		t.Fatalf("secret from the environment lost: %q", got)
	}
}
