package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

func (env *testEnv) tagRequests() int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.tagLists
}

// TestWarmUpListsEachRepositoryOnce: the warm-up lists every managed
// repository once (ImageUpdaters and legacy annotations), and the
// reconciles of the interval reuse the listing.
func TestWarmUpListsEachRepositoryOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		legacy    bool
		down      bool
		wantRepos int
		wantErr   string
	}{
		{name: "ImageUpdaters", wantRepos: 2},
		{name: "with legacy annotations", legacy: true, wantRepos: 3},
		{name: "registry down", down: true, wantRepos: 2, wantErr: "warm-up "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			web := env.push(t, "team/web", "1.0.0", "1.1.0")
			apiImg := env.push(t, "team/api", "1.0.0")
			db := env.push(t, "team/db", "1.0.0")
			legacyApp := helmApplication("apps", "legacy", db, "1.0.0")
			legacyApp.Annotations = map[string]string{target.AnnotationPrefix + "image-list": "db=" + db}
			for _, obj := range []client.Object{
				helmApplication("apps", "web", web, "1.0.0"), helmApplication("apps", "web2", web, "1.0.0"), helmApplication("apps", "api", apiImg, "1.0.0"), legacyApp,
				imageUpdater("apps", "a", 1, imageRef("web*", web)), imageUpdater("apps", "b", 1, imageRef("api", apiImg)),
			} {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			env.set(func(env *testEnv) { env.registryDown = tc.down })
			var legacy *Legacy
			if tc.legacy {
				legacy = &Legacy{}
			}
			n, err := env.e.WarmUp(context.Background(), legacy)
			if n != tc.wantRepos {
				t.Errorf("%d repositories warmed, want %d", n, tc.wantRepos)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			listed := env.tagRequests()
			if listed != tc.wantRepos {
				t.Errorf("%d tag lists for %d repositories", listed, tc.wantRepos)
			}
			for _, n := range []string{"a", "b"} {
				if _, err := env.e.ReconcileImageUpdater(context.Background(), env.get(t, "apps", n)); err != nil {
					t.Fatal(err)
				}
			}
			if got := env.tagRequests(); got != listed {
				t.Errorf("the reconciles listed tags again (%d -> %d)", listed, got)
			}
			if env.tagOf(t, "apps", "web2") != "1.1.0" {
				t.Error("the reconcile after the warm-up did not update")
			}
		})
	}
}

// TestConflictsFirstByNameActs: an Application two ImageUpdaters select
// is written by the first by namespace/name; both report the conflict.
func TestConflictsFirstByNameActs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		watch   []string
		second  string // namespace of the second ImageUpdater
		actor   string
		noClash bool
	}{
		{name: "same namespace", second: "apps", actor: "apps/a"},
		{name: "watched namespaces: across namespaces", watch: []string{"apps"}, second: "aaa", actor: "aaa/b"},
		{name: "own namespaces only: no conflict", second: "aaa", actor: "apps/a", noClash: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			web := env.push(t, "team/web", "1.0.0", "1.1.0")
			for _, obj := range []client.Object{helmApplication("apps", "web", web, "1.0.0"), imageUpdater("apps", "a", 1, imageRef("web", web)), imageUpdater(tc.second, "b", 1, imageRef("web", web))} {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			env.e.WatchNamespaces = tc.watch
			acted := map[string]int{}
			for _, iu := range []*v1alpha1.ImageUpdater{env.get(t, "apps", "a"), env.get(t, tc.second, "b")} {
				out, err := env.e.ReconcileImageUpdater(context.Background(), iu)
				if err != nil {
					t.Fatal(err)
				}
				acted[iu.Namespace+"/"+iu.Name] = len(out.Decisions)
				if clash := len(out.Conflicts) == 1 && strings.Contains(out.Conflicts[0], "application apps/web is also selected by ImageUpdater"); clash == tc.noClash {
					t.Errorf("%s: conflicts %q", iu.Name, out.Conflicts)
				}
			}
			for n, d := range acted {
				if (n == tc.actor) != (d == 1) {
					t.Errorf("%s made %d decisions; %s should act", n, d, tc.actor)
				}
			}
		})
	}
}

// TestLegacyLoopRunsUntilCancelled: the legacy loop waits for the
// warm-up, runs a pass every interval and stops with its context.
func TestLegacyLoopRunsUntilCancelled(t *testing.T) {
	env := newTestEnv(t)
	web := env.push(t, "team/web", "1.0.0", "1.1.0")
	app := helmApplication("apps", "legacy", web, "1.0.0")
	app.Annotations = map[string]string{target.AnnotationPrefix + "image-list": "web=" + web, target.AnnotationPrefix + "web.helm.image-tag": "image.tag"}
	if err := env.c.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	env.e.Interval = 20 * time.Millisecond
	w := newWarmer(env.e, nil, false)
	l := &legacyLoop{engine: env.e, legacy: &Legacy{}, warm: w}
	if !l.NeedLeaderElection() {
		t.Error("the legacy loop must run on the leader only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Start(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for env.tagOf(t, "apps", "legacy") != "1.1.0" {
		if time.Now().After(deadline) {
			t.Fatal("the legacy loop did not update")
		}
		time.Sleep(10 * time.Millisecond)
	}
	env.set(func(env *testEnv) { env.failAppList = errors.New("refused") }) // failing passes are logged, the loop goes on
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not stop")
	}
}

// TestRunOnceListsApplicationsOncePerNamespaceSet: the ImageUpdaters of
// one RunOnce pass share the Application list of each namespace set; a
// new pass lists again.
func TestRunOnceListsApplicationsOncePerNamespaceSet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		watch []string
		want  int // Application lists per RunOnce
	}{
		{name: "own namespaces: one list each", want: 2},
		{name: "watched namespaces: one shared list per namespace", watch: []string{"apps", "team"}, want: 2},
		{name: "all namespaces: one list", watch: []string{"*"}, want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			web := env.push(t, "team/web", "1.0.0")
			for _, obj := range []client.Object{
				helmApplication("apps", "web", web, "1.0.0"), helmApplication("team", "web", web, "1.0.0"),
				imageUpdater("apps", "a", 1, imageRef("web", web)), imageUpdater("apps", "b", 1, imageRef("api", web)), imageUpdater("team", "c", 1, imageRef("web", web)),
			} {
				if err := env.c.Create(context.Background(), obj); err != nil {
					t.Fatal(err)
				}
			}
			env.e.WatchNamespaces = tc.watch
			for pass := 1; pass <= 2; pass++ {
				before := env.appListCalls()
				if err := env.e.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := env.appListCalls() - before; got != tc.want {
					t.Errorf("pass %d: %d Application lists, want %d", pass, got, tc.want)
				}
			}
		})
	}
}

func (env *testEnv) appListCalls() int {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.appLists
}
