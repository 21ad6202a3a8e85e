package controller

import (
	"errors"
	"testing"
	"time"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
)

func TestSelectionFilter(t *testing.T) {
	web, api := tgt(t, "ns", "a", "web=reg.example/team/web"), tgt(t, "ns", "b", "api=reg.example/team/api")
	sel := selection{
		apps:     map[target.AppRef]*argocd.Application{web.App: {}, api.App: {}},
		matched:  2,
		targets:  []target.Target{web, api},
		problems: []error{errors.New("x")},
	}
	got := sel.filter(func(t target.Target) bool { return t.Image.Repository == "team/web" })
	if got.matched != 1 || len(got.targets) != 1 || got.apps[web.App] == nil || got.apps[api.App] != nil || len(got.problems) != 0 {
		t.Fatalf("%+v", got)
	}
}

func TestCyclesRefreshRoutesRepository(t *testing.T) {
	rc, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &cycles{client: rc, interval: time.Minute, now: func() time.Time { return now }}
	shared := c.get()
	c.refresh([]string{"reg.example/team/web"})
	if c.get() != shared {
		t.Fatal("refresh replaced the shared cycle")
	}
	v := c.view(nil).(*routedView)
	web, _ := imagespec.Parse("reg.example/team/web")
	api, _ := imagespec.Parse("reg.example/team/api")
	if v.pick(web) == v.shared || v.pick(api) != v.shared {
		t.Fatal("routing: web should use its refreshed cycle, api the shared one")
	}
	now = now.Add(2 * time.Minute)
	if v := c.view(nil).(*routedView); v.pick(web) != v.shared {
		t.Fatal("refreshed cycle outlived the interval")
	}
}
