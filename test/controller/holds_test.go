package controller_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// TestHoldSurvivesRestartAndCoversLegacy places holds through one engine
// and plans with another (a restarted controller): the annotation alone
// pins the images of an ImageUpdater's application and of a legacy one; a
// broken annotation holds its application and is reported.
func TestHoldSurvivesRestartAndCoversLegacy(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	f.createApp(t, helmApp(ns, "broken", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	legacy := helmApp(ns, "legacy-web", []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}}, web+":1.0.0")
	legacy.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":         "web=" + web,
		target.AnnotationPrefix + "web.helm.image-tag": "web.tag",
	}
	f.createApp(t, legacy)
	iu := f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		{NamePattern: "broken", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})
	f.engine.WatchNamespaces = []string{ns}
	sel, err := controller.NewLegacy([]string{"legacy-*"}, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, app := range []string{ns + "/web", "legacy-web"} {
		if _, err := f.engine.Holds(sel).Hold(ctx, holds.Hold{Application: app, Image: "web", Reason: "freeze", By: "test"}); err != nil {
			t.Fatalf("hold %s: %v", app, err)
		}
	}
	if _, err := f.engine.Holds(sel).Hold(ctx, holds.Hold{Application: "web", Image: "other"}); !errors.Is(err, holds.ErrNoSuchImage) {
		t.Errorf("hold of an unmanaged image: %v", err)
	}
	broken := f.app(t, ns, "broken")
	orig := broken.DeepCopy()
	broken.Annotations = map[string]string{holds.Annotation: "{not json"}
	if err := f.kube.Client.Patch(ctx, broken, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}

	restarted := setupEngineLike(f)
	restarted.WatchNamespaces = []string{ns}
	out, err := restarted.ReconcileImageUpdater(ctx, iu)
	if err != nil {
		t.Fatal(err)
	}
	legacyOut, err := restarted.RunLegacy(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(out.Decisions, legacyOut.Decisions...) {
		want := "pinned by test"
		if d.Target.App.Name == "broken" {
			want = "unreadable holds annotation"
		}
		if d.Action != updater.ActionSkip || !strings.Contains(d.Reason, want) {
			t.Errorf("%s: %s %q, want a skip mentioning %q", d.Target.App, d.Action, d.Reason, want)
		}
	}
	if len(out.Decisions)+len(legacyOut.Decisions) != 3 {
		t.Errorf("decisions: %d + %d", len(out.Decisions), len(legacyOut.Decisions))
	}
	if len(out.Problems) != 1 || !strings.Contains(out.Problems[0].Error(), holds.Annotation) {
		t.Errorf("problems: %v", out.Problems)
	}
	for _, name := range []string{"web", "broken"} {
		if got := param(f.app(t, ns, name), "image.tag"); got != "1.0.0" {
			t.Errorf("%s moved to %s", name, got)
		}
	}
	set, err := restarted.Holds(nil).List(ctx)
	if err == nil || len(set.Holds) != 2 {
		t.Errorf("holds: %+v, %v (want two holds and an error for the broken annotation)", set, err)
	}

	if err := restarted.Holds(nil).Release(ctx, "legacy-web", "web"); err != nil {
		t.Fatal(err)
	}
	if legacyOut, err = restarted.RunLegacy(ctx, sel); err != nil {
		t.Fatal(err)
	}
	if got := param(f.app(t, ns, "legacy-web"), "web.tag"); got != "1.1.0" {
		t.Errorf("released legacy app at %s: %+v", got, legacyOut.Decisions)
	}
}

// setupEngineLike returns a new engine with f's registry and cluster access
// and no state of its own (a restarted controller).
func setupEngineLike(f *fixture) *controller.Engine {
	return &controller.Engine{
		Client: f.engine.Client, Resolver: f.engine.Resolver, Registry: f.engine.Registry,
		ArgoCD: f.engine.ArgoCD, Interval: f.engine.Interval, Logger: f.engine.Logger,
	}
}
