package writeback

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
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

// TestEditorRefusesEscapes: a write-back file outside the repository, by
// its path or through a symbolic link, fails its application; nothing
// outside is read, written or created.
func TestEditorRefusesEscapes(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "repo"), filepath.Join(base, "outside")
	checkoutInto(t, outside, map[string]string{"values.yaml": "img:\n  repository: reg/a\n  tag: v1\n"})
	checkoutInto(t, root, map[string]string{"ok/values.yaml": "img:\n  repository: reg/a\n  tag: v1\n"})
	for link, to := range map[string]string{
		"file-link/values.yaml": filepath.Join(outside, "values.yaml"),
		"dir-link":              outside,
		"dangling/values.yaml":  filepath.Join(outside, "missing.yaml"),
		"rel-link":              "../outside",
	} {
		p := filepath.Join(root, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(to, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ name, path, wbTarget string }{
		{"dot-dot in the target", "ok", "helmvalues:../../outside/values.yaml"},
		{"dot-dot above the root", "ok", "/../outside/values.yaml"},
		{"dot-dot in the source path", "../outside", "helmvalues"},
		{"linked file", "file-link", "helmvalues"},
		{"linked directory", "dir-link", "helmvalues"},
		{"relative directory link", "rel-link", "helmvalues"},
		{"linked directory, new override file", "dir-link", ""},
		{"dangling link", "dangling", "helmvalues"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := helmUpdate(t, "a", "reg/a", tt.path, "img", "v1", "v2")
			d.Target.WriteBack.Target = tt.wbTarget
			ed := &groupEditor{decisions: []updater.Decision{d, helmUpdate(t, "ok", "reg/a", "ok", "img", "v1", "v2")}, write: true}
			if _, err := ed.apply(context.Background(), root); err != nil {
				t.Fatal(err)
			}
			if len(ed.failed) != 1 || !errors.Is(ed.failed[0].err, ErrTarget) || ed.failed[0].decisions[0].Target.App.Name != "a" {
				t.Fatalf("failed = %+v, want application a with ErrTarget", ed.failed)
			}
			if len(ed.applied) != 1 || ed.applied[0].Target.App.Name != "ok" {
				t.Errorf("applied = %v, want only ok", appNames(ed.applied))
			}
			if got := readTree(t, outside); len(got) != 1 || string(got["values.yaml"]) != "img:\n  repository: reg/a\n  tag: v1\n" {
				t.Errorf("outside the repository: %q", got)
			}
			checkoutInto(t, root, map[string]string{"ok/values.yaml": "img:\n  repository: reg/a\n  tag: v1\n"})
		})
	}
}

// TestDiffLists every changed file once, in path order.
func TestDiffOrder(t *testing.T) {
	files := map[string]string{}
	var ds []updater.Decision
	for _, app := range []string{"c", "a", "b"} {
		files[app+"/values.yaml"] = "img:\n  repository: reg/" + app + "\n  tag: v1\n"
		ds = append(ds, helmUpdate(t, app, "reg/"+app, app, "img", "v1", "v2"), helmUpdate(t, app, "reg/"+app, app, "img", "v1", "v2"))
	}
	ed := &groupEditor{decisions: ds}
	if _, err := ed.apply(context.Background(), checkout(t, files)); err != nil || len(ed.failed) > 0 {
		t.Fatalf("apply: %v %v", err, ed.failed)
	}
	diff := ed.diff()
	var order []string
	for _, line := range strings.Split(diff, "\n") {
		if name, ok := strings.CutPrefix(line, "+++ b/"); ok {
			order = append(order, name)
		}
	}
	if strings.Join(order, " ") != "a/values.yaml b/values.yaml c/values.yaml" {
		t.Fatalf("diff files %v:\n%s", order, diff)
	}
}
