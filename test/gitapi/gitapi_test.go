// Package gitapi_test runs the GitHub API commit method (--git-commit-method
// api) end to end: credentials from an Argo CD repository secret holding a
// GitHub App (kube.GitCredentials, read through a controller-runtime fake
// client), the working copy cloned and fetched from the real git server
// (git http-backend, authenticated with the installation token), and the
// commit made through forgetest's GitHub fake, whose Git Data API writes
// the same bare repository with git plumbing. No GitHub can run here: the
// fake follows GitHub's documented REST shapes.
package gitapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

const token = "ghs_installation_token"

type env struct {
	fake    *forgetest.Server
	srv     *infra.GitHTTPServer
	bare    string
	repoURL string
	w       *writeback.GitWriter
	logs    *bytes.Buffer
}

// setup: the git server with the fake GitHub API on its host (GitHub
// Enterprise style), a repository, and a writer whose credentials come
// from the repository secret secretData.
func setup(t *testing.T, secretData func(key []byte) map[string]string) *env {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := forgetest.NewHandler(t, forgetest.GitHub, "team/gitops", token)
	f.AppID, f.AppInstallationID, f.AppKey = 1234, 5678, &key.PublicKey
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "x-access-token", Password: token, API: f})
	f.URL = srv.URL
	bare := srv.RepoPath("team/gitops.git")
	f.BareRepo = bare
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"web/values.yaml": "web:\n  repository: reg/web\n  tag: 1.0.0\n"})
	repoURL := srv.RepoURL("team/gitops.git")
	data := secretData(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	data["url"] = repoURL
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: "repo-gitops",
		Labels: map[string]string{kube.SecretTypeLabel: kube.SecretTypeRepository}}, Data: map[string][]byte{}}
	for k, v := range data {
		secret.Data[k] = []byte(v)
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(secret).Build()
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithRetryBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	w := &writeback.GitWriter{Git: mgr, CommitMethod: writeback.CommitMethodAPI, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Credentials: &kube.GitCredentials{Reader: reader, Namespace: "argocd", Apps: &forge.AppTokens{}}}
	return &env{fake: f, srv: srv, bare: bare, repoURL: repoURL, w: w, logs: logs}
}

func appSecret(key []byte) map[string]string {
	return map[string]string{"githubAppID": "1234", "githubAppInstallationID": "5678", "githubAppPrivateKey": string(key)}
}

func (e *env) decision(t *testing.T, old, next string) updater.Decision {
	t.Helper()
	s, err := imagespec.Parse("reg/web")
	if err != nil {
		t.Fatal(err)
	}
	tg := target.Target{App: target.AppRef{Namespace: "argocd", Name: "web"}, Image: s,
		WriteBack: target.WriteBack{Method: target.MethodGit, Target: "helmvalues"},
		Source:    target.Source{RepoURL: e.repoURL, TargetRevision: "main", Path: "web", Kind: target.KindHelm},
		Manifest:  target.Manifest{HelmName: "web.repository", HelmTag: "web.tag"}}
	return updater.Decision{Item: updater.Item{Target: tg, Current: updater.Current{Tag: old, Live: true}}, Action: updater.ActionUpdate, NewTag: next}
}

func (e *env) apply(t *testing.T, d updater.Decision) writeback.GroupResult {
	t.Helper()
	res := e.w.Apply(context.Background(), []updater.Decision{d})
	if len(res) != 1 {
		t.Fatalf("results %+v", res)
	}
	return res[0]
}

// served clones the repository over HTTP (as Argo CD would) and returns
// the branch's head commit, its author and its values file.
func (e *env) served(t *testing.T, branch string) (sha, author, values string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	u := strings.Replace(e.repoURL, "://", "://x-access-token:"+token+"@", 1)
	infra.GitRun(t, filepath.Dir(dir), "clone", "--quiet", "--branch", branch, u, dir)
	return infra.GitRun(t, dir, "rev-parse", "HEAD"), infra.GitRun(t, dir, "log", "-1", "--format=%an"),
		infra.GitRun(t, dir, "show", "HEAD:web/values.yaml")
}

func (e *env) noSecrets(t *testing.T) {
	t.Helper()
	if l := e.logs.String(); strings.Contains(l, token) || strings.Contains(l, "PRIVATE KEY") {
		t.Fatalf("the log carries the token or the key:\n%s", l)
	}
}

// TestAPICommitThroughGitServer: the first cycle's commit is made by the
// API (verified, GitHub's bot as author) and served by the git server; the
// next cycle with the same values writes nothing; a newer tag is committed
// on top; the installation token authenticated git and the API alike.
func TestAPICommitThroughGitServer(t *testing.T) {
	e := setup(t, appSecret)
	seed := infra.GitRun(t, e.bare, "rev-parse", "main")
	r := e.apply(t, e.decision(t, "1.0.0", "1.1.0"))
	if r.Err != nil || !r.Pushed || r.Commit == "" {
		t.Fatalf("first cycle %+v", r)
	}
	sha, author, values := e.served(t, "main")
	if sha != r.Commit || author != forgetest.BotName || !strings.Contains(values, "tag: 1.1.0") || !e.fake.Verified(sha) {
		t.Fatalf("served %s by %q:\n%s", sha, author, values)
	}
	if infra.GitRun(t, e.bare, "rev-parse", sha+"^") != seed {
		t.Fatal("the API commit is not on the fetched head")
	}
	if e.fake.Exchanges() == 0 {
		t.Fatal("no installation token was exchanged")
	}
	r = e.apply(t, e.decision(t, "1.0.0", "1.1.0"))
	if r.Err != nil || r.Pushed || infra.GitRun(t, e.bare, "rev-parse", "main") != sha {
		t.Fatalf("second cycle %+v", r)
	}
	r = e.apply(t, e.decision(t, "1.1.0", "1.2.0"))
	if r.Err != nil || !r.Pushed {
		t.Fatalf("third cycle %+v", r)
	}
	if got, _, values := e.served(t, "main"); got != r.Commit || !strings.Contains(values, "tag: 1.2.0") || !e.fake.Verified(got) {
		t.Fatalf("third cycle served %s:\n%s", got, values)
	}
	e.noSecrets(t)
}

// TestAPICommitConcurrentPushThroughGitServer: someone pushes to main over
// HTTP between the change's derivation and the ref update; the update is
// refused as not a fast-forward and the write-back re-derives on the new
// head within its attempts.
func TestAPICommitConcurrentPushThroughGitServer(t *testing.T) {
	e := setup(t, appSecret)
	other := filepath.Join(t.TempDir(), "other")
	u := strings.Replace(e.repoURL, "://", "://x-access-token:"+token+"@", 1)
	infra.GitRun(t, filepath.Dir(other), "clone", "--quiet", u, other)
	infra.GitRun(t, other, "commit", "--quiet", "--allow-empty", "-m", "someone else")
	theirs := infra.GitRun(t, other, "rev-parse", "HEAD")
	pushed := false
	e.fake.OnCommit = func(string) {
		if !pushed {
			pushed = true
			infra.GitRun(t, other, "push", "--quiet", "origin", "main")
		}
	}
	r := e.apply(t, e.decision(t, "1.0.0", "1.1.0"))
	if r.Err != nil || !r.Pushed || r.Attempts != 2 {
		t.Fatalf("result %+v", r)
	}
	if sha, _, values := e.served(t, "main"); sha != r.Commit || infra.GitRun(t, e.bare, "rev-parse", sha+"^") != theirs || !strings.Contains(values, "1.1.0") {
		t.Fatalf("served %s:\n%s", sha, values)
	}
}

// TestAPICommitPullRequestThroughGitServer: pull request mode with the
// API commit: the head branch is created by the API from main, served by
// the git server, and the request opened; main does not move.
func TestAPICommitPullRequestThroughGitServer(t *testing.T) {
	e := setup(t, appSecret)
	main := infra.GitRun(t, e.bare, "rev-parse", "main")
	d := e.decision(t, "1.0.0", "1.1.0")
	d.Target.WriteBack.PullRequest = &target.PullRequest{Provider: forge.GitHub, Field: "spec.writeBackConfig.gitConfig.pullRequest"}
	r := e.apply(t, d)
	if r.Err != nil || r.PullRequest == nil || r.PullRequest.State != writeback.PRStateOpened {
		t.Fatalf("result %+v", r)
	}
	sha, author, values := e.served(t, r.Branch)
	if sha != r.Commit || author != forgetest.BotName || !e.fake.Verified(sha) || !strings.Contains(values, "1.1.0") {
		t.Fatalf("head branch %s by %q:\n%s", sha, author, values)
	}
	if open := e.fake.Open(); len(open) != 1 || open[0].Head != r.Branch || infra.GitRun(t, e.bare, "rev-parse", "main") != main {
		t.Fatalf("open %+v", open)
	}
	e.noSecrets(t)
}

// TestAPICommitRefusesTokenSecret: a repository secret with a username and
// token (no App) works for git but cannot make a GitHub-signed commit: the
// target fails with the reason and nothing is written (upstream would fall
// back to an unsigned git push).
func TestAPICommitRefusesTokenSecret(t *testing.T) {
	e := setup(t, func([]byte) map[string]string {
		return map[string]string{"username": "x-access-token", "password": token}
	})
	main := infra.GitRun(t, e.bare, "rev-parse", "main")
	r := e.apply(t, e.decision(t, "1.0.0", "1.1.0"))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "needs GitHub App credentials") || strings.Contains(r.Err.Error(), token) || r.Pushed {
		t.Fatalf("result %+v", r)
	}
	if infra.GitRun(t, e.bare, "rev-parse", "main") != main || len(e.fake.Requests()) != 0 {
		t.Fatalf("written anyway; API requests %v", e.fake.Requests())
	}
	if writeback.FailedApps([]writeback.GroupResult{r})[target.AppRef{Namespace: "argocd", Name: "web"}] != true {
		t.Fatal("the application is not reported failed")
	}
	e.noSecrets(t)
}
