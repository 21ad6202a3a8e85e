package controller

import (
	"errors"
	"strings"
	"testing"
	"time"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func TestParseHolds(t *testing.T) {
	for name, tc := range map[string]struct {
		value   string
		want    int
		wantErr string
	}{
		"empty":          {"", 0, ""},
		"blank":          {"  \n", 0, ""},
		"one":            {`[{"application":"ns/web","image":"web","version":"1.0","since":"2026-01-01T00:00:00Z"}]`, 1, ""},
		"two":            {`[{"application":"web","image":"a","since":"0001-01-01T00:00:00Z"},{"application":"ns/web","image":"b","since":"0001-01-01T00:00:00Z"}]`, 2, ""},
		"unknown field":  {`[{"application":"ns/web","image":"web","colour":"red","since":"0001-01-01T00:00:00Z"}]`, 0, "colour"},
		"not a list":     {`{"application":"ns/web"}`, 0, "cannot unmarshal"},
		"missing image":  {`[{"application":"ns/web","since":"0001-01-01T00:00:00Z"}]`, 0, "image is required"},
		"trailing data":  {`[] []`, 0, "trailing"},
		"not json":       {`web: pinned`, 0, HoldsAnnotation},
		"too many slash": {`[{"application":"a/b/c","image":"web","since":"0001-01-01T00:00:00Z"}]`, 0, "namespace/name"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseHolds(tc.value)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, holds.ErrInvalid) {
					t.Fatalf("err %v, want one containing %q wrapping ErrInvalid", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestFormatHoldsRoundTrips(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []holds.Hold{{Application: "ns/web", Image: "web", Version: "1.0", Reason: "incident 42", By: "ana", Since: since},
		{Application: "ns/web", Image: "api", Since: since}}
	value, err := formatHolds(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseHolds(value)
	if err != nil || len(out) != 2 || out[0].Image != "api" || out[1] != in[0] {
		t.Fatalf("%s -> %+v, %v", value, out, err)
	}
	if v, err := formatHolds(nil); v != "" || err != nil {
		t.Fatalf("no holds: %q %v", v, err)
	}
}

func FuzzParseHolds(f *testing.F) {
	f.Add(`[{"application":"ns/web","image":"web","version":"1.0","since":"2026-01-01T00:00:00Z"}]`)
	f.Add(`[]`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, value string) {
		hs, err := ParseHolds(value)
		if err != nil {
			return
		}
		// What parses formats and parses back to the same holds.
		again, err := formatHolds(hs)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseHolds(again)
		if err != nil || len(back) != len(hs) {
			t.Fatalf("%q -> %q -> %v, %v", value, again, back, err)
		}
	})
}

func item(ns, app, alias, name string) updater.Item {
	spec, err := imagespec.Parse(alias + "=" + name)
	if err != nil {
		panic(err)
	}
	return updater.Item{Target: target.Target{App: target.AppRef{Namespace: ns, Name: app}, Image: spec}, Current: updater.Current{Tag: "1.0"}}
}

func TestApplyHolds(t *testing.T) {
	appWith := func(value string) *argocd.Application {
		a := &argocd.Application{}
		if value != "" {
			a.Annotations = map[string]string{HoldsAnnotation: value}
		}
		return a
	}
	held := `[{"application":"ns/web","image":"web","version":"1.0","by":"ana","since":"2026-01-01T00:00:00Z"}]`
	for name, tc := range map[string]struct {
		value      string
		item       updater.Item
		wantPinned bool
		reason     string
		problems   int
	}{
		"held by alias":      {held, item("ns", "web", "web", "reg.example/team/web"), true, "pinned at 1.0 by ana", 0},
		"other image":        {held, item("ns", "web", "api", "reg.example/team/api"), false, "", 0},
		"no annotation":      {"", item("ns", "web", "web", "reg.example/team/web"), false, "", 0},
		"broken holds all":   {"{", item("ns", "web", "api", "reg.example/team/api"), true, "unreadable holds annotation", 1},
		"hold for other app": {`[{"application":"ns/other","image":"web","since":"0001-01-01T00:00:00Z"}]`, item("ns", "web", "web", "reg.example/team/web"), false, "", 0},
		"held by bare name":  {`[{"application":"web","image":"reg.example/team/web","since":"0001-01-01T00:00:00Z"}]`, item("ns", "web", "web", "reg.example/team/web"), true, "pinned", 0},
	} {
		t.Run(name, func(t *testing.T) {
			items := []updater.Item{tc.item}
			apps := map[target.AppRef]*argocd.Application{tc.item.Target.App: appWith(tc.value)}
			problems := applyHolds(items, apps)
			if len(problems) != tc.problems {
				t.Errorf("problems %v", problems)
			}
			h := items[0].Current.Hold
			if (h != nil) != tc.wantPinned {
				t.Fatalf("hold %+v", h)
			}
			if h != nil && (!h.Pinned || !strings.Contains(h.Reason, tc.reason)) {
				t.Errorf("hold %+v, want reason containing %q", h, tc.reason)
			}
		})
	}
}

func TestSelectionFilter(t *testing.T) {
	web, api := item("ns", "a", "web", "reg.example/team/web"), item("ns", "b", "api", "reg.example/team/api")
	sel := selection{
		apps:     map[target.AppRef]*argocd.Application{web.Target.App: {}, api.Target.App: {}},
		matched:  2,
		targets:  []target.Target{web.Target, api.Target},
		problems: []error{errors.New("x")},
	}
	got := sel.filter(func(t target.Target) bool { return t.Image.Repository == "team/web" })
	if got.matched != 1 || len(got.targets) != 1 || got.apps[web.Target.App] == nil || got.apps[api.Target.App] != nil || len(got.problems) != 0 {
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
