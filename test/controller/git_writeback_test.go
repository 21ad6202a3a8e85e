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
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestImageUpdaterGitWriteBackDefaultFile writes two applications' updates
// through a real git smart-HTTP server, with credentials from a Secret
// named in writeBackConfig, into the default .argocd-source-<app>.yaml
// files: one commit for both.
func TestImageUpdaterGitWriteBackDefaultFile(t *testing.T) {
	infra.GitRequire(t)
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	ctx := context.Background()
	web := f.push(t, "team/web", "1.0.0", "1.5.0")
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "git", Password: "gitpw"})
	bare := srv.RepoPath("gitops.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{
		"apps/a/Chart.yaml": "name: a\n",
		"apps/b/Chart.yaml": "name: b\n",
	})
	before := strings.TrimSpace(infra.GitRun(t, bare, "rev-parse", "main"))
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git-creds"}, StringData: map[string]string{"username": "git", "password": "gitpw"}}
	if err := f.kube.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		f.createApp(t, infra.KubeApplication(ns, name, argocd.ApplicationSource{RepoURL: srv.RepoURL("gitops.git"), Path: "apps/" + name, TargetRevision: "main",
			Helm: &argocd.ApplicationSourceHelm{}}, argocd.SourceTypeHelm, web+":1.0.0"))
	}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithAuthor("imagepilot-test", "bot@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Git = &writeback.GitWriter{Git: mgr, Credentials: &kube.GitCredentials{Reader: f.kube.Client, Namespace: ns}, Layout: writeback.Layout{ControllerNamespace: ns}}
	iu := f.createIU(t, ns, "git", v1alpha1.ImageUpdaterSpec{
		WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + ns + "/git-creds"},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
			ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "image.repository", Tag: "image.tag"}}}}}},
	})
	out := f.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 2 || errored != 0 {
		t.Fatalf("updated %d errors %d: %+v %+v", updated, errored, out.Git, out.Problems)
	}
	for _, name := range []string{"a", "b"} {
		data, err := exec.Command("git", "--git-dir", bare, "show", "main:apps/"+name+"/.argocd-source-"+name+".yaml").Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, want := range []string{"name: image.repository", "value: " + web, "name: image.tag", "value: 1.5.0", "forcestring: true"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s file lacks %q:\n%s", name, want, data)
			}
		}
		if a := f.app(t, ns, name); a.Spec.Source.Helm != nil && len(a.Spec.Source.Helm.Parameters) > 0 {
			t.Errorf("git write-back patched the application: %+v", a.Spec.Source.Helm)
		}
	}
	if n := strings.TrimSpace(infra.GitRun(t, bare, "rev-list", "--count", before+"..main")); n != "1" {
		t.Errorf("commits: %s, want 1 for both applications", n)
	}
	if iu.Status.LastUpdatedAt == nil || len(iu.Status.RecentUpdates) != 1 || iu.Status.RecentUpdates[0].ApplicationsUpdated != 2 {
		t.Errorf("status: %+v", iu.Status)
	}
}
