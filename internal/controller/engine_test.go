package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// TestRecordEvents: one ImagesUpdated Event per application written
// (argocd and git together), a pull request's proposal named as such,
// none for failures, dry runs or applications already recorded.
func TestRecordEvents(t *testing.T) {
	ref := func(n string) target.AppRef { return target.AppRef{Namespace: "ns", Name: n} }
	a, b := dec("a", updater.ActionUpdate), dec("b", updater.ActionUpdate)
	b2 := dec("b", updater.ActionUpdate)
	b2.Target.Image.Name, b2.NewTag = "reg/sidecar", "2.0"
	pr := &writeback.PullRequestResult{State: writeback.PRStateOpened, URL: "https://forge.example/pr/7"}
	for _, tc := range []struct {
		name   string
		argo   []writeback.AppResult
		git    []writeback.GroupResult
		done   map[target.AppRef]bool
		dryRun bool
		want   map[string]string
	}{
		{name: "argocd write", argo: []writeback.AppResult{{App: ref("a"), Changed: true, Applied: []updater.Decision{a}}},
			want: map[string]string{"a": "Successfully updated 1 image(s): reg/web to 1.1;"}},
		{name: "argocd and git in one Event", argo: []writeback.AppResult{{App: ref("b"), Changed: true, Applied: []updater.Decision{b}}},
			git:  []writeback.GroupResult{{Pushed: true, Applied: []updater.Decision{b2}}},
			want: map[string]string{"b": "Successfully updated 2 image(s): reg/web to 1.1; reg/sidecar to 2.0;"}},
		{name: "pull request proposed", git: []writeback.GroupResult{{Pushed: true, PullRequest: pr, Applied: []updater.Decision{a}}},
			want: map[string]string{"a": "Proposed 1 image update(s) in pull request https://forge.example/pr/7: reg/web to 1.1;"}},
		{name: "unchanged, failed and unpushed writes", argo: []writeback.AppResult{{App: ref("a"), Applied: []updater.Decision{a}}, {App: ref("b"), Err: errors.New("refused"), Changed: true}},
			git: []writeback.GroupResult{{Applied: []updater.Decision{b2}}, {Pushed: true, Err: errors.New("hook"), Applied: []updater.Decision{b2}}}, want: map[string]string{}},
		{name: "already recorded as patched", argo: []writeback.AppResult{{App: ref("a"), Changed: true, Applied: []updater.Decision{a}}},
			done: map[target.AppRef]bool{ref("a"): true}, want: map[string]string{}},
		{name: "dry run", argo: []writeback.AppResult{{App: ref("a"), Changed: true, Applied: []updater.Decision{a}}}, dryRun: true, want: map[string]string{}},
		{name: "application not in the selection", argo: []writeback.AppResult{{App: ref("gone"), Changed: true, Applied: []updater.Decision{a}}}, want: map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			e := &Engine{DryRun: tc.dryRun, Events: func(app *argocd.Application, msg string) {
				if _, dup := got[app.Name]; dup {
					t.Errorf("two Events for %s", app.Name)
				}
				got[app.Name] = msg
			}}
			apps := map[target.AppRef]*argocd.Application{ref("a"): helmApplication("ns", "a", "reg/web", "1.0"), ref("b"): helmApplication("ns", "b", "reg/web", "1.0")}
			e.recordEvents(tc.argo, tc.git, apps, tc.done)
			if len(got) != len(tc.want) {
				t.Fatalf("events %q, want %q", got, tc.want)
			}
			for n, msg := range tc.want {
				if got[n] != msg {
					t.Errorf("%s: %q, want %q", n, got[n], msg)
				}
			}
		})
	}
}

// TestEventRecorderRegarding: Events name their object and action, with
// names and notes cut to the API's limits.
func TestEventRecorderRegarding(t *testing.T) {
	cs := fake.NewClientset()
	r := newEventRecorder(cs.EventsV1(), nil)
	long := strings.Repeat("n", 300)
	r.RecordOn(corev1.ObjectReference{Kind: "ImageUpdater", Namespace: "team", Name: long}, "ReconcileImageUpdater", corev1.EventTypeWarning, WarningStalled, strings.Repeat("x", 3000))
	r.Record(helmApplication("apps", "web", "reg/web", "1"), corev1.EventTypeNormal, EventReason, "ok")
	r.Stop()
	team, err := cs.EventsV1().Events("team").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(team.Items) != 1 {
		t.Fatalf("team events %v %v", team, err)
	}
	ev := team.Items[0]
	if len(ev.Name) > 253 || !strings.HasPrefix(ev.Name, strings.Repeat("n", 200)+".") || len(ev.Note) != maxEventNoteBytes ||
		ev.Regarding.Name != long || ev.Action != "ReconcileImageUpdater" || ev.Type != corev1.EventTypeWarning {
		t.Errorf("ImageUpdater event: name %d bytes, note %d bytes, %+v", len(ev.Name), len(ev.Note), ev.Regarding)
	}
	apps, err := cs.EventsV1().Events("apps").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(apps.Items) != 1 || apps.Items[0].Action != "UpdateImages" || apps.Items[0].Regarding.Kind != argocd.ApplicationKind {
		t.Errorf("application events %+v %v", apps, err)
	}
}

// TestDirectEvents: a recorder of its own for runs without a manager sets
// every sink of the engine.
func TestDirectEvents(t *testing.T) {
	e := &Engine{}
	stop, err := DirectEvents(&rest.Config{Host: "https://127.0.0.1:1"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if e.Events == nil || e.Warnings == nil || e.UpdaterWarnings == nil {
		t.Error("a sink is not set")
	}
	stop()
	// client-go refuses a QPS without a burst.
	if _, err := DirectEvents(&rest.Config{Host: "https://127.0.0.1:1", QPS: 10}, &Engine{}); err == nil || !strings.Contains(err.Error(), "events client") {
		t.Errorf("invalid config: %v", err)
	}
}
