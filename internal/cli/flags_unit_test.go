package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/repomode"
)

func TestNewLogger(t *testing.T) {
	tests := []struct {
		level, format string
		wantErr       string
		// logs: which of debug, info, warn reach the output
		debug, info, warn bool
		json              bool
	}{
		{level: "", format: "", info: true, warn: true},
		{level: "trace", format: "text", debug: true, info: true, warn: true},
		{level: "DEBUG", format: "JSON", debug: true, info: true, warn: true, json: true},
		{level: "warning", format: "text", warn: true},
		{level: "error", format: "json", json: true},
		{level: "verbose", format: "text", wantErr: `--loglevel "verbose": want debug, info, warn or error`},
		{level: "info", format: "logfmt", wantErr: `--logformat "logfmt": want text or json`},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var b bytes.Buffer
			l, err := newLogger(&b, tt.level, tt.format)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l.Debug("d-msg")
			l.Info("i-msg")
			l.Warn("w-msg")
			out := b.String()
			for msg, want := range map[string]bool{"d-msg": tt.debug, "i-msg": tt.info, "w-msg": tt.warn} {
				if strings.Contains(out, msg) != want {
					t.Errorf("%s logged: %v, want %v\n%s", msg, !want, want, out)
				}
			}
			if out != "" && strings.HasPrefix(out, "{") != tt.json {
				t.Errorf("json %v, output %q", tt.json, out)
			}
		})
	}
}

func TestAPIFlagsAddress(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, ""},
		{[]string{"--api-port", "8090"}, nil, ":8090"},
		{nil, map[string]string{"IMAGEPILOT_API_PORT": "8091"}, ":8091"},
		{[]string{"--api-port", "8090", "--api-bind-address", "127.0.0.1:9"}, nil, "127.0.0.1:9"},
		{nil, map[string]string{"IMAGEPILOT_API_BIND_ADDRESS": "[::1]:8090"}, "[::1]:8090"},
		{[]string{"--api-port", "0"}, map[string]string{"IMAGEPILOT_API_PORT": "8091"}, ""},
	}
	for _, tt := range tests {
		var a apiFlags
		f := pflag.NewFlagSet("api", pflag.ContinueOnError)
		a.register(f, mapEnv(tt.env))
		if err := f.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if got := a.address(); got != tt.want {
			t.Errorf("%v %v: address %q, want %q", tt.args, tt.env, got, tt.want)
		}
	}
}

func TestGitCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, hosts, ca := write("id", "KEY"), write("known_hosts", "HOSTS"), write("ca.pem", "CA")
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		g       gitFlags
		env     map[string]string
		want    git.Credentials
		wantErr string
	}{
		{name: "nothing", g: gitFlags{passwordEnv: "IMAGEPILOT_GIT_PASSWORD"}},
		{name: "user and password from the default variable", g: gitFlags{username: "bot", passwordEnv: "IMAGEPILOT_GIT_PASSWORD"}, env: map[string]string{"IMAGEPILOT_GIT_PASSWORD": "tok"},
			want: git.Credentials{Username: "bot", Password: "tok"}},
		{name: "password from the variable --git-password-env names", g: gitFlags{passwordEnv: "MY_TOKEN"}, env: map[string]string{"MY_TOKEN": "mine", "IMAGEPILOT_GIT_PASSWORD": "not this"},
			want: git.Credentials{Password: "mine"}},
		{name: "files are read", g: gitFlags{sshKey: key, knownHosts: hosts, caFile: ca, insecureHostKey: true},
			want: git.Credentials{SSHPrivateKey: []byte("KEY"), KnownHosts: []byte("HOSTS"), CAData: []byte("CA"), InsecureIgnoreHostKey: true}},
		{name: "missing ssh key", g: gitFlags{sshKey: missing}, wantErr: "--git-ssh-key: open " + missing},
		{name: "missing known hosts", g: gitFlags{knownHosts: missing}, wantErr: "--git-known-hosts: open " + missing},
		{name: "missing CA file", g: gitFlags{caFile: missing}, wantErr: "--git-ca-file: open " + missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t, tt.env)
			got, err := tt.g.credentials()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("err = %v, want %q wrapping the file error", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Username != tt.want.Username || got.Password != tt.want.Password || string(got.SSHPrivateKey) != string(tt.want.SSHPrivateKey) ||
				string(got.KnownHosts) != string(tt.want.KnownHosts) || string(got.CAData) != string(tt.want.CAData) || got.InsecureIgnoreHostKey != tt.want.InsecureIgnoreHostKey {
				t.Errorf("credentials %+v, want %+v", got, tt.want)
			}
			sc, err := staticCredentials{got}.GitCredentials(context.Background(), "https://any", "any")
			if err != nil || sc.Password != got.Password || sc.Username != got.Username {
				t.Errorf("static credentials %+v %v", sc, err)
			}
		})
	}
}

func TestGitWriterCommitTemplate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tmpl")
	bad := filepath.Join(dir, "bad.tmpl")
	if err := os.WriteFile(good, []byte("bump {{.AppName}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{{.Nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	mgr, err := (&gitFlags{cacheDir: t.TempDir(), lockTimeout: "1m", commitUser: "u", commitEmail: "u@example.com"}).manager(logger, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		g       gitFlags
		wantErr string
	}{
		{name: "built-in template", g: gitFlags{}},
		{name: "a template file", g: gitFlags{messagePath: good, signOff: true}},
		{name: "default path absent", g: gitFlags{messagePath: filepath.Join(dir, "absent"), messageOptional: true}},
		{name: "given path absent", g: gitFlags{messagePath: filepath.Join(dir, "absent")}, wantErr: "--git-commit-message-path: open "},
		{name: "default path unreadable is still an error", g: gitFlags{messagePath: dir, messageOptional: true}, wantErr: "--git-commit-message-path: read "},
		{name: "template that does not parse", g: gitFlags{messagePath: bad}, wantErr: "commit message template: template: commit-message:1: unclosed action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.g.writer(mgr, staticCredentials{}, logger, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.DryRun || w.SignOff != tt.g.signOff || w.CommitTemplate == nil || w.Git != mgr {
				t.Errorf("writer %+v", w)
			}
		})
	}
}

func TestGitManagerSettings(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	tests := []struct {
		name    string
		g       gitFlags
		wantErr string
	}{
		{name: "defaults", g: gitFlags{lockTimeout: "2m", signingMethod: "openpgp"}},
		{name: "ssh signing", g: gitFlags{lockTimeout: "2m", signingKey: "/k", signingMethod: git.SigningSSH}},
		{name: "a signing method without a key is not checked", g: gitFlags{lockTimeout: "2m", signingMethod: "x509"}},
		{name: "unknown signing method", g: gitFlags{lockTimeout: "2m", signingKey: "/k", signingMethod: "x509"}, wantErr: `--git-commit-signing-method "x509": want openpgp or ssh`},
		{name: "lock timeout not a duration", g: gitFlags{lockTimeout: "soon"}, wantErr: `--git-lock-timeout "soon": want a positive duration such as 2m`},
		{name: "negative lock timeout", g: gitFlags{lockTimeout: "-1m"}, wantErr: `--git-lock-timeout "-1m"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.g.cacheDir, tt.g.commitUser, tt.g.commitEmail = t.TempDir(), "u", "u@example.com"
			m, err := tt.g.manager(logger, 0)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr && !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || m == nil {
				t.Fatalf("manager %v, %v", m, err)
			}
		})
	}
}

func TestRegistriesConfiguration(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(conf, []byte("registries:\n- name: r\n  prefix: r.example.com\n  api_url: https://r.example.com\n  limit: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.conf")
	if err := os.WriteFile(broken, []byte("registries: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		f       registryFlags
		wantErr string
		// wantLimit is the rate limit the client uses for r.example.com
		wantLimit float64
	}{
		{name: "no file: built-in", f: registryFlags{}},
		{name: "a file", f: registryFlags{confPath: conf}, wantLimit: 5},
		{name: "--rate-limit overrides the file's", f: registryFlags{confPath: conf, rateLimit: 0.5}, wantLimit: 0.5},
		{name: "optional default path absent", f: registryFlags{confPath: filepath.Join(dir, "absent"), confOptional: true}},
		{name: "given path absent", f: registryFlags{confPath: filepath.Join(dir, "absent")}, wantErr: "registries configuration: "},
		{name: "optional but malformed is still an error", f: registryFlags{confPath: broken, confOptional: true}, wantErr: "registries configuration: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.f.loadConf()
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if _, err := tt.f.clients(slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil); err == nil {
					t.Error("clients built on a configuration that does not load")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.f.lookup(c)("r.example.com", "team/app").Limit; got != tt.wantLimit {
				t.Errorf("limit %v, want %v", got, tt.wantLimit)
			}
			rc, err := tt.f.clients(slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil)
			if err != nil || rc.client == nil || rc.resolver == nil || rc.metrics == nil {
				t.Fatalf("clients %+v, %v", rc, err)
			}
		})
	}
}

func TestRepoOptionsRunner(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no repository", wantErr: "--repo is required"},
		{name: "password in the address moves into the credentials", args: []string{"--repo", "https://bot:hush@git.example.com/gitops.git"}},
		{name: "unreadable --cosign-secret key", args: []string{"--repo", dir, "--cosign-secret", "argocd/keys#cosign.pub=" + dir + "/none.pub"}, wantErr: "--cosign-secret argocd/keys#cosign.pub"},
		{name: "--cosign-secret twice for one key", args: []string{"--repo", dir, "--cosign-secret", "a#k=" + publicKeyFile(t), "--cosign-secret", "a#k=" + publicKeyFile(t)}, wantErr: "is mapped twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t, nil)
			o := &repoOptions{}
			env := newEnv()
			f := pflag.NewFlagSet("plan", pflag.ContinueOnError)
			o.register(f, env)
			if err := f.Parse(append(tt.args, "--git-cache-dir", t.TempDir(), "--registries-conf-path", "", "--git-commit-message-path", "")); err != nil {
				t.Fatal(err)
			}
			if err := o.prepare(f, env, true); err != nil {
				t.Fatal(err)
			}
			r, err := o.runner(&bytes.Buffer{}, true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.RepoURL, "hush") || r.Credentials.Password != "hush" || r.Credentials.Username != "bot" {
				t.Errorf("repo %q credentials %+v", r.RepoURL, r.Credentials)
			}
			if r.Concurrency != 10 || r.AuthorEmail != "imagepilot@localhost" || !r.Writer.DryRun || r.Writer.Layout.ControllerNamespace != "argocd" {
				t.Errorf("runner %+v", r)
			}
		})
	}
}

func TestCycleExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{errors.New("clone failed"), ExitFailedCycle},
		{repomode.ErrCycleFailed, ExitFailedCycle},
		{repomode.ErrAppsPath, ExitUsage},
		{errors.Join(errors.New("x"), repomode.ErrAppsPath), ExitUsage},
	}
	for _, tt := range tests {
		if got := cycleExitCode(tt.err); got != tt.want {
			t.Errorf("%v: %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	oldVersion, oldCommit := version, commit
	t.Cleanup(func() { version, commit = oldVersion, oldCommit })
	version, commit = "v1.2.3", "0123abcd"
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "imagepilot v1.2.3 (commit 0123abcd, " + runtime.Version() + ", " + platform + ")\n"},
		{[]string{"version", "--short"}, "v1.2.3\n"},
		{[]string{"version", "-o", "yaml"}, "apiVersion: imagepilot.io/v1\ncommit: 0123abcd\ngoVersion: " + runtime.Version() + "\nkind: Version\nplatform: " + platform + "\nversion: v1.2.3\n"},
		{[]string{"version", "-o", "json", "--short"}, `{"apiVersion":"imagepilot.io/v1","kind":"Version","version":"v1.2.3","commit":"0123abcd","goVersion":"` + runtime.Version() + `","platform":"` + platform + `"}`},
	}
	for _, tt := range tests {
		r := execute(t, nil, tt.args...)
		got := r.out
		if strings.HasPrefix(got, "{") { // compared without the indentation
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(got)); err != nil {
				t.Fatal(err)
			}
			got = compact.String()
		}
		if r.code != 0 || got != tt.want {
			t.Errorf("%v: exit %d\n%q\nwant\n%q", tt.args, r.code, got, tt.want)
		}
	}
	if userAgent() != "imagepilot/v1.2.3" || buildCommit() != "0123abcd" {
		t.Errorf("user agent %q, commit %q", userAgent(), buildCommit())
	}
}

func TestShellCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := execute(t, nil, "completion", shell)
		if r.code != 0 || !strings.Contains(r.out, "imagepilot") || r.errOut != "" {
			t.Errorf("completion %s: %s", shell, r)
		}
	}
	if got, _, _ := strings.Cut(strings.Join(complete(t, "ch"), " "), "\t"); got != "check" {
		t.Errorf("command completion %q", got)
	}
	if got := strings.Join(complete(t, "check", "--update-strategy", "d"), " "); got != "semver newest-build latest alphabetical name digest" {
		t.Errorf("fixed completions are offered whole (the shell filters): %q", got)
	}
}
