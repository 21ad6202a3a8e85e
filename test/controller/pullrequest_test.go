package controller_test

// The controller with pull requests, on the real kube-apiserver and the
// real git server (git http-backend). No forge server can run here: the
// GitHub API is forgetest's fake (documented REST shapes), tied to the
// same bare repository, at the apiURL the ImageUpdater names.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestControllerPullRequests(t *testing.T) {
	g := scSetupGit(t, map[string]string{"x": "x\n"})
	g.engine.Git.Logger = g.engine.Logger
	// Registry answers are kept for the interval: each later step moves
	// the clock past it to see newly pushed tags.
	var hours atomic.Int64
	g.engine.Now = func() time.Time { return time.Now().Add(time.Duration(hours.Load()) * time.Hour) }
	web := g.push(t, "team/web", "1.0.0", "1.4.0")
	bare := g.srv.RepoPath("team/gitops.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{
		"overlays/prod/deployment.yaml":    "kind: Deployment\n",
		"overlays/prod/kustomization.yaml": strings.Replace(scKustomization, "%s", web, 1),
	})
	fake := forgetest.New(t, forgetest.GitHub, "team/gitops", "gitpw")
	fake.BareRepo = bare
	app := infra.KubeApplication(g.ns, "web-prod", argocd.ApplicationSource{RepoURL: g.srv.RepoURL("team/gitops.git"), Path: "overlays/prod", TargetRevision: "main",
		Kustomize: &argocd.ApplicationSourceKustomize{}}, argocd.SourceTypeKustomize, web+":1.0.0")
	g.createApp(t, app)
	iu := g.createIU(t, g.ns, "web", v1alpha1.ImageUpdaterSpec{
		WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + g.ns + "/git-creds", GitConfig: &v1alpha1.GitConfig{
			WriteBackTarget: "kustomization",
			PullRequest:     &v1alpha1.PullRequest{GitHub: &v1alpha1.GitHubPullRequest{APIURL: fake.URL + "/api/v3"}, Labels: []string{"images"}}}},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web-prod", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
			ManifestTargets: &v1alpha1.ManifestTarget{Kustomize: &v1alpha1.KustomizeTarget{Name: "web"}}}}}},
	})
	main := infra.GitRun(t, bare, "rev-parse", "main")

	out := g.reconcile(t, iu)
	if _, _, errored := out.Counts(); errored != 0 {
		t.Fatalf("errors: %+v %+v", out.Problems, out.Git)
	}
	open := fake.Open()
	if len(open) != 1 || strings.Join(open[0].Labels, ",") != "images" || infra.GitRun(t, bare, "rev-parse", "main") != main {
		t.Fatalf("requests %+v, main moved %v", fake.PRs(), infra.GitRun(t, bare, "rev-parse", "main") != main)
	}
	if got := infra.GitRun(t, bare, "show", open[0].Head+":overlays/prod/kustomization.yaml"); !strings.Contains(got, "newTag: 1.4.0") {
		t.Fatalf("head branch:\n%s", got)
	}
	url := fake.URL + "/team/gitops/pull/1"
	if len(iu.Status.RecentUpdates) != 1 || !strings.Contains(iu.Status.RecentUpdates[0].Message, url) {
		t.Fatalf("status recent updates %+v", iu.Status.RecentUpdates)
	}
	g.mu.Lock()
	event := g.events[g.ns+"/web-prod"]
	g.mu.Unlock()
	if !strings.Contains(event, "pull request "+url) {
		t.Fatalf("event %q", event)
	}
	if !strings.Contains(g.logs.String(), url) || strings.Contains(g.logs.String(), "gitpw") {
		t.Fatalf("log lacks the URL or carries the token:\n%s", g.logs.String())
	}

	// The next pass: the request is open; no push, no second request, no
	// new status entry.
	out = g.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 0 || errored != 0 || len(fake.PRs()) != 1 || len(iu.Status.RecentUpdates) != 1 {
		t.Fatalf("second pass: %d updated (want 0: the request is open), errors %+v, requests %d, recent %d", updated, out.Git, len(fake.PRs()), len(iu.Status.RecentUpdates))
	}

	// A newer tag: a new request supersedes the first.
	g.push(t, "team/web", "1.5.0")
	hours.Add(1)
	g.reconcile(t, iu)
	prs := fake.PRs()
	if len(prs) != 2 || prs[0].State != "closed" || prs[1].State != "open" || !strings.Contains(strings.Join(prs[0].Comments, ""), "/pull/2") {
		t.Fatalf("after supersede %+v", prs)
	}

	// SSH-only credentials: refused before anything is pushed.
	ssh := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: g.ns, Name: "ssh-creds"}, StringData: map[string]string{"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"}}
	if err := g.kube.Client.Create(t.Context(), ssh); err != nil {
		t.Fatal(err)
	}
	iu.Spec.WriteBackConfig.Method = "git:secret:" + g.ns + "/ssh-creds"
	if err := g.kube.Client.Update(t.Context(), iu); err != nil {
		t.Fatal(err)
	}
	g.push(t, "team/web", "1.6.0")
	hours.Add(1)
	branches := infra.GitRun(t, bare, "for-each-ref", "--format=%(refname)")
	out = g.reconcile(t, iu)
	if _, _, errored := out.Counts(); errored != 1 || len(out.Git) != 1 || out.Git[0].Err == nil || !strings.Contains(out.Git[0].Err.Error(), "SSH-only") {
		t.Fatalf("ssh-only: %+v", out.Git)
	}
	if infra.GitRun(t, bare, "for-each-ref", "--format=%(refname)") != branches || len(fake.PRs()) != 2 {
		t.Fatal("ssh-only credentials pushed or opened a request")
	}
}

// TestControllerPullRequestWithGitHubApp: the repository secret holds a
// GitHub App; its installation token (exchanged with the App's JWT at the
// API derived from the repository URL, GitHub Enterprise style) pushes the
// head branch over HTTPS and opens the request.
func TestControllerPullRequestWithGitHubApp(t *testing.T) {
	g := scSetupGit(t, map[string]string{"x": "x\n"})
	web := g.push(t, "team/web", "1.0.0", "1.4.0")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fake := forgetest.NewHandler(t, forgetest.GitHub, "team/gitops", "ghs_installation_token")
	fake.AppID, fake.AppInstallationID, fake.AppKey = 1234, 5678, &key.PublicKey
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "x-access-token", Password: "ghs_installation_token", API: fake})
	fake.URL = srv.URL
	bare := srv.RepoPath("team/gitops.git")
	fake.BareRepo = bare
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{
		"overlays/prod/deployment.yaml":    "kind: Deployment\n",
		"overlays/prod/kustomization.yaml": strings.Replace(scKustomization, "%s", web, 1),
	})
	appSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: g.ns, Name: "gh-app"}, StringData: map[string]string{
		"githubAppID": "1234", "githubAppInstallationID": "5678",
		"githubAppPrivateKey": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
	}}
	if err := g.kube.Client.Create(t.Context(), appSecret); err != nil {
		t.Fatal(err)
	}
	g.createApp(t, infra.KubeApplication(g.ns, "web-app", argocd.ApplicationSource{RepoURL: srv.RepoURL("team/gitops.git"), Path: "overlays/prod", TargetRevision: "main",
		Kustomize: &argocd.ApplicationSourceKustomize{}}, argocd.SourceTypeKustomize, web+":1.0.0"))
	iu := g.createIU(t, g.ns, "web-app", v1alpha1.ImageUpdaterSpec{
		WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + g.ns + "/gh-app", GitConfig: &v1alpha1.GitConfig{
			WriteBackTarget: "kustomization", PullRequest: &v1alpha1.PullRequest{GitHub: &v1alpha1.GitHubPullRequest{}}}},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web-app", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
			ManifestTargets: &v1alpha1.ManifestTarget{Kustomize: &v1alpha1.KustomizeTarget{Name: "web"}}}}}},
	})
	main := infra.GitRun(t, bare, "rev-parse", "main")
	out := g.reconcile(t, iu)
	if _, _, errored := out.Counts(); errored != 0 {
		t.Fatalf("errors: %+v %+v", out.Problems, out.Git)
	}
	open := fake.Open()
	if len(open) != 1 || fake.Exchanges() == 0 || infra.GitRun(t, bare, "rev-parse", "main") != main {
		t.Fatalf("requests %+v, exchanges %d", fake.PRs(), fake.Exchanges())
	}
	if !strings.Contains(infra.GitRun(t, bare, "show", open[0].Head+":overlays/prod/kustomization.yaml"), "newTag: 1.4.0") {
		t.Fatal("head branch lacks the change")
	}
	if strings.Contains(g.logs.String(), "ghs_installation_token") || strings.Contains(g.logs.String(), "PRIVATE KEY") {
		t.Fatal("the log carries the token or the key")
	}
}
