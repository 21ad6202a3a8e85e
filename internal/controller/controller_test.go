package controller

import (
	"errors"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func TestLegacyMatches(t *testing.T) {
	mk := func(name string, lbls map[string]string, annotated bool) *argocd.Application {
		a := &argocd.Application{}
		a.Name, a.Labels = name, lbls
		if annotated {
			a.Annotations = map[string]string{target.AnnotationPrefix + target.KeyImageList: "nginx"}
		}
		return a
	}
	for name, tc := range map[string]struct {
		names []string
		sel   string
		app   *argocd.Application
		want  bool
	}{
		"annotated, no filters":    {nil, "", mk("a", nil, true), true},
		"not annotated":            {nil, "", mk("a", nil, false), false},
		"name glob matches":        {[]string{"x-*", "web-*"}, "", mk("web-1", nil, true), true},
		"name glob misses":         {[]string{"x-*"}, "", mk("web-1", nil, true), false},
		"label matches":            {nil, "team=a", mk("w", map[string]string{"team": "a"}, true), true},
		"label misses":             {nil, "team=a", mk("w", map[string]string{"team": "b"}, true), false},
		"name and label must both": {[]string{"w"}, "team=a", mk("w", nil, true), false},
	} {
		t.Run(name, func(t *testing.T) {
			l, err := NewLegacy(tc.names, tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Matches(tc.app); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
	if _, err := NewLegacy([]string{"["}, ""); err == nil || !strings.Contains(err.Error(), "--match-application-name") {
		t.Errorf("bad glob: %v", err)
	}
	if _, err := NewLegacy(nil, "a in ("); err == nil || !strings.Contains(err.Error(), "--match-application-label") {
		t.Errorf("bad selector: %v", err)
	}
}

func dec(app string, action updater.Action) updater.Decision {
	d := updater.Decision{Action: action, NewTag: "1.1"}
	d.Target.App = target.AppRef{Namespace: "ns", Name: app}
	d.Target.Image.Alias, d.Target.Image.Name = "web", "reg/web"
	return d
}

func TestConditionsAndCounts(t *testing.T) {
	for name, tc := range map[string]struct {
		o                  Outcome
		ready, errorReason string
		counts             [3]int
	}{
		"normal": {Outcome{Applications: 1, Decisions: []updater.Decision{dec("a", updater.ActionUpdate), dec("a", updater.ActionSkip)}},
			"True", v1alpha1.ReasonReconciled, [3]int{1, 1, 0}},
		"zero apps": {Outcome{}, "False", v1alpha1.ReasonReconciled, [3]int{}},
		"invalid spec only": {Outcome{Applications: 1, Problems: []error{errors.New("spec.applicationRefs[0].images[0].imageName: bad")}},
			"False", v1alpha1.ReasonInvalidSpec, [3]int{0, 0, 1}},
		"registry error": {Outcome{Applications: 1, Decisions: []updater.Decision{dec("a", updater.ActionError)}},
			"True", v1alpha1.ReasonRegistryError, [3]int{0, 0, 1}},
		"write-back failed": {Outcome{Applications: 1, Decisions: []updater.Decision{dec("a", updater.ActionUpdate)},
			ArgoCD: []writeback.AppResult{{App: target.AppRef{Namespace: "ns", Name: "a"}, Err: errors.New("patch failed")}}},
			"True", v1alpha1.ReasonWriteBackFailed, [3]int{0, 0, 1}},
		"conflict": {Outcome{Applications: 1, Conflicts: []string{"application ns/a is also selected by ImageUpdater ns/b"}},
			"True", v1alpha1.ReasonApplicationConflict, [3]int{}},
	} {
		t.Run(name, func(t *testing.T) {
			var st v1alpha1.ImageUpdaterStatus
			setConditions(&st, 3, tc.o)
			ready := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
			errc := apimeta.FindStatusCondition(st.Conditions, v1alpha1.ConditionError)
			if ready == nil || string(ready.Status) != tc.ready || ready.ObservedGeneration != 3 {
				t.Errorf("ready %+v", ready)
			}
			if errc == nil || errc.Reason != tc.errorReason {
				t.Errorf("error %+v", errc)
			}
			u, s, e := tc.o.Counts()
			if [3]int{u, s, e} != tc.counts {
				t.Errorf("counts %v, want %v", [3]int{u, s, e}, tc.counts)
			}
		})
	}
}

func TestRecentUpdatesGroupsApplications(t *testing.T) {
	o := Outcome{Decisions: []updater.Decision{dec("a", updater.ActionUpdate), dec("b", updater.ActionUpdate), dec("c", updater.ActionSkip)}}
	got := recentUpdates(o, metav1.Now())
	if len(got) != 1 || got[0].ApplicationsUpdated != 2 || got[0].NewVersion != "1.1" || got[0].Alias != "web" {
		t.Fatalf("%+v", got)
	}
}

func TestCyclesSharedWithinInterval(t *testing.T) {
	rc, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &cycles{client: rc, interval: time.Minute, now: func() time.Time { return now }}
	first := c.get()
	now = now.Add(30 * time.Second)
	if c.get() != first {
		t.Error("new cycle within the interval")
	}
	now = now.Add(31 * time.Second)
	if c.get() == first {
		t.Error("same cycle after the interval")
	}
	second := c.get()
	c.fresh()
	if c.get() == second {
		t.Error("fresh kept the cycle")
	}
}
