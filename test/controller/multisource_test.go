package controller_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func multiSource(ns, name, web, db string) *argocd.Application {
	app := &argocd.Application{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	app.Spec.Sources = []argocd.ApplicationSource{
		{RepoURL: "https://git.example/values.git", Ref: "values"},
		{RepoURL: "https://charts.example", Chart: "web", TargetRevision: "1.0.0",
			Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}}}},
		{RepoURL: "https://git.example/db.git", Path: "db", Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{db + ":2.0.0"}}},
	}
	app.Status.SourceTypes = []string{argocd.SourceTypeDirectory, argocd.SourceTypeHelm, argocd.SourceTypeKustomize}
	app.Status.Summary.Images = []string{web + ":1.0.0", db + ":2.0.0"}
	return app
}

// TestMultiSourceEachImageToItsSource updates a multi-source application:
// the Helm image lands in the chart source, the Kustomize image in the
// kustomize source.
func TestMultiSourceEachImageToItsSource(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.0.1")
	db := f.push(t, "team/db", "2.0.0", "2.1.0")
	f.createApp(t, multiSource(ns, "ms", web, db))
	iu := f.createIU(t, ns, "ms", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "ms", Images: []v1alpha1.ImageConfig{
		{Alias: "web", ImageName: web, ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "web.repo", Tag: "web.tag"}}},
		{Alias: "db", ImageName: db},
	}}}})
	f.reconcile(t, iu)
	a := f.app(t, ns, "ms")
	helm := a.Spec.Sources[1].Helm.Parameters
	if len(helm) != 2 || helm[0].Value != "1.0.1" || helm[1].Name != "web.repo" {
		t.Errorf("helm source: %+v", helm)
	}
	if got := strings.Join(a.Spec.Sources[2].Kustomize.Images, ","); got != db+":2.1.0" {
		t.Errorf("kustomize source: %s", got)
	}
	if a.Spec.Sources[0].Helm != nil || a.Spec.Sources[0].Kustomize != nil || a.Spec.Sources[1].Kustomize != nil || a.Spec.Sources[2].Helm != nil {
		t.Errorf("other sources touched: %+v", a.Spec.Sources)
	}
}

// TestDryRunChangesNothing plans and logs but neither patches nor records
// an update in the status.
func TestDryRunChangesNothing(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.0.1")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.engine.DryRun, f.engine.ArgoCD.DryRun = true, true
	iu := f.createIU(t, ns, "dry", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}})
	out := f.reconcile(t, iu)
	if updated, _, _ := out.Counts(); updated != 1 {
		t.Errorf("planned updates: %d", updated)
	}
	if a := f.app(t, ns, "web"); param(a, "image.tag") != "1.0.0" {
		t.Errorf("dry run patched: %+v", a.Spec.Source.Helm.Parameters)
	}
	if iu.Status.LastUpdatedAt != nil || len(iu.Status.RecentUpdates) != 0 || len(f.events) != 0 {
		t.Errorf("dry run recorded an update: %+v events %v", iu.Status, f.events)
	}
	if !strings.Contains(f.logs.String(), "but pending spec update (dry run=true)") {
		t.Error("dry-run log line missing")
	}
}
