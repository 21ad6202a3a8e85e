package cli

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// Commands by the options they share.
var (
	repoCommands    = []string{"plan", "run", "webhook", "trigger", "hold", "release", "holds"}
	backendCommands = []string{"trigger", "hold", "release", "holds"}
	clusterCommands = []string{"run", "webhook"}
	serverCommands  = []string{"run", "webhook"}
)

// parsedFlag builds the command tree with env set (and the rest of
// commandEnv unset), parses args for the subcommand, and returns the
// value of flag.
func parsedFlag(t *testing.T, env map[string]string, command, flag string, args ...string) string {
	t.Helper()
	cleanEnv(t, env)
	root := newRoot(io.Discard, io.Discard)
	cmd, _, err := root.Find([]string{command})
	if err != nil || cmd == root {
		t.Fatalf("no command %s: %v", command, err)
	}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("%s %v: %v", command, args, err)
	}
	f := cmd.Flags().Lookup(flag)
	if f == nil {
		t.Fatalf("%s has no --%s", command, flag)
	}
	return f.Value.String()
}

// TestEnvironmentGivesFlagDefaults: each environment variable sets its
// flag's value on every command that has the flag, the flag on the command
// line wins over it, and without either the built-in default holds.
func TestEnvironmentGivesFlagDefaults(t *testing.T) {
	tests := []struct {
		env, flag string
		commands  []string
		// def is the value with neither; fromEnv the value with env set to
		// envValue; --flag=flagValue gives flagValue.
		def, envValue, fromEnv, flagValue string
	}{
		{"IMAGEPILOT_REPO", "repo", repoCommands, "", "https://git.example.com/a.git", "https://git.example.com/a.git", "/srv/gitops"},
		{"IMAGEPILOT_BRANCH", "branch", repoCommands, "", "release", "release", "main"},
		{"ARGOCD_NAMESPACE", "argocd-namespace", repoCommands, "", "argo", "argo", "cd"},
		{"IMAGE_UPDATER_ARGOCD_NAMESPACE", "argocd-namespace", repoCommands, "", "argo2", "argo2", "cd"},
		{"MAX_CONCURRENT_APPS", "max-concurrent-apps", repoCommands, "10", "7", "7", "3"},
		{"IMAGEPILOT_CYCLE_TIMEOUT", "cycle-timeout", repoCommands, "10m0s", "90s", "1m30s", "1h0m0s"},
		{"IMAGE_UPDATER_REGISTRIES_CONF_PATH", "registries-conf-path", repoCommands, defaultRegistriesConfPath, "/etc/ip/registries.conf", "/etc/ip/registries.conf", "/r.conf"},
		{"IMAGE_UPDATER_LOGLEVEL", "loglevel", []string{"run", "webhook"}, "info", "debug", "debug", "error"},
		{"IMAGE_UPDATER_LOGLEVEL", "loglevel", []string{"plan", "trigger", "hold", "release", "holds"}, "warn", "debug", "debug", "error"},
		{"IMAGE_UPDATER_LOGFORMAT", "logformat", repoCommands, "text", "json", "json", "text"},
		{"GIT_COMMIT_USER", "git-commit-user", repoCommands, "imagepilot", "bot", "bot", "me"},
		{"GIT_COMMIT_EMAIL", "git-commit-email", repoCommands, "imagepilot@localhost", "bot@example.com", "bot@example.com", "me@example.com"},
		{"GIT_COMMIT_MESSAGE_PATH", "git-commit-message-path", repoCommands, defaultCommitTemplatePath, "/etc/ip/commit.tmpl", "/etc/ip/commit.tmpl", "/c.tmpl"},
		{"GIT_COMMIT_SIGN_OFF", "git-commit-sign-off", repoCommands, "false", "TRUE", "true", "false"},
		{"GIT_COMMIT_SIGNING_KEY", "git-commit-signing-key", repoCommands, "", "/app/ssh-keys/id_rsa", "/app/ssh-keys/id_rsa", "ABCD1234"},
		{"GIT_COMMIT_SIGNING_METHOD", "git-commit-signing-method", repoCommands, "openpgp", "ssh", "ssh", "openpgp"},
		{"IMAGEPILOT_GIT_CACHE_DIR", "git-cache-dir", repoCommands, filepath.Join(os.TempDir(), "imagepilot-git"), "/var/cache/ip", "/var/cache/ip", "/c"},
		{"IMAGEPILOT_GIT_LOCK_TIMEOUT", "git-lock-timeout", repoCommands, git.DefaultLockTimeout.String(), "30s", "30s", "5m"},
		{"IMAGEPILOT_GIT_USERNAME", "git-username", repoCommands, "", "bot", "bot", "me"},
		{"IMAGEPILOT_GIT_SSH_KEY", "git-ssh-key", repoCommands, "", "/keys/id", "/keys/id", "/k"},
		{"IMAGEPILOT_GIT_KNOWN_HOSTS", "git-known-hosts", repoCommands, "", "/keys/known_hosts", "/keys/known_hosts", "/kh"},
		{"IMAGEPILOT_GIT_CA_FILE", "git-ca-file", repoCommands, "", "/etc/ca.pem", "/etc/ca.pem", "/ca"},
		{"IMAGEPILOT_SERVER", "server", backendCommands, "", "http://imagepilot:8090", "http://imagepilot:8090", "http://other:1"},
		{"KUBECONFIG", "kubeconfig", clusterCommands, "", "/kube/config", "/kube/config", "/k"},
		{"IMAGE_UPDATER_WATCH_NAMESPACES", "watch-namespaces", clusterCommands, "[]", "team-a, team-b", "[team-a,team-b]", "x"},
		{"IMAGE_UPDATER_KUBE_EVENTS", "disable-kube-events", clusterCommands, "false", "true", "true", "false"},
		{"IMAGE_UPDATER_HEALTH_PROBE_BIND_ADDRESS", "health-probe-bind-address", []string{"run"}, ":8081", ":9091", ":9091", "0"},
		{"IMAGE_UPDATER_METRICS_BIND_ADDRESS", "metrics-bind-address", []string{"run"}, "0", ":8443", ":8443", ":9090"},
		{"IMAGE_UPDATER_LEADER_ELECTION", "leader-election", []string{"run"}, "true", "false", "false", "true"},
		{"MAX_CONCURRENT_RECONCILES", "max-concurrent-reconciles", []string{"run"}, "1", "4", "4", "2"},
		{"IMAGE_UPDATER_INTERVAL", "interval", []string{"run"}, "2m0s", "5m", "5m0s", "30s"},
		{"ENABLE_WEBHOOK", "enable-webhook", serverCommands, "false", "true", "true", "false"},
		{"WEBHOOK_PORT", "webhook-port", []string{"run"}, "8082", "9443", "9443", "1"},
		{"WEBHOOK_PORT", "webhook-port", []string{"webhook"}, "8080", "9443", "9443", "1"},
		{"WEBHOOK_BIND_ADDRESS", "webhook-bind-address", serverCommands, "", "127.0.0.1:8088", "127.0.0.1:8088", ":1"},
		{"WEBHOOK_REQUIRE_SECRET", "webhook-require-secret", serverCommands, "true", "false", "false", "true"},
		{"WEBHOOK_RATELIMIT_ALLOWED", "webhook-ratelimit-allowed", serverCommands, "0", "7200", "7200", "60"},
		{"DISABLE_TLS", "disable-tls", serverCommands, "false", "true", "true", "false"},
		{"TLS_MIN_VERSION", "tlsminversion", serverCommands, webhook.DefaultTLSMinVersion, "1.2", "1.2", "1.1"},
		{"TLS_MAX_VERSION", "tlsmaxversion", serverCommands, webhook.DefaultTLSMaxVersion, "1.2", "1.2", "1.3"},
		{"TLS_CIPHERS", "tlsciphers", serverCommands, "", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "X"},
		{"IMAGEPILOT_API_PORT", "api-port", serverCommands, "0", "8090", "8090", "8091"},
		{"IMAGEPILOT_API_BIND_ADDRESS", "api-bind-address", serverCommands, "", "127.0.0.1:8090", "127.0.0.1:8090", ":1"},
	}
	for _, tt := range tests {
		for _, command := range tt.commands {
			t.Run(command+" "+tt.env, func(t *testing.T) {
				if got := parsedFlag(t, nil, command, tt.flag); got != tt.def {
					t.Errorf("default --%s = %q, want %q", tt.flag, got, tt.def)
				}
				env := map[string]string{tt.env: tt.envValue}
				if got := parsedFlag(t, env, command, tt.flag); got != tt.fromEnv {
					t.Errorf("%s=%q: --%s = %q, want %q", tt.env, tt.envValue, tt.flag, got, tt.fromEnv)
				}
				want := tt.flagValue
				if strings.HasPrefix(tt.def, "[") { // a list prints in brackets
					want = "[" + want + "]"
				}
				if got := parsedFlag(t, env, command, tt.flag, "--"+tt.flag+"="+tt.flagValue); got != want {
					t.Errorf("--%s=%s with %s set: %q, the flag must win", tt.flag, tt.flagValue, tt.env, got)
				}
			})
		}
	}
}

// TestVariablesOnlySomeCommandsRead: a variable sets only the commands it
// belongs to (check has its own defaults; the webhook command does not
// poll by IMAGE_UPDATER_INTERVAL; the first namespace variable wins).
func TestVariablesOnlySomeCommandsRead(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		command, flag string
		want          string
	}{
		{"check ignores the registries.conf variable", map[string]string{"IMAGE_UPDATER_REGISTRIES_CONF_PATH": "/etc/r.conf"}, "check", "registries-conf-path", ""},
		{"check ignores KUBECONFIG", map[string]string{"KUBECONFIG": "/kube/config"}, "check", "kubeconfig", ""},
		{"check logs warnings only by default", map[string]string{"IMAGE_UPDATER_LOGLEVEL": "debug"}, "check", "loglevel", "warn"},
		{"webhook polls only when asked", map[string]string{"IMAGE_UPDATER_INTERVAL": "5m"}, "webhook", "interval", "0s"},
		{"ARGOCD_NAMESPACE wins over IMAGE_UPDATER_ARGOCD_NAMESPACE", map[string]string{"ARGOCD_NAMESPACE": "a", "IMAGE_UPDATER_ARGOCD_NAMESPACE": "b"}, "run", "argocd-namespace", "a"},
		{"a blank value counts as unset", map[string]string{"MAX_CONCURRENT_APPS": "  "}, "plan", "max-concurrent-apps", "10"},
		{"surrounding blanks are dropped", map[string]string{"GIT_COMMIT_USER": " bot "}, "plan", "git-commit-user", "bot"},
		{"the password variable's name is a flag, not a variable", map[string]string{"IMAGEPILOT_GIT_PASSWORD": "hush"}, "plan", "git-password-env", "IMAGEPILOT_GIT_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parsedFlag(t, tt.env, tt.command, tt.flag); got != tt.want {
				t.Errorf("%s --%s = %q, want %q", tt.command, tt.flag, got, tt.want)
			}
		})
	}
}

// TestMalformedVariablesFailNamingTheFlag: a malformed value stops the
// command with a usage error naming the variable, its value and the flag,
// unless that flag was given.
func TestMalformedVariablesFailNamingTheFlag(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		key, value, flag, want string
		args                   []string
	}{
		{"MAX_CONCURRENT_APPS", "lots", "max-concurrent-apps", "a whole number from 1 to 100", []string{"plan", "--repo", dir}},
		{"IMAGEPILOT_CYCLE_TIMEOUT", "-5m", "cycle-timeout", "a duration such as 2m or 1h", []string{"plan", "--repo", dir}},
		{"GIT_COMMIT_SIGN_OFF", "yes", "git-commit-sign-off", "true or false", []string{"holds", "--repo", dir}},
		{"MAX_CONCURRENT_RECONCILES", "11", "max-concurrent-reconciles", "a whole number from 1 to 10", []string{"run", "--repo", dir, "--once"}},
		{"IMAGE_UPDATER_LEADER_ELECTION", "maybe", "leader-election", "true or false", []string{"run", "--repo", dir, "--once"}},
		{"IMAGE_UPDATER_INTERVAL", "hourly", "interval", "a duration such as 2m or 1h", []string{"run", "--repo", dir, "--once"}},
		{"ENABLE_WEBHOOK", "on", "enable-webhook", "true or false", []string{"run", "--repo", dir, "--once"}},
		{"WEBHOOK_PORT", "65536", "webhook-port", "a whole number from 0 to 65535", []string{"webhook", "--repo", dir}},
		{"WEBHOOK_REQUIRE_SECRET", "0", "webhook-require-secret", "true or false", []string{"webhook", "--repo", dir}},
		{"WEBHOOK_RATELIMIT_ALLOWED", "-1", "webhook-ratelimit-allowed", "a whole number from 0 to 1073741824", []string{"webhook", "--repo", dir}},
		{"DISABLE_TLS", "1", "disable-tls", "true or false", []string{"webhook", "--repo", dir}},
		{"IMAGE_UPDATER_KUBE_EVENTS", "no", "disable-kube-events", "true or false", []string{"webhook", "--repo", dir}},
		{"IMAGEPILOT_API_PORT", "http", "api-port", "a whole number from 0 to 65535", []string{"run", "--repo", dir, "--once"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			r := execute(t, map[string]string{tt.key: tt.value}, tt.args...)
			want := "environment variable " + tt.key + `="` + tt.value + `" (default of --` + tt.flag + "): want " + tt.want
			if r.code != ExitUsage || !strings.Contains(r.errOut, want) {
				t.Fatalf("want exit 2 and %q; %s", want, r)
			}
		})
	}
	// Every problem is reported at once, not only the first.
	r := execute(t, map[string]string{"MAX_CONCURRENT_APPS": "x", "DISABLE_TLS": "y"}, "webhook", "--repo", dir)
	if r.code != ExitUsage || !strings.Contains(r.errOut, "MAX_CONCURRENT_APPS") || !strings.Contains(r.errOut, "DISABLE_TLS") {
		t.Errorf("two malformed variables: %s", r)
	}
}

// TestGivenFlagSilencesItsMalformedVariable: the command line replaces the
// variable, so its malformed value is no longer an error.
func TestGivenFlagSilencesItsMalformedVariable(t *testing.T) {
	tests := []struct {
		key, value string
		args       []string
	}{
		{"MAX_CONCURRENT_APPS", "lots", []string{"--max-concurrent-apps", "2"}},
		{"DISABLE_TLS", "1", []string{"--disable-tls"}},
		{"WEBHOOK_PORT", "http", []string{"--webhook-port", "9000"}},
		{"IMAGEPILOT_CYCLE_TIMEOUT", "later", []string{"--cycle-timeout", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			cleanEnv(t, map[string]string{tt.key: tt.value})
			o := &repoOptions{}
			env := newEnv()
			f := pflag.NewFlagSet("webhook", pflag.ContinueOnError)
			var hooks webhookFlags
			hooks.register(f, env, 8080)
			o.register(f, env)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := o.prepare(f, env, true); err != nil {
				t.Fatalf("%s=%q with %v: %v", tt.key, tt.value, tt.args, err)
			}
			if err := o.prepare(pflag.NewFlagSet("none", pflag.ContinueOnError), env, true); err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("without the flag %s=%q is not reported: %v", tt.key, tt.value, err)
			}
		})
	}
}

func TestWebhookSecretsFromEnvironmentAndFlags(t *testing.T) {
	for _, s := range webhookSecretFlag {
		t.Run(s.typ, func(t *testing.T) {
			tests := []struct {
				name string
				env  map[string]string
				args []string
				want string
			}{
				{"unset", nil, nil, ""},
				{"from the environment", map[string]string{s.env: "from-env"}, nil, "from-env"},
				{"the flag wins", map[string]string{s.env: "from-env"}, []string{"--" + s.flag, "from-flag"}, "from-flag"},
				{"an empty flag keeps the environment's", map[string]string{s.env: "from-env"}, []string{"--" + s.flag, ""}, "from-env"},
			}
			for _, tt := range tests {
				var hooks webhookFlags
				f := pflag.NewFlagSet("webhook", pflag.ContinueOnError)
				hooks.register(f, mapEnv(tt.env), 8080)
				if err := f.Parse(tt.args); err != nil {
					t.Fatal(err)
				}
				got := hooks.options(slog.New(slog.DiscardHandler)).Config.Secrets[s.typ]
				if got != tt.want {
					t.Errorf("%s: secret %q, want %q", tt.name, got, tt.want)
				}
				if strings.Contains(f.FlagUsages(), "from-env") {
					t.Errorf("%s: --help shows the secret", tt.name)
				}
			}
		})
	}
}

func TestWebhookOptions(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(t *testing.T, addr string, tlsOn bool, cfg webhook.Config, tls webhook.TLSOptions)
	}{
		{"defaults: HTTPS on the port, secrets required, no hourly limit", nil, nil, func(t *testing.T, addr string, tlsOn bool, cfg webhook.Config, o webhook.TLSOptions) {
			if addr != ":8080" || !tlsOn || cfg.AllowUnauthenticated || cfg.RequestsPerSecond != 0 || cfg.RateBurst != 0 || o.CertFile != webhook.DefaultTLSCertFile || o.EnableHTTP2 {
				t.Errorf("addr %q tls %v cfg %+v tls options %+v", addr, tlsOn, cfg, o)
			}
		}},
		{"bind address wins over port", []string{"--webhook-port", "9000", "--webhook-bind-address", "127.0.0.1:9001"}, nil, func(t *testing.T, addr string, _ bool, _ webhook.Config, _ webhook.TLSOptions) {
			if addr != "127.0.0.1:9001" {
				t.Errorf("addr %q", addr)
			}
		}},
		{"hourly limit as rate and burst", []string{"--webhook-ratelimit-allowed", "360"}, nil, func(t *testing.T, _ string, _ bool, cfg webhook.Config, _ webhook.TLSOptions) {
			if cfg.RequestsPerSecond != 0.1 || cfg.RateBurst != 360 {
				t.Errorf("%v/s burst %d", cfg.RequestsPerSecond, cfg.RateBurst)
			}
		}},
		{"--webhook-allow-unauthenticated", []string{"--webhook-allow-unauthenticated"}, nil, func(t *testing.T, _ string, _ bool, cfg webhook.Config, _ webhook.TLSOptions) {
			if !cfg.AllowUnauthenticated {
				t.Error("still authenticated")
			}
		}},
		{"plain HTTP with certificate files and HTTP/2", []string{"--disable-tls", "--webhook-tls-cert-file", "/c.pem", "--webhook-tls-key-file", "/k.pem", "--enable-http2"}, nil, func(t *testing.T, _ string, tlsOn bool, _ webhook.Config, o webhook.TLSOptions) {
			if tlsOn || o.CertFile != "/c.pem" || o.KeyFile != "/k.pem" || !o.EnableHTTP2 {
				t.Errorf("tls %v %+v", tlsOn, o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hooks webhookFlags
			f := pflag.NewFlagSet("webhook", pflag.ContinueOnError)
			hooks.register(f, mapEnv(tt.env), 8080)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o := hooks.options(slog.New(slog.DiscardHandler))
			tt.want(t, o.Addr, o.TLS, o.Config, o.TLSOptions)
		})
	}
}

// TestEveryFlagOfTheCommandsIsDocumented: each flag has a usage line, and
// the variable a flag's usage names exists in commandEnv, so the tests
// here clear it.
func TestEveryFlagOfTheCommandsIsDocumented(t *testing.T) {
	known := map[string]bool{}
	for _, k := range commandEnv {
		known[k] = true
	}
	root := newRoot(io.Discard, io.Discard)
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s --%s has no usage", c.CommandPath(), f.Name)
			}
			for _, w := range strings.FieldsFunc(f.Usage, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == ')' || r == '(' }) {
				if len(w) > 4 && strings.ToUpper(w) == w && strings.Contains(w, "_") && !known[w] {
					t.Errorf("%s --%s names %s, which the tests do not clear", c.CommandPath(), f.Name, w)
				}
			}
		})
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
}
