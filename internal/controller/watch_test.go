package controller

import (
	"context"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestImageUpdatersFor: an Application maps to the ImageUpdaters whose
// refs select it, among those of the namespaces that may select it.
func TestImageUpdatersFor(t *testing.T) {
	labelled := imageRef("*", "reg.example/web")
	labelled.LabelSelectors = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}
	broken := imageRef("web", "reg.example/web")
	broken.LabelSelectors = badSelector
	objs := []client.Object{
		imageUpdater("apps", "by-name", 1, imageRef("web", "reg.example/web")),
		imageUpdater("apps", "by-glob", 1, imageRef("w*", "reg.example/web")),
		imageUpdater("apps", "other-name", 1, imageRef("api", "reg.example/api")),
		imageUpdater("apps", "by-label", 1, labelled),
		imageUpdater("apps", "broken", 1, broken),
		imageUpdater("updaters", "central", 1, imageRef("web", "reg.example/web")),
	}
	web := helmApplication("apps", "web", "reg.example/web", "1.0.0")
	tiered := web.DeepCopy()
	tiered.Labels = map[string]string{"tier": "web"}
	elsewhere := helmApplication("elsewhere", "web", "reg.example/web", "1.0.0")
	for _, tc := range []struct {
		name    string
		watch   []string
		obj     client.Object
		listErr error
		want    []string
	}{
		{name: "own namespace only", obj: web, want: []string{"apps/by-glob", "apps/by-name"}},
		{name: "labels select", obj: tiered, want: []string{"apps/by-glob", "apps/by-label", "apps/by-name"}},
		{name: "watched namespace: ImageUpdaters anywhere", watch: []string{"apps"}, obj: web, want: []string{"apps/by-glob", "apps/by-name", "updaters/central"}},
		{name: "all namespaces", watch: []string{"*"}, obj: elsewhere, want: []string{"apps/by-glob", "apps/by-name", "updaters/central"}},
		{name: "namespace not watched", watch: []string{"apps"}, obj: elsewhere},
		{name: "not an Application", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}}},
		{name: "list fails: none", obj: web, listErr: errors.New("cache not started")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, objs...)
			env.e.WatchNamespaces = tc.watch
			env.set(func(env *testEnv) { env.failIUList = tc.listErr })
			var got []string
			for _, r := range env.e.imageUpdatersFor(context.Background(), tc.obj) {
				got = append(got, r.Namespace+"/"+r.Name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("requests %v, want %v", got, tc.want)
			}
		})
	}
}

// TestApplicationChangePredicate: only changes a pass reads requeue.
func TestApplicationChangePredicate(t *testing.T) {
	base := helmApplication("apps", "web", "reg.example/web", "1.0.0")
	base.Labels = map[string]string{"tier": "web"}
	base.Annotations = map[string]string{target.AnnotationPrefix + "image-list": "web=reg.example/web", "example.com/owner": "a"}
	for _, tc := range []struct {
		name string
		edit func(*argocd.Application)
		want bool
	}{
		{name: "nothing changed", edit: func(*argocd.Application) {}},
		{name: "resourceVersion only (status churn)", edit: func(a *argocd.Application) { a.ResourceVersion = "42"; a.Generation++ }},
		{name: "unrelated annotation", edit: func(a *argocd.Application) { a.Annotations["example.com/owner"] = "b" }},
		{name: "kubectl last-applied", edit: func(a *argocd.Application) {
			a.Annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
		}},
		{name: "image-updater annotation", edit: func(a *argocd.Application) {
			a.Annotations[target.AnnotationPrefix+"web.allow-tags"] = "regexp:^1"
		}, want: true},
		{name: "image-updater annotation removed", edit: func(a *argocd.Application) {
			delete(a.Annotations, target.AnnotationPrefix+"image-list")
		}, want: true},
		{name: "holds annotation", edit: func(a *argocd.Application) { a.Annotations[holds.Annotation] = "[]" }, want: true},
		{name: "labels", edit: func(a *argocd.Application) { a.Labels["tier"] = "api" }, want: true},
		{name: "helm parameter", edit: func(a *argocd.Application) { a.Spec.Source.Helm.Parameters[0].Value = "1.1.0" }, want: true},
		{name: "spec.sources", edit: func(a *argocd.Application) {
			a.Spec.Sources = []argocd.ApplicationSource{*a.Spec.Source}
			a.Spec.Source = nil
		}, want: true},
		{name: "live images", edit: func(a *argocd.Application) { a.Status.Summary.Images = []string{"reg.example/web:1.1.0"} }, want: true},
		{name: "destination", edit: func(a *argocd.Application) { a.Spec.Destination.Namespace = "prod" }},
		{name: "source type only", edit: func(a *argocd.Application) { a.Status.SourceType = argocd.SourceTypeKustomize }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := base.DeepCopy()
			tc.edit(cur)
			if got := ApplicationChangePredicate().Update(event.UpdateEvent{ObjectOld: base.DeepCopy(), ObjectNew: cur}); got != tc.want {
				t.Errorf("update requeues: %v, want %v", got, tc.want)
			}
		})
	}
	p := ApplicationChangePredicate()
	if !p.Create(event.CreateEvent{Object: base}) || !p.Delete(event.DeleteEvent{Object: base}) || !p.Generic(event.GenericEvent{Object: base}) {
		t.Error("creation, deletion and generic events must requeue (the selection changes)")
	}
	cm := &corev1.ConfigMap{}
	if p.Update(event.UpdateEvent{ObjectOld: cm, ObjectNew: cm}) {
		t.Error("an update of another type requeued")
	}
}
