package writeback

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/updater"
)

var errNoCreds = errors.New("secret not found")

type failingCreds struct{}

func (failingCreds) GitCredentials(context.Context, string, string) (git.Credentials, error) {
	return git.Credentials{}, errNoCreds
}

// TestRepositoryFailuresFailEveryDecision: when a repository cannot be
// used at all, every decision for it fails in one result, the error says
// which repository, and neither the error nor the log shows the URL's
// password.
func TestRepositoryFailuresFailEveryDecision(t *testing.T) {
	const secret = "s3cr3t-pa55"
	existing := bareRepo(t, map[string]string{"a/values.yaml": "img:\n  repository: reg/a\n  tag: v1\n"})
	tests := []struct {
		name  string
		url   string
		creds CredentialResolver
		head  string // "" = the repository's default branch
		want  error
		says  string
	}{
		{"credentials cannot be resolved", "https://user:" + secret + "@127.0.0.1:1/org/repo.git", failingCreds{}, "main", errNoCreds, "credentials for https://user:"},
		{"repository cannot be cloned", "https://user:" + secret + "@127.0.0.1:1/org/repo.git", nil, "main", nil, "opening https://user:"},
		{"missing local repository", filepath.Join(t.TempDir(), "missing.git"), nil, "main", nil, "opening "},
		{"default branch of a repository without HEAD", existing, nil, "", nil, "default branch of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.head == "" {
				gitCmd(t, existing, "symbolic-ref", "HEAD", "refs/heads/gone")
				defer gitCmd(t, existing, "symbolic-ref", "HEAD", "refs/heads/main")
			}
			mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			w := &GitWriter{Git: mgr, Credentials: tt.creds, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			var ds []updater.Decision
			for _, app := range []string{"a", "b"} {
				d := branchDecision(t, app, app, "v1", "v2", tt.head, "")
				d.Target.Source.RepoURL = tt.url
				ds = append(ds, d)
			}
			res := w.Apply(context.Background(), ds)
			if len(res) != 1 || res[0].Err == nil || len(res[0].Applied) != 2 || len(res[0].Changes) != 2 {
				t.Fatalf("results: %+v", res)
			}
			if tt.want != nil && !errors.Is(res[0].Err, tt.want) {
				t.Errorf("err = %v, want %v", res[0].Err, tt.want)
			}
			if !strings.Contains(res[0].Err.Error(), tt.says) {
				t.Errorf("err = %v, want it to say %q", res[0].Err, tt.says)
			}
			if failed := FailedApps(res); len(failed) != 2 {
				t.Errorf("FailedApps = %v", failed)
			}
			if strings.Contains(res[0].Err.Error(), secret) || strings.Contains(logs.String(), secret) {
				t.Errorf("password shown:\nerr: %v\nlog: %s", res[0].Err, logs.String())
			}
			if !strings.Contains(logs.String(), "git write-back failed") || !strings.Contains(logs.String(), "argocd/a") {
				t.Errorf("failure not logged with its applications:\n%s", logs.String())
			}
		})
	}
}

// TestDryRunWriteBranch: a dry run of a write-branch group renders the
// diff against the base branch and pushes nothing, not even the branch.
func TestDryRunWriteBranch(t *testing.T) {
	bare := bareRepo(t, map[string]string{"a/values.yaml": "img:\n  repository: reg/a\n  tag: v1\n"})
	gitCmd(t, bare, "branch", "release", "main")
	gitCmd(t, bare, "branch", "ip-a", "main")
	// The existing write branch has moved on; the dry run still diffs
	// against the base, which is what a write starts from.
	seed := t.TempDir()
	gitCmd(t, seed, "clone", "--quiet", "--branch", "ip-a", bare, ".")
	checkoutInto(t, seed, map[string]string{"a/values.yaml": "img:\n  repository: reg/a\n  tag: v9\n"})
	gitCmd(t, seed, "commit", "--quiet", "-am", "elsewhere")
	gitCmd(t, seed, "push", "--quiet", "origin", "ip-a")
	refs := gitCmd(t, bare, "for-each-ref")
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	d := branchDecision(t, "a", "a", "v1", "v2", "main", "release:ip-{{.AppName}}")
	d.Target.Source.RepoURL = bare
	var logs bytes.Buffer
	res := (&GitWriter{Git: mgr, DryRun: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Apply(context.Background(), []updater.Decision{d})
	if len(res) != 1 || res[0].Err != nil || res[0].Pushed || res[0].Commit != "" || res[0].Branch != "ip-a" || res[0].Base != "release" {
		t.Fatalf("results: %+v", res)
	}
	if !strings.Contains(res[0].Diff, "-  tag: v1\n+  tag: v2\n") {
		t.Errorf("diff is not against the base:\n%s", res[0].Diff)
	}
	if got := gitCmd(t, bare, "for-each-ref"); got != refs {
		t.Errorf("refs changed by a dry run:\n%s\nwas\n%s", got, refs)
	}
	if !strings.Contains(logs.String(), "dry run, nothing written") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// TestCommitMessageTemplate: the commit carries the configured template's
// message, signed off when asked, and lists only what was written.
func TestCommitMessageTemplate(t *testing.T) {
	bare := bareRepo(t, map[string]string{
		"a/values.yaml": "img:\n  repository: reg/a\n  tag: v1\n",
		"b/values.yaml": "img:\n  repository: reg/b\n  tag: v5\n",
	})
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseCommitTemplate("chore: {{ .AppName }}\n\n{{ range .AppChanges }}{{ .Image }} {{ .OldTag }} -> {{ .NewTag }} ({{ .File }})\n{{ end }}")
	if err != nil {
		t.Fatal(err)
	}
	a := branchDecision(t, "a", "a", "v1", "v2", "main", "")
	b := branchDecision(t, "b", "b", "v1", "v2", "main", "") // b's file moved on to v5: a conflict
	a.Target.Source.RepoURL, b.Target.Source.RepoURL = bare, bare
	res := (&GitWriter{Git: mgr, CommitTemplate: tmpl, SignOff: true}).Apply(context.Background(), []updater.Decision{a, b})
	if len(res) != 1 || res[0].Err != nil || !res[0].Pushed || len(res[0].Applied) != 1 || len(res[0].Conflicts) != 1 {
		t.Fatalf("results: %+v", res)
	}
	msg := gitCmd(t, bare, "log", "-1", "--format=%B", "main")
	if !strings.HasPrefix(msg, "chore: a\n\nreg/a v1 -> v2 (a/values.yaml)\n") || strings.Contains(msg, "reg/b") || !strings.Contains(msg, "Signed-off-by:") {
		t.Fatalf("commit message:\n%s", msg)
	}
	if res[0].Commit != gitCmd(t, bare, "rev-parse", "main") {
		t.Errorf("result commit %s is not main", res[0].Commit)
	}
}
