package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// TestApplyStatus: the status computed from what a reconcile did.
func TestApplyStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	updated := Outcome{Result: cycle.Result{Applications: 2, Decisions: []updater.Decision{dec("a", updater.ActionUpdate), dec("b", updater.ActionSkip)}}}
	wasStalled := func() *v1alpha1.ImageUpdater {
		iu := imageUpdater("apps", "iu", 4)
		setStalledConditions(&iu.Status, 3, errors.New("spec.applicationRefs[0].namePattern: bad"))
		iu.Status.ApplicationsMatched, iu.Status.ImagesManaged = 7, 7
		return iu
	}
	full := func() *v1alpha1.ImageUpdater {
		iu := imageUpdater("apps", "iu", 4)
		for i := range maxRecentUpdates {
			iu.Status.RecentUpdates = append(iu.Status.RecentUpdates, v1alpha1.RecentUpdate{Alias: fmt.Sprint(i)})
		}
		return iu
	}
	for _, tc := range []struct {
		name          string
		iu            *v1alpha1.ImageUpdater
		rep           passReport
		dryRun        bool
		matched, imgs int32
		ready         string // reason
		stalled       bool
		recent        int
		lastUpdated   bool
	}{
		{name: "pass ran", iu: imageUpdater("apps", "iu", 4), rep: passReport{ran: true, out: updated, images: 2},
			matched: 2, imgs: 2, ready: v1alpha1.ReasonReconcileSucceeded, recent: 1, lastUpdated: true},
		{name: "dry run records no update", iu: imageUpdater("apps", "iu", 4), rep: passReport{ran: true, out: updated, images: 2}, dryRun: true,
			matched: 2, imgs: 2, ready: v1alpha1.ReasonReconcileSucceeded},
		{name: "recent updates capped", iu: full(), rep: passReport{ran: true, out: updated, images: 2},
			matched: 2, imgs: 2, ready: v1alpha1.ReasonReconcileSucceeded, recent: maxRecentUpdates, lastUpdated: true},
		{name: "stalled", iu: imageUpdater("apps", "iu", 4), rep: passReport{stalled: errors.New("spec.applicationRefs[0].labelSelectors: bad"), out: Outcome{Result: cycle.Result{Applications: 3}}},
			matched: 3, imgs: 0, ready: v1alpha1.ReasonInvalidConfiguration, stalled: true},
		{name: "recovered: Stalled removed", iu: wasStalled(), rep: passReport{ran: true, out: updated, images: 1},
			matched: 2, imgs: 1, ready: v1alpha1.ReasonReconcileSucceeded, recent: 1, lastUpdated: true},
		{name: "could not run: counts kept, Stalled removed", iu: wasStalled(), rep: passReport{failed: errors.New("listing applications: refused")},
			matched: 7, imgs: 7, ready: v1alpha1.ReasonReconcileFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{DryRun: tc.dryRun}
			e.applyStatus(tc.iu, tc.rep, now)
			st := tc.iu.Status
			if st.ObservedGeneration != 4 || !st.LastCheckedAt.Equal(&now) {
				t.Errorf("observedGeneration %d, lastCheckedAt %v", st.ObservedGeneration, st.LastCheckedAt)
			}
			if st.ApplicationsMatched != tc.matched || st.ImagesManaged != tc.imgs {
				t.Errorf("matched %d images %d, want %d %d", st.ApplicationsMatched, st.ImagesManaged, tc.matched, tc.imgs)
			}
			ready := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Reason != tc.ready || ready.ObservedGeneration != 4 {
				t.Errorf("Ready %+v, want reason %s", ready, tc.ready)
			}
			if got := apimeta.IsStatusConditionTrue(st.Conditions, v1alpha1.ConditionStalled); got != tc.stalled {
				t.Errorf("Stalled %v, want %v", got, tc.stalled)
			}
			if !tc.stalled && apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled) != nil {
				t.Error("a Stalled=False condition was left")
			}
			if len(st.RecentUpdates) != tc.recent || (st.LastUpdatedAt != nil) != tc.lastUpdated {
				t.Errorf("recentUpdates %d lastUpdatedAt %v, want %d %v", len(st.RecentUpdates), st.LastUpdatedAt, tc.recent, tc.lastUpdated)
			}
			if tc.recent > 0 && tc.lastUpdated && st.RecentUpdates[0].NewVersion != "1.1" {
				t.Errorf("the newest update is not first: %+v", st.RecentUpdates[0])
			}
		})
	}
}

// TestStalledConditionsMessage: Stalled, Ready and Error say what and
// where, and that nothing is retried until the spec changes; long
// messages are cut.
func TestStalledConditionsMessage(t *testing.T) {
	var st v1alpha1.ImageUpdaterStatus
	setStalledConditions(&st, 2, errors.New("configuration error: spec.applicationRefs[1].namePattern: invalid glob \"[web\""))
	for typ, status := range map[string]metav1.ConditionStatus{v1alpha1.ConditionStalled: metav1.ConditionTrue, v1alpha1.ConditionReady: metav1.ConditionFalse, v1alpha1.ConditionError: metav1.ConditionTrue} {
		c := apimeta.FindStatusCondition(st.Conditions, typ)
		if c == nil || c.Status != status || c.Reason != v1alpha1.ReasonInvalidConfiguration || c.ObservedGeneration != 2 ||
			!strings.Contains(c.Message, "spec.applicationRefs[1].namePattern") || !strings.Contains(c.Message, "not retried until the spec changes") {
			t.Errorf("%s = %+v", typ, c)
		}
	}
	setStalledConditions(&st, 2, errors.New(strings.Repeat("é", maxMessage)))
	c := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionStalled)
	if len(c.Message) > maxMessage+3 || !strings.HasSuffix(c.Message, "...") || !strings.Contains(c.Message, "é") {
		t.Errorf("long message: %d bytes, suffix %q", len(c.Message), c.Message[len(c.Message)-5:])
	}
}

// TestPatchStatusFrom: one merge patch of the difference, none without
// one, the failure wrapped with the object's name.
func TestPatchStatusFrom(t *testing.T) {
	env := newTestEnv(t, imageUpdater("apps", "iu", 1))
	iu := env.get(t, "apps", "iu")
	orig := iu.DeepCopy()
	if patched, err := env.e.patchStatusFrom(context.Background(), orig, iu); patched || err != nil || env.patches() != 0 {
		t.Fatalf("no change: patched %v, %v, %d patches", patched, err, env.patches())
	}
	iu.Status.ApplicationsMatched = 3
	if patched, err := env.e.patchStatusFrom(context.Background(), orig, iu); !patched || err != nil {
		t.Fatalf("change: patched %v, %v", patched, err)
	}
	if got := env.get(t, "apps", "iu").Status.ApplicationsMatched; got != 3 {
		t.Errorf("stored applicationsMatched %d", got)
	}
	env.set(func(env *testEnv) { env.failStatus = errors.New("forbidden") })
	iu.Status.ImagesManaged = 1
	if _, err := env.e.patchStatusFrom(context.Background(), orig, iu); err == nil || !strings.Contains(err.Error(), "patching status of apps/iu: forbidden") {
		t.Errorf("failure: %v", err)
	}
}

// TestFailureMessages: the write-back and image errors the ImageUpdater
// Events report, as the Error condition words them; configuration
// problems and conflicts are not among them.
func TestFailureMessages(t *testing.T) {
	app := target.AppRef{Namespace: "apps", Name: "web"}
	o := Outcome{Conflicts: []string{"application apps/web is also selected by ImageUpdater apps/b"}}
	o.Problems = []error{errors.New("spec.applicationRefs[0].images[0]: bad")}
	img := dec("web", updater.ActionError)
	img.Reason = "registry said 503"
	o.Decisions = []updater.Decision{img, dec("web", updater.ActionUpdate)}
	o.ArgoCD = []writeback.AppResult{{App: app, Err: errors.New("patch refused")}, {App: app}}
	o.Git = []writeback.GroupResult{{RepoURL: "https://git.example/r.git", Branch: "main", Err: errors.New("push rejected")}, {RepoURL: "ok"}}
	writes, images := failureMessages(o)
	if want := "write-back: git https://git.example/r.git branch main: push rejected|write-back: patch refused"; strings.Join(writes, "|") != want {
		t.Errorf("write-back messages %q, want %q", writes, want)
	}
	if want := "image: application ns/web image web: registry said 503"; strings.Join(images, "|") != want {
		t.Errorf("image messages %q, want %q", images, want)
	}
	if w, i := failureMessages(Outcome{Conflicts: o.Conflicts}); len(w)+len(i) != 0 {
		t.Errorf("a conflict counted as a failure: %q %q", w, i)
	}
}

// TestRecentUpdatesPullRequests: an opened pull request carries its URL,
// one already open (or a failed write) is no update this pass.
func TestRecentUpdatesPullRequests(t *testing.T) {
	now := metav1.Now()
	opened, open, failed := dec("opened", updater.ActionUpdate), dec("open", updater.ActionUpdate), dec("failed", updater.ActionUpdate)
	opened.Reason = "1.0 -> 1.1"
	o := Outcome{}
	o.Decisions = []updater.Decision{opened, open, failed}
	o.Git = []writeback.GroupResult{
		{Applied: []updater.Decision{opened}, Pushed: true, PullRequest: &writeback.PullRequestResult{State: writeback.PRStateOpened, URL: "https://forge.example/pr/1"}},
		{Applied: []updater.Decision{open}, PullRequest: &writeback.PullRequestResult{State: writeback.PRStateOpen, URL: "https://forge.example/pr/0"}},
	}
	o.ArgoCD = []writeback.AppResult{{App: failed.Target.App, Err: errors.New("refused")}}
	got := recentUpdates(o, now)
	if len(got) != 1 || got[0].ApplicationsUpdated != 1 || got[0].Message != "pull request https://forge.example/pr/1 opened. 1.0 -> 1.1" {
		t.Errorf("recent updates %+v", got)
	}
}
