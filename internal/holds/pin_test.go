package holds

import (
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func item(ns, app, alias, name string) updater.Item {
	spec, err := imagespec.Parse(alias + "=" + name)
	if err != nil {
		panic(err)
	}
	return updater.Item{Target: target.Target{App: target.AppRef{Namespace: ns, Name: app}, Image: spec}, Current: updater.Current{Tag: "1.0"}}
}

func TestApplyPinsFromAnnotations(t *testing.T) {
	annotationsWith := func(value string) map[string]string {
		if value == "" {
			return nil
		}
		return map[string]string{Annotation: value}
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
			pins, problems := PinsFromAnnotations(map[target.AppRef]map[string]string{tc.item.Target.App: annotationsWith(tc.value)})
			Apply(items, pins)
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
