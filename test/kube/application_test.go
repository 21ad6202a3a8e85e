package kube

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocdv1alpha1 "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestApplicationStatusImagesStoredOnCreate(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	src := argocdv1alpha1.ApplicationSource{
		RepoURL: "https://git.example.com/deploy.git", Path: "guestbook", TargetRevision: "main",
		Helm: &argocdv1alpha1.ApplicationSourceHelm{
			Parameters: []argocdv1alpha1.HelmParameter{{Name: "image.tag", Value: "1.0.0", ForceString: true}},
			ValueFiles: []string{"values-prod.yaml"},
		},
	}
	app := infra.KubeApplication(ns, "guestbook", src, argocdv1alpha1.SourceTypeHelm, "ghcr.io/team/guestbook:1.0.0", "redis:7.2")
	if err := env.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	var got argocdv1alpha1.Application
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(app), &got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if want := []string{"ghcr.io/team/guestbook:1.0.0", "redis:7.2"}; !reflect.DeepEqual(got.Status.Summary.Images, want) {
		t.Errorf("status.summary.images = %v, want %v", got.Status.Summary.Images, want)
	}
	if got.Status.SourceType != "Helm" || !reflect.DeepEqual(got.Spec.Source.Helm, src.Helm) {
		t.Errorf("stored application = %+v", got)
	}

	multi := infra.KubeApplication(ns, "multi", src, "")
	multi.Spec.Source = nil
	multi.Spec.Sources = []argocdv1alpha1.ApplicationSource{
		{RepoURL: "https://charts.example.com", Chart: "web", TargetRevision: "2.1.0"},
		{RepoURL: "https://git.example.com/plugin.git", Path: "p", Plugin: &argocdv1alpha1.ApplicationSourcePlugin{
			Name: "envsubst", Env: []argocdv1alpha1.EnvEntry{{Name: "IMAGE", Value: "web:1"}},
		}},
		{RepoURL: "https://git.example.com/k.git", Path: "k", Kustomize: &argocdv1alpha1.ApplicationSourceKustomize{Images: []string{"web=ghcr.io/team/web:1"}}},
	}
	multi.Status.SourceTypes = []string{"Helm", "Plugin", "Kustomize"}
	if err := env.CreateApplication(ctx, multi); err != nil {
		t.Fatal(err)
	}
	var gotMulti argocdv1alpha1.Application
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(multi), &gotMulti); err != nil {
		t.Fatalf("get: %v", err)
	}
	if !gotMulti.Spec.HasMultipleSources() || !reflect.DeepEqual(gotMulti.Spec.Sources, multi.Spec.Sources) ||
		!reflect.DeepEqual(gotMulti.Status.SourceTypes, multi.Status.SourceTypes) {
		t.Errorf("multi-source application not stored as sent: %+v", gotMulti)
	}
}

// applicationWithForeignFields creates an Application carrying fields our
// types do not know (syncPolicy, info) and returns its key.
func applicationWithForeignFields(t *testing.T, env *infra.KubeEnv, name string) client.ObjectKey {
	t.Helper()
	ns := env.Namespace(t)
	doc := `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ` + name + `, namespace: ` + ns + `}
spec:
  project: default
  destination: {server: "https://kubernetes.default.svc", namespace: web}
  source:
    repoURL: https://git.example.com/deploy.git
    path: web
    helm:
      parameters: [{name: image.tag, value: "1.0.0"}]
  syncPolicy:
    automated: {prune: true, selfHeal: true}
  info: [{name: owner, value: team-web}]
`
	objs, err := infra.KubeDecodeYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(context.Background(), objs[0]); err != nil {
		t.Fatalf("create: %v", err)
	}
	return client.ObjectKeyFromObject(objs[0])
}

func syncPolicyOf(t *testing.T, env *infra.KubeEnv, key client.ObjectKey) any {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(argocdv1alpha1.GroupVersion.WithKind(argocdv1alpha1.ApplicationKind))
	if err := env.Client.Get(context.Background(), key, u); err != nil {
		t.Fatalf("get: %v", err)
	}
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "syncPolicy")
	return v
}

// TestApplicationPatchKeepsUnknownFields shows the rule of the package
// documentation: a merge patch computed from the typed object changes only
// what changed, and the fields our types lack survive.
func TestApplicationPatchKeepsUnknownFields(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	key := applicationWithForeignFields(t, env, "patched")
	var app argocdv1alpha1.Application
	if err := env.Client.Get(ctx, key, &app); err != nil {
		t.Fatalf("get: %v", err)
	}
	base := app.DeepCopy()
	app.Spec.Source.Helm.Parameters[0].Value = "1.1.0"
	app.Spec.Source.Helm.Parameters[0].ForceString = true
	if err := env.Client.Patch(ctx, &app, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		t.Fatalf("patch: %v", err)
	}
	if syncPolicyOf(t, env, key) == nil {
		t.Error("spec.syncPolicy lost by a merge patch")
	}
	if got := app.Spec.Source.Helm.Parameters[0]; got.Value != "1.1.0" || !got.ForceString {
		t.Errorf("parameter after patch = %+v", got)
	}
}

// TestApplicationTypedUpdateDropsUnknownFields documents why writers must
// not Update a typed Application: the fields it lacks are erased.
func TestApplicationTypedUpdateDropsUnknownFields(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	key := applicationWithForeignFields(t, env, "updated")
	var app argocdv1alpha1.Application
	if err := env.Client.Get(ctx, key, &app); err != nil {
		t.Fatalf("get: %v", err)
	}
	if err := env.Client.Update(ctx, &app); err != nil {
		t.Fatalf("update: %v", err)
	}
	if syncPolicyOf(t, env, key) != nil {
		t.Error("a typed Update kept spec.syncPolicy; the package documentation's warning is out of date")
	}
}
