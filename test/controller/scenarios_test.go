package controller_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

// scGitFixture adds a git server with credentials in a Secret to an engine.
type scGitFixture struct {
	*fixture
	ns   string
	srv  *infra.GitHTTPServer
	bare string
}

func scSetupGit(t *testing.T, files map[string]string) *scGitFixture {
	t.Helper()
	infra.GitRequire(t)
	f := setupEngine(t)
	g := &scGitFixture{fixture: f, ns: f.kube.Namespace(t)}
	g.srv = infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "git", Password: "gitpw"})
	g.bare = g.srv.RepoPath("gitops.git")
	infra.GitBareRepoFromFiles(t, g.bare, "main", files)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: g.ns, Name: "git-creds"}, StringData: map[string]string{"username": "git", "password": "gitpw"}}
	if err := f.kube.Client.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithAuthor("imagepilot-test", "bot@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Git = &writeback.GitWriter{Git: mgr, Credentials: &kube.GitCredentials{Reader: f.kube.Client, Namespace: g.ns}, Layout: writeback.Layout{ControllerNamespace: g.ns}}
	return g
}

func (g *scGitFixture) file(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir", g.bare, "show", "main:"+path).Output()
	if err != nil {
		t.Fatalf("git show main:%s: %v", path, err)
	}
	return string(out)
}

const scKustomization = `resources:
- deployment.yaml
images:
# the web image
- name: web
  newName: %s
  newTag: 1.0.0
`

// TestScenarioAnnotationsGitKustomization: v0.x annotations, git
// write-back into the kustomization, credentials from git:secret:.
func TestScenarioAnnotationsGitKustomization(t *testing.T) {
	g := scSetupGit(t, map[string]string{"overlays/prod/deployment.yaml": "kind: Deployment\n"})
	web := g.push(t, "team/web", "1.0.0", "1.4.0")
	infra.GitPushFiles(t, g.bare, "main", "kustomization", map[string]string{
		"overlays/prod/kustomization.yaml": strings.Replace(scKustomization, "%s", web, 1),
	})
	app := infra.KubeApplication(g.ns, "web-prod", argocd.ApplicationSource{RepoURL: g.srv.RepoURL("gitops.git"), Path: "overlays/prod", TargetRevision: "main",
		Kustomize: &argocd.ApplicationSourceKustomize{}}, argocd.SourceTypeKustomize, web+":1.0.0")
	app.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":               "web=" + web,
		target.AnnotationPrefix + "web.kustomize.image-name": "web",
		target.AnnotationPrefix + "write-back-method":        "git:secret:" + g.ns + "/git-creds",
		target.AnnotationPrefix + "write-back-target":        "kustomization",
	}
	g.createApp(t, app)
	g.engine.WatchNamespaces = []string{g.ns}
	legacy, err := controller.NewLegacy(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.engine.RunLegacy(context.Background(), legacy)
	if err != nil {
		t.Fatal(err)
	}
	if updated, _, errored := out.Counts(); updated != 1 || errored != 0 {
		t.Fatalf("updated %d errors %d: %+v %+v", updated, errored, out.Problems, out.Git)
	}
	want := strings.Replace(strings.Replace(scKustomization, "%s", web, 1), "newTag: 1.0.0", "newTag: 1.4.0", 1)
	if got := g.file(t, "overlays/prod/kustomization.yaml"); got != want {
		t.Fatalf("kustomization:\n%s\nwant:\n%s", got, want)
	}
}

// TestScenarioHelmValuesNonLiveImage: git write-back into values.yaml; an
// image the application does not run is skipped with the reason.
func TestScenarioHelmValuesNonLiveImage(t *testing.T) {
	g := scSetupGit(t, map[string]string{"chart/Chart.yaml": "name: c\n"})
	web := g.push(t, "team/web", "1.0.0", "1.1.0")
	worker := g.push(t, "team/worker", "2.0.0", "2.2.0")
	infra.GitPushFiles(t, g.bare, "main", "values", map[string]string{
		"chart/values.yaml": "web:\n  image:\n    repository: " + web + "\n    tag: 1.0.0\nworker:\n  image:\n    repository: " + worker + "\n    tag: 2.0.0\n",
	})
	g.createApp(t, infra.KubeApplication(g.ns, "shop", argocd.ApplicationSource{RepoURL: g.srv.RepoURL("gitops.git"), Path: "chart", TargetRevision: "main",
		Helm: &argocd.ApplicationSourceHelm{}}, argocd.SourceTypeHelm, web+":1.0.0"))
	iu := g.createIU(t, g.ns, "shop", v1alpha1.ImageUpdaterSpec{
		WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + g.ns + "/git-creds", GitConfig: &v1alpha1.GitConfig{WriteBackTarget: "helmvalues"}},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "shop", Images: []v1alpha1.ImageConfig{
			{Alias: "web", ImageName: web, ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "web.image.repository", Tag: "web.image.tag"}}},
			{Alias: "worker", ImageName: worker, ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "worker.image.repository", Tag: "worker.image.tag"}}},
		}}},
	})
	out := g.reconcile(t, iu)
	if updated, skipped, errored := out.Counts(); updated != 1 || skipped != 1 || errored != 0 {
		t.Fatalf("updated %d skipped %d errors %d: %+v", updated, skipped, errored, out.Problems)
	}
	for _, d := range out.Decisions {
		if d.Target.Image.Alias == "worker" && !strings.Contains(d.Reason, "not live") {
			t.Errorf("worker skip reason: %q", d.Reason)
		}
	}
	values := g.file(t, "chart/values.yaml")
	if !strings.Contains(values, "tag: 1.1.0") || !strings.Contains(values, "tag: 2.0.0") {
		t.Fatalf("values.yaml:\n%s", values)
	}
}

// TestScenarioClusterWide: with --watch-namespaces '*' an ImageUpdater
// selects applications in any namespace.
func TestScenarioClusterWide(t *testing.T) {
	f := setupEngine(t)
	home, other := f.kube.Namespace(t), f.kube.Namespace(t)
	api := f.push(t, "team/api", "3.0.0", "3.0.1")
	f.createApp(t, helmApp(other, "api", []argocd.HelmParameter{{Name: "image.tag", Value: "3.0.0"}}, api+":3.0.0"))
	f.engine.WatchNamespaces = []string{"*"}
	iu := f.createIU(t, home, "everywhere", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
		NamePattern: "api", Images: []v1alpha1.ImageConfig{{Alias: "api", ImageName: api}},
	}}})
	f.reconcile(t, iu)
	if a := f.app(t, other, "api"); param(a, "image.tag") != "3.0.1" {
		t.Fatalf("application in another namespace not updated: %+v (status %+v)", a.Spec.Source.Helm.Parameters, iu.Status)
	}
}
