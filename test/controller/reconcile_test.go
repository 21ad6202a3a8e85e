package controller_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/target"
)

// startManager runs the real manager over ns with an hour's interval, so
// that every pass after the first comes from a watch, not the timer.
func startManager(t *testing.T, f *fixture, ns string) {
	t.Helper()
	f.engine.WatchNamespaces = []string{ns}
	f.engine.Interval = time.Hour
	mgr, err := controller.NewManager(f.kube.Config, f.engine, controller.ManagerOptions{HealthProbeBindAddress: "0", MetricsBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
}

// countLogs counts the log lines of f's engine that contain every part.
func (f *fixture) countLogs(parts ...string) int {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	n := 0
	for _, line := range strings.Split(f.logs.String(), "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			n++
		}
	}
	return n
}

// annotate merge-patches one annotation of an Application.
func (f *fixture) annotate(t *testing.T, ns, name, k, v string) {
	t.Helper()
	app := &argocd.Application{}
	app.Namespace, app.Name = ns, name
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{k: v}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.kube.Client.Patch(context.Background(), app, client.RawPatch(types.MergePatchType, data)); err != nil {
		t.Fatal(err)
	}
}

// TestManagerRequeuesOnApplicationChange: with an hour's interval, an
// annotation change on an Application makes the manager update it within
// seconds; a label nobody selects on, which the predicate ignores, runs
// no pass.
func TestManagerRequeuesOnApplicationChange(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.0.1", "1.4.0")
	app := helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0")
	app.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":          "web=" + web,
		target.AnnotationPrefix + "web.allow-tags":      `regexp:^1\.0\.`,
		target.AnnotationPrefix + "web.update-strategy": "semver",
	}
	f.createApp(t, app)
	f.createIU(t, ns, "updater", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", UseAnnotations: true}}})
	startManager(t, f, ns)
	waitFor(t, "the first pass", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.0.1" })
	passLine := "imageupdater=" + ns + "/updater"
	waitFor(t, "the pass after the first write", func() bool { return f.countLogs(passLine, "duration=") >= 2 })
	time.Sleep(time.Second) // let the requeue of the first write settle
	before := f.countLogs(passLine, "duration=")

	// An annotation nobody reads is dropped by the cache transform and the
	// predicate: no pass.
	f.annotate(t, ns, "web", "example.com/owner", "team-a")
	time.Sleep(2 * time.Second)
	if n := f.countLogs(passLine, "duration="); n != before {
		t.Errorf("an unrelated annotation ran %d pass(es)", n-before)
	}

	start := time.Now()
	f.annotate(t, ns, "web", target.AnnotationPrefix+"web.allow-tags", `regexp:^1\.`)
	waitUntil(t, 10*time.Second, "the annotation change to update the Application", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.4.0" })
	t.Logf("annotation-to-update latency: %v", time.Since(start).Round(time.Millisecond))
}

// TestManagerStalledImageUpdater: an invalid applicationRef stalls the
// ImageUpdater (Stalled, Ready=False, one Warning Event); it is not retried
// while its spec stays, not even when an Application it would select
// changes; fixing the spec recovers it.
func TestManagerStalledImageUpdater(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.1.0")
	f.createApp(t, helmApp(ns, "web", []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}, web+":1.0.0"))
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Equals", Values: []string{"web"}}}}
	// The second ref selects the Application, so its changes map to this
	// ImageUpdater.
	iu := f.createIU(t, ns, "broken", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", LabelSelectors: bad, Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		{NamePattern: "*", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})
	startManager(t, f, ns)
	waitFor(t, "Stalled", func() bool {
		return condition(f.imageUpdater(t, ns, "broken"), v1alpha1.ConditionStalled).Status == metav1.ConditionTrue
	})
	got := f.imageUpdater(t, ns, "broken")
	wantConditions(t, got, map[string]wantCond{
		v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "spec.applicationRefs[0].labelSelectors"},
		v1alpha1.ConditionReady:   {metav1.ConditionFalse, v1alpha1.ReasonInvalidConfiguration, "not retried until the spec changes"},
	})
	f.annotate(t, ns, "web", target.AnnotationPrefix+"web.allow-tags", "any")
	time.Sleep(3 * time.Second)
	if n := f.countLogs("invalid configuration, not retried", "imageupdater="+ns+"/broken"); n != 1 {
		t.Errorf("stalled ImageUpdater ran %d times, want once", n)
	}
	if got := param(f.app(t, ns, "web"), "image.tag"); got != "1.0.0" {
		t.Errorf("stalled ImageUpdater updated the application to %s", got)
	}
	if n := len(updaterWarnings(t, f, ns, "broken", controller.WarningStalled)); n != 1 {
		t.Errorf("%d InvalidConfiguration Events on the ImageUpdater, want 1", n)
	}

	// Fixing the spec (a new generation) recovers it.
	if err := f.kube.Client.Get(context.Background(), client.ObjectKeyFromObject(iu), iu); err != nil {
		t.Fatal(err)
	}
	iu.Spec.ApplicationRefs[0].LabelSelectors.MatchExpressions[0].Operator = metav1.LabelSelectorOpIn
	if err := f.kube.Client.Update(context.Background(), iu); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "recovery", func() bool { return param(f.app(t, ns, "web"), "image.tag") == "1.1.0" })
	waitFor(t, "Ready", func() bool {
		got = f.imageUpdater(t, ns, "broken")
		return condition(got, v1alpha1.ConditionReady).Status == metav1.ConditionTrue
	})
	if c := condition(got, v1alpha1.ConditionStalled); c.Type != "" {
		t.Errorf("Stalled left after the fix: %+v", c)
	}
}

// TestReconcileImageUpdaterStalledIsTerminal: the engine's path (RunOnce,
// --once) reports a stalled ImageUpdater with a terminal error in one
// status patch and does not fail RunOnce for it.
func TestReconcileImageUpdaterStalledIsTerminal(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	f.engine.WatchNamespaces = []string{ns}
	f.createApp(t, helmApp(ns, "web", nil))
	iu := f.createIU(t, ns, "broken", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "[web", UseAnnotations: true}}})
	_, err := f.engine.ReconcileImageUpdater(context.Background(), iu)
	if !errors.Is(err, reconcile.TerminalError(nil)) || !strings.Contains(err.Error(), "spec.applicationRefs[0].namePattern") {
		t.Fatalf("error %v, want a terminal error naming the field", err)
	}
	got := f.imageUpdater(t, ns, "broken")
	wantConditions(t, got, map[string]wantCond{
		v1alpha1.ConditionStalled: {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "invalid glob"},
		v1alpha1.ConditionError:   {metav1.ConditionTrue, v1alpha1.ReasonInvalidConfiguration, "invalid glob"},
	})
	rv := got.ResourceVersion
	if err := f.engine.RunOnce(context.Background()); err != nil {
		t.Errorf("RunOnce: %v", err)
	}
	if again := f.imageUpdater(t, ns, "broken"); again.ResourceVersion != rv {
		t.Errorf("a stalled ImageUpdater was written again (resourceVersion %s -> %s)", rv, again.ResourceVersion)
	}
}

// updaterWarnings lists the Warning Events with reason on an ImageUpdater.
func updaterWarnings(t *testing.T, f *fixture, ns, name, reason string) []eventsv1.Event {
	t.Helper()
	var out []eventsv1.Event
	waitFor(t, "Events listed", func() bool {
		var list eventsv1.EventList
		if err := f.kube.Client.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return false
		}
		out = out[:0]
		for _, e := range list.Items {
			if e.Regarding.Kind == "ImageUpdater" && e.Regarding.Name == name && e.Reason == reason && e.Type == "Warning" {
				out = append(out, e)
			}
		}
		return len(out) > 0
	})
	return out
}
