package writeback

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func TestValidateCommitMethod(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"", true}, {"git", true}, {"api", true}, {"cli", false}, {"API", false}, {"github", false}} {
		if err := ValidateCommitMethod(tt.in); (err == nil) != tt.ok {
			t.Errorf("ValidateCommitMethod(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

// appCreds resolves credentials as kube.GitCredentials does for a
// repository secret with a GitHub App: an installation token from the
// App's JWT, marked as an App token.
type appCreds struct {
	apps    *forge.AppTokens
	app     forge.GitHubApp
	apiRepo string
}

func (a appCreds) GitCredentials(ctx context.Context, _, _ string) (git.Credentials, error) {
	tok, err := a.apps.Token(ctx, a.app, a.apiRepo)
	if err != nil {
		return git.Credentials{}, err
	}
	return git.Credentials{Username: "x-access-token", Password: tok, GitHubApp: true}, nil
}

type apiFixture struct {
	t       *testing.T
	bare    string
	srv     *forgetest.Server
	w       *GitWriter
	logs    *bytes.Buffer
	repoURL string
}

// newAPIFixture: a bare repository written through the fake GitHub's Git
// Data API (git plumbing on the same repository), an App whose tokens the
// fake exchanges, and a writer with --git-commit-method api.
func newAPIFixture(t *testing.T) *apiFixture {
	bare := bareRepo(t, map[string]string{"web/values.yaml": "web:\n  repository: reg/web\n  tag: v1\n"})
	srv := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_token")
	srv.BareRepo = bare
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv.AppID, srv.AppInstallationID, srv.AppKey = 1234, 5678, &key.PublicKey
	app := forge.GitHubApp{AppID: 1234, InstallationID: 5678,
		PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithRetryBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	repoURL := srv.URL + "/team/app.git"
	logs := &bytes.Buffer{}
	w := &GitWriter{Git: mgr, Repository: bare, CommitMethod: CommitMethodAPI, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Credentials: appCreds{apps: &forge.AppTokens{}, app: app, apiRepo: repoURL}}
	return &apiFixture{t: t, bare: bare, srv: srv, w: w, logs: logs, repoURL: repoURL}
}

func (f *apiFixture) decision(old, next string) updater.Decision {
	d := helmUpdate(f.t, "web", "reg/web", "web", "web", old, next)
	d.Target.Source.RepoURL, d.Target.Source.TargetRevision = f.repoURL, "main"
	return d
}

func (f *apiFixture) apply(ds ...updater.Decision) GroupResult {
	f.t.Helper()
	res := f.w.Apply(context.Background(), ds)
	if len(res) != 1 {
		f.t.Fatalf("results %+v, want one", res)
	}
	return res[0]
}

// checkVerified: sha is main's (or branch's) head, made through the API
// (verified, GitHub's bot as author), with the content.
func (f *apiFixture) checkVerified(branch, sha, wantTag string) {
	f.t.Helper()
	if head := gitCmd(f.t, f.bare, "rev-parse", branch); head != sha {
		f.t.Fatalf("%s is at %s, the result says %s", branch, head, sha)
	}
	if !f.srv.Verified(sha) {
		f.t.Fatalf("commit %s was not made through the API", sha)
	}
	if a := gitCmd(f.t, f.bare, "show", "-s", "--format=%an <%ae>|%cn", sha); a != forgetest.BotName+" <"+forgetest.BotEmail+">|GitHub" {
		f.t.Fatalf("author|committer %q", a)
	}
	if got := gitCmd(f.t, f.bare, "show", sha+":web/values.yaml"); !strings.Contains(got, "tag: "+wantTag) {
		f.t.Fatalf("content at %s:\n%s", sha, got)
	}
	if msg := gitCmd(f.t, f.bare, "show", "-s", "--format=%B", sha); !strings.Contains(msg, "build: automatic update of web") {
		f.t.Fatalf("message %q", msg)
	}
}

func (f *apiFixture) noSecrets() {
	f.t.Helper()
	if strings.Contains(f.logs.String(), "ghs_token") || strings.Contains(f.logs.String(), "PRIVATE KEY") {
		f.t.Fatalf("logs carry the token or the key:\n%s", f.logs.String())
	}
}

// TestAPICommitDirect: the first cycle commits through the API (a real,
// verified commit on main with the change, nothing pushed by git), the
// second cycle with the same decision is a no-op (no API write).
func TestAPICommitDirect(t *testing.T) {
	f := newAPIFixture(t)
	seed := gitCmd(t, f.bare, "rev-parse", "main")
	r := f.apply(f.decision("v1", "v2"))
	if r.Err != nil || !r.Pushed || r.Attempts != 1 || r.Commit == "" {
		t.Fatalf("first cycle %+v", r)
	}
	f.checkVerified("main", r.Commit, "v2")
	// One changed file costs five API calls (plus the token exchange).
	var calls []string
	for _, req := range f.srv.Requests() {
		if !strings.HasPrefix(req, "POST /api/v3/app/installations/") {
			calls = append(calls, strings.Fields(req)[0]+" "+req[strings.Index(req, "/git/")+1:])
		}
	}
	if got := strings.Join(calls, ", "); got != "GET git/commits/"+seed+", POST git/blobs, POST git/trees, POST git/commits, PATCH git/refs/heads/main" {
		t.Fatalf("API calls: %s", got)
	}
	if p := gitCmd(t, f.bare, "rev-parse", r.Commit+"^"); p != seed {
		t.Fatalf("parent %s, want %s", p, seed)
	}
	before := len(f.srv.Requests())
	r = f.apply(f.decision("v1", "v2"))
	if r.Err != nil || r.Pushed {
		t.Fatalf("second cycle %+v", r)
	}
	for _, req := range f.srv.Requests()[before:] {
		if !strings.HasPrefix(req, "POST /api/v3/app/installations/") {
			t.Fatalf("second cycle called the API: %v", f.srv.Requests()[before:])
		}
	}
	f.noSecrets()
}

// TestAPICommitConcurrentPush: someone pushes to main after the change was
// derived; the ref update is refused as not a fast-forward, the writer
// fetches, re-applies and commits again on the new head.
func TestAPICommitConcurrentPush(t *testing.T) {
	f := newAPIFixture(t)
	other := filepath.Join(t.TempDir(), "other")
	gitCmd(t, filepath.Dir(other), "clone", "--quiet", f.bare, other)
	gitCmd(t, other, "checkout", "--quiet", "main")
	if err := exec.Command("sh", "-c", "echo o > "+filepath.Join(other, "other.yaml")).Run(); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, other, "add", "--all")
	gitCmd(t, other, "commit", "--quiet", "-m", "someone else")
	theirs := gitCmd(t, other, "rev-parse", "HEAD")
	pushed := false
	f.srv.OnCommit = func(string) {
		if !pushed {
			pushed = true
			if out, err := exec.Command("git", "-C", other, "push", "--quiet", "origin", "main").CombinedOutput(); err != nil {
				t.Errorf("concurrent push: %v %s", err, out)
			}
		}
	}
	r := f.apply(f.decision("v1", "v2"))
	if r.Err != nil || !r.Pushed || r.Attempts != 2 {
		t.Fatalf("result %+v", r)
	}
	f.checkVerified("main", r.Commit, "v2")
	if p := gitCmd(t, f.bare, "rev-parse", r.Commit+"^"); p != theirs {
		t.Fatalf("parent %s, want the concurrent commit %s", p, theirs)
	}
	if gitCmd(t, f.bare, "show", "main:other.yaml") != "o" {
		t.Fatal("the concurrent change is lost")
	}
}

// TestAPICommitTokenRefresh: installation tokens expire (here within the
// refresh margin, and each exchange issues a new one that alone is
// accepted); every cycle exchanges again and commits with the new token.
func TestAPICommitTokenRefresh(t *testing.T) {
	f := newAPIFixture(t)
	f.srv.TokenTTL, f.srv.RotateTokens = 30*time.Second, true
	r := f.apply(f.decision("v1", "v2"))
	if r.Err != nil || !r.Pushed {
		t.Fatalf("first cycle %+v", r)
	}
	f.checkVerified("main", r.Commit, "v2")
	r = f.apply(f.decision("v2", "v3"))
	if r.Err != nil || !r.Pushed {
		t.Fatalf("second cycle %+v", r)
	}
	f.checkVerified("main", r.Commit, "v3")
	if n := f.srv.Exchanges(); n != 2 {
		t.Fatalf("%d token exchanges, want 2", n)
	}
	if strings.Contains(f.logs.String(), "ghs_token-") {
		t.Fatal("logs carry a token")
	}
}

// TestAPICommitRefusesNonAppCredentials: a token that is not a GitHub App
// installation token fails the group with the reason; nothing is written,
// no API is called, the token is not in the error. Credentials that cannot
// authenticate the API at all (SSH) fail the same way.
func TestAPICommitRefusesNonAppCredentials(t *testing.T) {
	for _, creds := range []git.Credentials{
		{Username: "x", Password: "ghs_token"},
		{SSHPrivateKey: []byte("key")},
		{GitHubApp: true}, // marked, but no token
	} {
		f := newAPIFixture(t)
		f.w.Credentials = fixedCreds(creds)
		main := gitCmd(t, f.bare, "rev-parse", "main")
		r := f.apply(f.decision("v1", "v2"))
		if r.Err == nil || !errors.Is(r.Err, ErrCommitMethod) || !strings.Contains(r.Err.Error(), "needs GitHub App credentials") ||
			!strings.Contains(r.Err.Error(), "does not fall back") || strings.Contains(r.Err.Error(), "ghs_token") || r.Pushed {
			t.Fatalf("result %+v", r)
		}
		if len(r.Applied) != 1 || len(r.Changes) != 1 {
			t.Fatalf("the failed group does not list its decision: %+v", r)
		}
		if gitCmd(t, f.bare, "rev-parse", "main") != main || len(f.srv.Requests()) != 0 {
			t.Fatalf("written anyway: requests %v", f.srv.Requests())
		}
		f.noSecrets()
	}
}

// TestAPICommitWriteBranch: a write branch is created through the API
// (create ref) and, on a later cycle, rebuilt from the base and replaced
// (a forced update after the lease check).
func TestAPICommitWriteBranch(t *testing.T) {
	f := newAPIFixture(t)
	d := f.decision("v1", "v2")
	d.Target.WriteBack.Branch = "main:auto/web"
	r := f.apply(d)
	if r.Err != nil || !r.Pushed || r.Branch != "auto/web" {
		t.Fatalf("first cycle %+v", r)
	}
	f.checkVerified("auto/web", r.Commit, "v2")
	d = f.decision("v1", "v3")
	d.Target.WriteBack.Branch = "main:auto/web"
	r = f.apply(d)
	if r.Err != nil || !r.Pushed {
		t.Fatalf("second cycle %+v", r)
	}
	f.checkVerified("auto/web", r.Commit, "v3")
	if p := gitCmd(t, f.bare, "rev-parse", r.Commit+"^"); p != gitCmd(t, f.bare, "rev-parse", "main") {
		t.Fatal("the write branch was not rebuilt from main")
	}
}

// TestAPICommitPullRequest: in pull request mode the head branch is
// created by an API commit and the request opened on it; the base does not
// move; the next cycle finds the request open and writes nothing.
func TestAPICommitPullRequest(t *testing.T) {
	f := newAPIFixture(t)
	main := gitCmd(t, f.bare, "rev-parse", "main")
	pr := func(old, next string) updater.Decision {
		d := f.decision(old, next)
		d.Target.WriteBack.PullRequest = &target.PullRequest{Provider: forge.GitHub, Field: "spec.writeBackConfig.gitConfig.pullRequest"}
		return d
	}
	r := f.apply(pr("v1", "v2"))
	if r.Err != nil || r.PullRequest == nil || r.PullRequest.State != PRStateOpened || !r.Pushed {
		t.Fatalf("first cycle %+v", r)
	}
	f.checkVerified(r.Branch, r.Commit, "v2")
	if gitCmd(t, f.bare, "rev-parse", "main") != main {
		t.Fatal("the base moved")
	}
	if open := f.srv.Open(); len(open) != 1 || open[0].Head != r.Branch {
		t.Fatalf("open %+v", open)
	}
	r = f.apply(pr("v1", "v2"))
	if r.Err != nil || r.PullRequest.State != PRStateOpen || r.Pushed {
		t.Fatalf("second cycle %+v", r)
	}
	f.noSecrets()
}
