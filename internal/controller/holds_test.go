package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/target"
)

// holdsEnv is a test environment with web and api (both of image
// team/web, at 1.0.0; 1.1.0 and 1.2.0 exist) selected by one
// ImageUpdater, and lone, selected by none.
func holdsEnv(t *testing.T, annotations map[string]string) (*testEnv, string) {
	t.Helper()
	env := newTestEnv(t)
	img := env.push(t, "team/web", "1.0.0", "1.1.0", "1.2.0")
	web := helmApplication("apps", "web", img, "1.0.0")
	web.Annotations = annotations
	for _, obj := range []client.Object{web, helmApplication("apps", "api", img, "1.0.0"), helmApplication("apps", "lone", img, "1.0.0"),
		imageUpdater("apps", "iu", 1, imageRef("web", img), imageRef("api", img))} {
		if err := env.c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return env, img
}

func (env *testEnv) holdsOf(t *testing.T, n string) []holds.Hold {
	t.Helper()
	var app argocd.Application
	if err := env.c.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: n}, &app); err != nil {
		t.Fatal(err)
	}
	hs, err := holds.ParseAnnotation(app.Annotations[holds.Annotation])
	if err != nil {
		t.Fatalf("%s: %v", n, err)
	}
	return hs
}

func TestAnnotationStorePlace(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "argoproj.io", Resource: "applications"}, "web", errors.New("modified"))
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		hold        holds.Hold
		conflicts   int    // patches of holds failing with a conflict first
		wantErr     string // "" = none
		wantHeld    []string
		wantTag     string // web's tag afterwards
		wantRecent  string // status.recentUpdates[0].newVersion
	}{
		{name: "pin where it is", hold: holds.Hold{Application: "web", Image: "web", By: "ana"}, wantHeld: []string{"web"}, wantTag: "1.0.0"},
		{name: "every application of the name in the watched namespaces", hold: holds.Hold{Application: "apps/api", Image: "web"}, wantHeld: []string{"api"}, wantTag: "1.0.0"},
		{name: "pin at a version writes it", hold: holds.Hold{Application: "web", Image: "web", Version: "1.1.0"}, wantHeld: []string{"web"}, wantTag: "1.1.0", wantRecent: "1.1.0"},
		{name: "conflicts are retried", hold: holds.Hold{Application: "web", Image: "web"}, conflicts: holdAttempts - 1, wantHeld: []string{"web"}, wantTag: "1.0.0"},
		{name: "persistent conflicts fail", hold: holds.Hold{Application: "web", Image: "web"}, conflicts: holdAttempts, wantErr: "modified", wantTag: "1.0.0"},
		{name: "unreadable annotation is replaced", annotations: map[string]string{holds.Annotation: "{"},
			hold: holds.Hold{Application: "web", Image: "web"}, wantHeld: []string{"web"}, wantTag: "1.0.0"},
		{name: "an application no ImageUpdater manages", hold: holds.Hold{Application: "lone", Image: "web"}, wantErr: "no managed image", wantTag: "1.0.0"},
		{name: "an image the application lacks", hold: holds.Hold{Application: "web", Image: "db"}, wantErr: "no managed image", wantTag: "1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := holdsEnv(t, tc.annotations)
			left := tc.conflicts
			env.set(func(env *testEnv) {
				env.patchHook = func(obj client.Object) error {
					if _, ok := obj.(*argocd.Application); ok || left == 0 {
						return nil // the write of the version, or no more conflicts
					}
					left--
					return conflict
				}
			})
			err := env.e.Holds(nil).Store.Place(context.Background(), tc.hold)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(tc.wantErr, "no managed image") && !errors.Is(err, holds.ErrNoSuchImage) {
				t.Errorf("error %v is not ErrNoSuchImage", err)
			}
			var held []string
			for _, n := range []string{"api", "lone", "web"} {
				if hs := env.holdsOf(t, n); len(hs) > 0 {
					if hs[0].Application != "apps/"+n || hs[0].Image != tc.hold.Image || hs[0].Version != tc.hold.Version {
						t.Errorf("%s holds %+v", n, hs)
					}
					held = append(held, n)
				}
			}
			if strings.Join(held, ",") != strings.Join(tc.wantHeld, ",") {
				t.Errorf("held %v, want %v", held, tc.wantHeld)
			}
			if got := env.tagOf(t, "apps", "web"); got != tc.wantTag {
				t.Errorf("web at %s, want %s", got, tc.wantTag)
			}
			recent := env.get(t, "apps", "iu").Status.RecentUpdates
			if tc.wantRecent == "" && len(recent) > 0 || tc.wantRecent != "" && (len(recent) == 0 || recent[0].NewVersion != tc.wantRecent || !strings.Contains(recent[0].Message, "held at")) {
				t.Errorf("recentUpdates %+v, want %q", recent, tc.wantRecent)
			}
		})
	}
}

func TestAnnotationStoreListAndRemove(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	held, err := holds.FormatAnnotation([]holds.Hold{{Application: "apps/web", Image: "web", By: "ana", Since: since}, {Application: "apps/web", Image: "sidecar", Since: since}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		app, image  string
		listErr     error
		wantErr     string
		wantLeft    int // holds left on web
	}{
		{name: "release by name", annotations: map[string]string{holds.Annotation: held}, app: "web", image: "web", wantLeft: 1},
		{name: "release by namespace/name", annotations: map[string]string{holds.Annotation: held}, app: "apps/web", image: "sidecar", wantLeft: 1},
		{name: "no such hold", annotations: map[string]string{holds.Annotation: held}, app: "web", image: "db", wantErr: "no hold", wantLeft: 2},
		{name: "other application", annotations: map[string]string{holds.Annotation: held}, app: "api", image: "web", wantErr: "no hold", wantLeft: 2},
		{name: "listing fails", annotations: map[string]string{holds.Annotation: held}, app: "web", image: "web", listErr: errors.New("refused"), wantErr: "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := holdsEnv(t, tc.annotations)
			store := env.e.Holds(nil).Store
			env.set(func(env *testEnv) { env.failAppList = tc.listErr })
			if tc.listErr == nil {
				set, err := store.List(context.Background())
				if err != nil || len(set.Holds) != 2 || set.Holds[1].Image != "web" || set.Holds[1].By != "ana" {
					t.Fatalf("list %+v %v", set, err)
				}
			}
			err := store.Remove(context.Background(), tc.app, tc.image)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if tc.listErr != nil {
				if _, err := store.List(context.Background()); err == nil {
					t.Error("List hid the listing error")
				}
				return
			}
			if got := len(env.holdsOf(t, "web")); got != tc.wantLeft {
				t.Errorf("%d holds left, want %d", got, tc.wantLeft)
			}
		})
	}
}

// TestAnnotationStoreListReportsBrokenAnnotations: an unreadable
// annotation is an error naming its application; the others are listed.
func TestAnnotationStoreListReportsBrokenAnnotations(t *testing.T) {
	env, _ := holdsEnv(t, map[string]string{holds.Annotation: "{"})
	good, err := holds.FormatAnnotation([]holds.Hold{{Application: "apps/api", Image: "web"}})
	if err != nil {
		t.Fatal(err)
	}
	api := &argocd.Application{}
	if err := env.c.Get(context.Background(), types.NamespacedName{Namespace: "apps", Name: "api"}, api); err != nil {
		t.Fatal(err)
	}
	api.Annotations = map[string]string{holds.Annotation: good}
	if err := env.c.Update(context.Background(), api); err != nil {
		t.Fatal(err)
	}
	set, err := env.e.Holds(nil).Store.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "application apps/web") || len(set.Holds) != 1 || set.Holds[0].Application != "apps/api" {
		t.Errorf("list %+v, error %v", set, err)
	}
}

// TestWaitCached: with a separate cached client, a hold change waits
// until the cache shows it, and gives up when the context ends.
func TestWaitCached(t *testing.T) {
	env, _ := holdsEnv(t, nil)
	ref := target.AppRef{Namespace: "apps", Name: "web"}
	env.e.Direct = env.c
	if err := env.e.waitCached(context.Background(), ref, ""); err != nil {
		t.Errorf("the cache already shows it: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := env.e.waitCached(ctx, ref, "never")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "apps/web") {
		t.Errorf("error %v, want the context's", err)
	}
	env.e.Direct = nil
	if err := env.e.waitCached(ctx, ref, "never"); err != nil {
		t.Errorf("without a cache nothing is waited for: %v", err)
	}
}
