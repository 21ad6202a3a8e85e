package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// TestRunFor: a triggered pass acts only on the matching targets, adds its
// updates to status.recentUpdates without touching conditions or counts,
// and reports the selections it could not read.
func TestRunFor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		match     func(img string) Match
		dryRun    bool
		legacy    bool
		failApps  bool
		wantErr   string
		wantTags  map[string]string
		wantRecnt int // entries in the ImageUpdater's recentUpdates
	}{
		{name: "one repository", match: func(img string) Match {
			return func(t target.Target) bool { return t.Image.Name == img+"/web" }
		}, wantTags: map[string]string{"web": "1.1.0", "api": "2.0.0", "legacy": "1.0.0"}, wantRecnt: 1},
		{name: "one application", match: func(string) Match {
			return func(t target.Target) bool { return t.App.Name == "api" }
		}, wantTags: map[string]string{"web": "1.0.0", "api": "2.1.0", "legacy": "1.0.0"}, wantRecnt: 1},
		{name: "with the legacy selection", legacy: true, match: func(img string) Match {
			return func(t target.Target) bool { return t.Image.Name == img+"/web" }
		}, wantTags: map[string]string{"web": "1.1.0", "api": "2.0.0", "legacy": "1.1.0"}, wantRecnt: 1},
		{name: "nothing matches", match: func(string) Match { return func(target.Target) bool { return false } },
			wantTags: map[string]string{"web": "1.0.0", "api": "2.0.0", "legacy": "1.0.0"}},
		{name: "dry run writes nothing", dryRun: true, match: func(string) Match { return func(target.Target) bool { return true } },
			wantTags: map[string]string{"web": "1.0.0", "api": "2.0.0", "legacy": "1.0.0"}},
		{name: "selections unreadable", failApps: true, match: func(string) Match { return func(target.Target) bool { return true } },
			wantErr: "imageupdater apps/iu", wantTags: map[string]string{"web": "1.0.0", "api": "2.0.0", "legacy": "1.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			web := env.push(t, "team/web", "1.0.0", "1.1.0")
			api := env.push(t, "team/api", "2.0.0", "2.1.0")
			legacyApp := helmApplication("apps", "legacy", web, "1.0.0")
			legacyApp.Annotations = map[string]string{target.AnnotationPrefix + "image-list": "web=" + web, target.AnnotationPrefix + "web.helm.image-tag": "image.tag"}
			iu := imageUpdater("apps", "iu", 1, imageRef("web", web), imageRef("api", api))
			iu.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonReconcileSucceeded, Message: "before", LastTransitionTime: metav1.Now()}}
			for _, obj := range []client.Object{helmApplication("apps", "web", web, "1.0.0"), helmApplication("apps", "api", api, "2.0.0"), legacyApp, iu} {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			if err := env.c.Status().Update(context.Background(), iu); err != nil {
				t.Fatal(err)
			}
			env.e.DryRun, env.e.ArgoCD.DryRun = tc.dryRun, tc.dryRun
			env.set(func(env *testEnv) {
				if tc.failApps {
					env.failAppList = errors.New("refused")
				}
			})
			var legacy *Legacy
			if tc.legacy {
				legacy = &Legacy{NamePatterns: []string{"legacy"}}
			}
			_, err := env.e.RunFor(context.Background(), legacy, tc.match(env.host+"/team"))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			for n, want := range tc.wantTags {
				if got := env.tagOf(t, "apps", n); got != want {
					t.Errorf("%s at %s, want %s", n, got, want)
				}
			}
			got := env.get(t, "apps", "iu")
			if len(got.Status.RecentUpdates) != tc.wantRecnt {
				t.Errorf("recentUpdates %+v, want %d", got.Status.RecentUpdates, tc.wantRecnt)
			}
			if c := got.Status.Conditions; len(c) != 1 || c[0].Message != "before" || got.Status.LastCheckedAt != nil {
				t.Errorf("a triggered pass changed conditions or lastCheckedAt: %+v", got.Status)
			}
		})
	}
}

// TestPatchRecentKeepsEntries: a triggered pass prepends its updates to
// the entries already stored (read fresh), capped at maxRecentUpdates.
func TestPatchRecentKeepsEntries(t *testing.T) {
	env := newTestEnv(t)
	iu := imageUpdater("apps", "iu", 1)
	for i := range maxRecentUpdates {
		iu.Status.RecentUpdates = append(iu.Status.RecentUpdates, v1alpha1.RecentUpdate{Alias: "old", NewVersion: strings.Repeat("1", i+1)})
	}
	if err := env.c.Create(context.Background(), iu); err != nil {
		t.Fatal(err)
	}
	if err := env.c.Status().Update(context.Background(), iu); err != nil {
		t.Fatal(err)
	}
	stale := imageUpdater("apps", "iu", 1) // what the pass read: no entries
	o := Outcome{}
	o.Decisions = append(o.Decisions, dec("a", "update"))
	if err := env.e.patchRecent(context.Background(), stale, o); err != nil {
		t.Fatal(err)
	}
	got := env.get(t, "apps", "iu").Status
	if len(got.RecentUpdates) != maxRecentUpdates || got.RecentUpdates[0].Alias != "web" || got.RecentUpdates[1].NewVersion != "1" || got.LastUpdatedAt == nil {
		t.Errorf("recentUpdates %+v", got.RecentUpdates)
	}
	if err := env.e.patchRecent(context.Background(), imageUpdater("apps", "gone", 1), o); err == nil || !strings.Contains(err.Error(), "apps/gone") {
		t.Errorf("patching a missing ImageUpdater: %v", err)
	}
}
