package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandEnv are the environment variables the commands read; every
// in-process run starts with all of them unset, so the machine's
// environment cannot change a result.
var commandEnv = []string{
	"ACR_WEBHOOK_SECRET", "ALIYUN_ACR_WEBHOOK_SECRET", "ARGOCD_NAMESPACE", "CLOUDEVENTS_WEBHOOK_SECRET", "DISABLE_TLS",
	"DISTRIBUTION_WEBHOOK_SECRET", "DOCKER_WEBHOOK_SECRET", "ENABLE_WEBHOOK", "GHCR_WEBHOOK_SECRET", "GITLAB_WEBHOOK_SECRET",
	"GIT_COMMIT_EMAIL", "GIT_COMMIT_MESSAGE_PATH", "GIT_COMMIT_SIGNING_KEY", "GIT_COMMIT_SIGNING_METHOD", "GIT_COMMIT_SIGN_OFF",
	"GIT_COMMIT_USER", "HARBOR_WEBHOOK_SECRET", "IMAGEPILOT_API_BIND_ADDRESS", "IMAGEPILOT_API_PORT", "IMAGEPILOT_API_TOKEN",
	"IMAGEPILOT_BRANCH", "IMAGEPILOT_CYCLE_TIMEOUT", "IMAGEPILOT_GIT_CACHE_DIR", "IMAGEPILOT_GIT_CA_FILE", "IMAGEPILOT_GIT_KNOWN_HOSTS",
	"IMAGEPILOT_GIT_LOCK_TIMEOUT", "IMAGEPILOT_GIT_PASSWORD", "IMAGEPILOT_GIT_SSH_KEY", "IMAGEPILOT_GIT_USERNAME", "IMAGEPILOT_REPO",
	"IMAGEPILOT_SERVER", "IMAGE_UPDATER_ARGOCD_NAMESPACE", "IMAGE_UPDATER_HEALTH_PROBE_BIND_ADDRESS", "IMAGE_UPDATER_INTERVAL",
	"IMAGE_UPDATER_KUBE_EVENTS", "IMAGE_UPDATER_LEADER_ELECTION", "IMAGE_UPDATER_LOGFORMAT", "IMAGE_UPDATER_LOGLEVEL",
	"IMAGE_UPDATER_METRICS_BIND_ADDRESS", "IMAGE_UPDATER_REGISTRIES_CONF_PATH", "IMAGE_UPDATER_WATCH_NAMESPACES", "KUBECONFIG",
	"KUBERNETES_SERVICE_HOST", "MAX_CONCURRENT_APPS", "MAX_CONCURRENT_RECONCILES", "POD_NAMESPACE", "QUAY_WEBHOOK_SECRET",
	"TLS_CIPHERS", "TLS_MAX_VERSION", "TLS_MIN_VERSION", "USER", "WEBHOOK_BIND_ADDRESS", "WEBHOOK_PORT", "WEBHOOK_RATELIMIT_ALLOWED",
	"WEBHOOK_REQUIRE_SECRET",
}

// cleanEnv unsets commandEnv for the test (restored afterwards) and sets
// env; HOME is a fresh directory, so no ~/.kube/config is found.
func cleanEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range commandEnv {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", t.TempDir())
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// ran is the outcome of one command line.
type ran struct {
	code        int
	out, errOut string
}

func (r ran) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
}

// execute runs the command line in-process with env set (and the rest of
// commandEnv unset), as main does.
func execute(t *testing.T, env map[string]string, args ...string) ran {
	t.Helper()
	cleanEnv(t, env)
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, &out, &errOut)
	return ran{code: code, out: out.String(), errOut: errOut.String()}
}

// TestUsageErrorsOfEveryCommand: mistakes on the command line exit 2 and
// the message names the flag or says what to give.
func TestUsageErrorsOfEveryCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate" for "imagepilot"`},
		{"flag error names the command's help", nil, []string{"holds", "--nope"}, "unknown flag: --nope (see 'imagepilot holds --help')"},
		{"flag value of the wrong type", nil, []string{"plan", "--max-concurrent-apps", "many"}, `invalid argument "many" for "--max-concurrent-apps"`},
		{"plan takes no arguments", nil, []string{"plan", "extra"}, `unknown command "extra" for "imagepilot plan"`},
		{"plan: bad output", nil, []string{"plan", "--repo", dir, "-o", "xml"}, `--output "xml": want one of text, json, yaml`},
		{"plan: negative cycle timeout", nil, []string{"plan", "--repo", dir, "--cycle-timeout", "-1s"}, "--cycle-timeout -1s: want 0 (no limit) or a positive duration"},
		{"plan: bad log level", nil, []string{"plan", "--repo", dir, "--loglevel", "loud"}, `--loglevel "loud": want debug, info, warn or error`},
		{"plan: bad log format", nil, []string{"plan", "--repo", dir, "--logformat", "xml"}, `--logformat "xml": want text or json`},
		{"plan: bad lock timeout", nil, []string{"plan", "--repo", dir, "--git-lock-timeout", "0s"}, `--git-lock-timeout "0s": want a positive duration such as 2m`},
		{"plan: bad signing method", nil, []string{"plan", "--repo", dir, "--git-commit-signing-key", "k", "--git-commit-signing-method", "x509"}, `--git-commit-signing-method "x509": want openpgp or ssh`},
		{"plan: ssh key missing", nil, []string{"plan", "--repo", dir, "--git-ssh-key", dir + "/none"}, "--git-ssh-key: open " + dir + "/none"},
		{"plan: cosign key missing", nil, []string{"plan", "--repo", dir, "--cosign-key", dir + "/none.pub"}, "--cosign-key: invalid cosign public key: open " + dir + "/none.pub"},
		{"plan: keyless without a trusted root", nil, []string{"plan", "--repo", dir, "--cosign-identity", "a@example.com"}, "need --trusted-root FILE"},
		{"plan: malformed cosign secret", nil, []string{"plan", "--repo", dir, "--cosign-secret", "nokey"}, `--cosign-secret: invalid cosign secret mapping "nokey"`},
		{"plan: env variable malformed", map[string]string{"IMAGEPILOT_CYCLE_TIMEOUT": "soon"}, []string{"plan", "--repo", dir}, `environment variable IMAGEPILOT_CYCLE_TIMEOUT="soon" (default of --cycle-timeout): want a duration such as 2m or 1h`},
		{"run without --repo: cosign key is repo mode only", nil, []string{"run", "--once", "--cosign-key", "k.pub"}, "--cosign-key applies to repo mode (--repo)"},
		{"run without --repo: cosign secret is repo mode only", nil, []string{"run", "--once", "--cosign-secret", "s#k=f"}, "--cosign-secret applies to repo mode (--repo)"},
		{"run without --repo: keyless is repo mode only", nil, []string{"run", "--once", "--cosign-issuer", "https://issuer"}, "--cosign-identity, --cosign-issuer and --trusted-root apply to repo mode"},
		{"run --repo: metrics-secure refused", nil, []string{"run", "--repo", dir, "--metrics-secure"}, "--metrics-secure needs a cluster"},
		{"run: interval from env malformed", map[string]string{"IMAGE_UPDATER_INTERVAL": "often"}, []string{"run", "--repo", dir, "--once"}, `IMAGE_UPDATER_INTERVAL="often" (default of --interval)`},
		{"trigger: neither --repo nor --server", nil, []string{"trigger"}, "give --repo (work on the repository directly) or --server (a running imagepilot)"},
		{"holds: --server without a token", nil, []string{"holds", "--server", "http://127.0.0.1:1"}, "--server needs the API token in IMAGEPILOT_API_TOKEN"},
		{"hold: server from env without a token", map[string]string{"IMAGEPILOT_SERVER": "http://127.0.0.1:1"}, []string{"hold", "--application", "a", "--image", "b"}, "--server needs the API token"},
		{"release: env problem reported", map[string]string{"MAX_CONCURRENT_APPS": "0"}, []string{"release", "--repo", dir}, `MAX_CONCURRENT_APPS="0" (default of --max-concurrent-apps): want a whole number from 1 to 100`},
		{"holds: bad output", map[string]string{"IMAGEPILOT_API_TOKEN": "t"}, []string{"holds", "--server", "http://127.0.0.1:1", "-o", "csv"}, `--output "csv": want one of text, json, yaml`},
		{"version: bad output", nil, []string{"version", "-o", "toml"}, `--output "toml"`},
		{"check: bad output", nil, []string{"check", "nginx", "-o", "yaml"}, `--output "yaml": want text or json`},
		{"check: bad image", nil, []string{"check", "UPPER/Case::x"}, `invalid image spec "UPPER/Case::x"`},
		{"check: bad strategy", nil, []string{"check", "nginx", "--update-strategy", "newest"}, `update-strategy "newest": unknown strategy`},
		{"check: digest without a tag to follow", nil, []string{"check", "nginx", "--update-strategy", "digest"}, "the digest strategy needs the tag to follow"},
		{"check: bad allow-tags", nil, []string{"check", "nginx", "--allow-tags", "regexp:("}, `allow-tags "regexp:(": invalid regexp`},
		{"check: bad log level", nil, []string{"check", "nginx", "--loglevel", "chatty"}, `--loglevel "chatty"`},
		{"check: secret credentials need a cluster", nil, []string{"check", "nginx", "--credentials", "secret:ns/name#key"}, "--credentials secret:... reads a Kubernetes Secret: give --kubeconfig FILE"},
		{"check: malformed credentials", nil, []string{"check", "nginx", "--credentials", "bogus"}, "--credentials: invalid credential reference"},
		{"check: unreadable kubeconfig", nil, []string{"check", "nginx", "--kubeconfig", dir + "/none"}, "--kubeconfig: stat " + dir + "/none"},
		{"check: missing registries.conf", nil, []string{"check", "nginx", "--registries-conf-path", dir + "/none.conf"}, "registries configuration"},
		{"template: missing file", nil, []string{"template", dir + "/none.tmpl"}, dir + "/none.tmpl"},
		{"template: two paths", nil, []string{"template", "a", "b"}, "accepts at most 1 arg(s), received 2"},
		{"webhook --repo: API without a token", nil, []string{"webhook", "--repo", dir, "--disable-tls", "--webhook-bind-address", "127.0.0.1:0", "--api-bind-address", "127.0.0.1:0", "--docker-webhook-secret", "s"}, "the trigger API needs a token (IMAGEPILOT_API_TOKEN)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, tt.env, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.errOut, tt.want) {
				t.Fatalf("want exit 2 and %q on stderr; %s", tt.want, r)
			}
			if !strings.HasPrefix(r.errOut, "imagepilot: ") {
				t.Errorf("message not prefixed with the program's name: %q", r.errOut)
			}
		})
	}
}

func TestTemplateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	custom := write("custom.tmpl", "{{.AppNamespace}}/{{.AppName}}:{{range .AppChanges}} {{.Alias}} {{.OldTag}} -> {{.NewTag}} ({{.File}}){{end}}\n{{index (index .AppChanges 0).Labels \"org.opencontainers.image.source\"}}\n")
	broken := write("broken.tmpl", "{{.AppName")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a custom template gets the sample changes", []string{"template", custom}, ExitOK,
			"argocd/guestbook: guestbook v3 -> v4 (helm/.argocd-source-guestbook.yaml) redis 7.2@sha256:01d09d19c2139a46aebfb577780d123d7396e97201bc7ead210a2ebff8239dee -> 7.2@sha256:7aa7a5359173d05b63cfd682e3c38487f3cb4f7f1d60659fe59fab1505977d4c (helm/.argocd-source-guestbook.yaml)\nhttps://github.com/example/guestbook\n"},
		{"the default template names the application", []string{"template"}, ExitOK, "guestbook"},
		{"a template that does not parse", []string{"template", broken}, ExitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, r)
			}
			switch {
			case tt.code != ExitOK:
				if r.out != "" || !strings.Contains(r.errOut, "imagepilot: ") {
					t.Errorf("a failed render printed output or no error; %s", r)
				}
			case strings.HasSuffix(tt.want, "\n"):
				if r.out != tt.want {
					t.Errorf("got %q, want %q", r.out, tt.want)
				}
			case !strings.Contains(r.out, tt.want):
				t.Errorf("output lacks %q: %q", tt.want, r.out)
			}
		})
	}
}

func TestExitErrors(t *testing.T) {
	cause := errors.New("cause")
	if withCode(ExitRegistry, nil) != nil {
		t.Error("withCode(nil) is not nil: a command without an error would fail")
	}
	err := withCode(ExitRegistry, cause)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitRegistry || !errors.Is(err, cause) || err.Error() != "cause" {
		t.Errorf("withCode: %#v", err)
	}
	tests := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"silent: the message was printed already", withCode(ExitNotFound, errSilent), ExitNotFound, ""},
		{"coded error is printed", withCode(ExitFailedCycle, cause), ExitFailedCycle, "imagepilot: cause\n"},
		{"plain error is a usage error", cause, ExitUsage, "imagepilot: cause\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t, nil)
			var out, errOut bytes.Buffer
			root := newRoot(&out, &errOut)
			root.AddCommand(newFailingCmd(tt.err))
			root.SetArgs([]string{"fail"})
			code := exitCode(root.ExecuteContext(context.Background()), &errOut)
			if code != tt.wantCode || errOut.String() != tt.wantStderr {
				t.Errorf("exit %d stderr %q, want %d %q", code, errOut.String(), tt.wantCode, tt.wantStderr)
			}
		})
	}
}

// newFailingCmd is a command that fails with err.
func newFailingCmd(err error) *cobra.Command {
	return &cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error { return err }}
}
