package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// backendEnv has web (team/web) and api (team/api) at their first tag,
// each with a newer one, selected by one ImageUpdater.
func backendEnv(t *testing.T) *testEnv {
	t.Helper()
	env := newTestEnv(t)
	web := env.push(t, "team/web", "1.0.0", "1.1.0")
	apiImg := env.push(t, "team/api", "2.0.0", "2.1.0")
	for _, obj := range []client.Object{helmApplication("apps", "web", web, "1.0.0"), helmApplication("apps", "api", apiImg, "2.0.0"),
		imageUpdater("apps", "iu", 1, imageRef("web", web), imageRef("api", apiImg))} {
		if err := env.c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// TestWebhookSinkChecksThePushedRepository: an event re-checks only the
// images of its repository.
func TestWebhookSinkChecksThePushedRepository(t *testing.T) {
	for _, tc := range []struct {
		name     string
		repo     string
		failList bool
		web, api string
	}{
		{name: "web pushed", repo: "team/web", web: "1.1.0", api: "2.0.0"},
		{name: "api pushed", repo: "team/api", web: "1.0.0", api: "2.1.0"},
		{name: "unknown repository", repo: "team/db", web: "1.0.0", api: "2.0.0"},
		{name: "selection unreadable: logged, nothing written", repo: "team/web", failList: true, web: "1.0.0", api: "2.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := backendEnv(t)
			env.set(func(env *testEnv) {
				if tc.failList {
					env.failAppList = errors.New("refused")
				}
			})
			env.e.WebhookSink(nil).Handle(context.Background(), webhook.Event{Registry: env.host, Repository: tc.repo, Source: "distribution"})
			if got := env.tagOf(t, "apps", "web"); got != tc.web {
				t.Errorf("web at %s, want %s", got, tc.web)
			}
			if got := env.tagOf(t, "apps", "api"); got != tc.api {
				t.Errorf("api at %s, want %s", got, tc.api)
			}
		})
	}
}

// TestBackendCheckAndHolds: the trigger API's check is a filtered pass
// (by application, and image), its holds live in the annotations.
func TestBackendCheckAndHolds(t *testing.T) {
	env := backendEnv(t)
	b := env.e.Backend(nil)
	res, err := b.Check(context.Background(), api.CheckRequest{Application: "apps/api"})
	if err != nil || len(res.Decisions) != 1 || res.Decisions[0].Application != "apps/api" || res.Decisions[0].To != "2.1.0" {
		t.Fatalf("check api: %+v %v", res, err)
	}
	if env.tagOf(t, "apps", "web") != "1.0.0" {
		t.Error("a check of api wrote web")
	}
	if err := b.Hold(context.Background(), holds.Hold{Application: "web", Image: "web", By: "ana"}); err != nil {
		t.Fatal(err)
	}
	set, err := b.Holds(context.Background())
	if err != nil || len(set.Holds) != 1 || set.Holds[0].Application != "apps/web" {
		t.Fatalf("holds %+v %v", set, err)
	}
	res, err = b.Check(context.Background(), api.CheckRequest{Application: "web", Image: "web"})
	if err != nil || len(res.Decisions) != 1 || res.Decisions[0].Action != "skip" || !strings.Contains(res.Decisions[0].Reason, "pinned") {
		t.Errorf("check while held: %+v %v", res, err)
	}
	if err := b.Release(context.Background(), "web", "web"); err != nil {
		t.Fatal(err)
	}
	env.set(func(env *testEnv) { env.failAppList = errors.New("refused") })
	if _, err := b.Check(context.Background(), api.CheckRequest{Application: "web"}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("check with unreadable selections: %v", err)
	}
}

// TestListApplicationPages: from the API server Applications come
// PageSize at a time, reduced as the cache would hold them; from the cache
// in one list.
func TestListApplicationPages(t *testing.T) {
	s, err := Scheme()
	if err != nil {
		t.Fatal(err)
	}
	var objs []client.Object
	for i := range 5 {
		a := helmApplication("apps", fmt.Sprintf("app-%d", i), "reg.example/web", "1")
		a.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}", target.AnnotationPrefix + "image-list": "web"}
		objs = append(objs, a)
	}
	for _, tc := range []struct {
		name     string
		cached   bool
		pageSize int64
		failPage int // page whose request fails (0: none)
		calls    int
		wantErr  string
	}{
		{name: "pages of two", pageSize: 2, calls: 3},
		{name: "one page", pageSize: 10, calls: 1},
		{name: "default page size", calls: 1},
		{name: "cache: one unpaged list", cached: true, pageSize: 2, calls: 1},
		{name: "second page fails", pageSize: 2, failPage: 2, calls: 2, wantErr: "listing applications (page 2 of 2 per page): gone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
			calls := 0
			c := interceptor.NewClient(base, interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				calls++
				lo := (&client.ListOptions{}).ApplyOptions(opts)
				if tc.cached != (lo.Limit == 0) {
					t.Errorf("limit %d with cached reads %v", lo.Limit, tc.cached)
				}
				if calls == tc.failPage {
					return errors.New("gone")
				}
				var all argocd.ApplicationList
				if err := c.List(ctx, &all); err != nil {
					return err
				}
				out := list.(*argocd.ApplicationList)
				if lo.Limit == 0 {
					*out = all
					return nil
				}
				start := 0
				fmt.Sscan(lo.Continue, &start)
				end := min(start+int(lo.Limit), len(all.Items))
				out.Items = all.Items[start:end]
				if end < len(all.Items) {
					out.Continue = fmt.Sprint(end)
				}
				return nil
			}})
			e := &Engine{Client: c, CachedReads: tc.cached, PageSize: tc.pageSize}
			apps, err := e.listApplicationPages(context.Background())
			if calls != tc.calls {
				t.Errorf("%d list requests, want %d", calls, tc.calls)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(apps) != 5 {
				t.Fatalf("%d applications, %v", len(apps), err)
			}
			if stripped := apps[0].ManagedFields == nil && len(apps[0].Annotations) == 1 && apps[4].Annotations[target.AnnotationPrefix+"image-list"] == "web"; stripped == tc.cached {
				t.Errorf("stripped %v with cached reads %v (the cache's transform strips its own): %+v", stripped, tc.cached, apps[0].ObjectMeta)
			}
		})
	}
}
