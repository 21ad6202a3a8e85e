package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// app returns an Application running images, with the holds annotation
// value when set.
func app(ns, name, holdsValue string, images ...string) *argocd.Application {
	a := &argocd.Application{}
	a.Namespace, a.Name = ns, name
	a.Status.Summary.Images = images
	if holdsValue != "" {
		a.Annotations = map[string]string{holds.Annotation: holdsValue}
	}
	return a
}

func tgt(t *testing.T, ns, name, spec string) target.Target {
	t.Helper()
	s, err := imagespec.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return target.Target{App: target.AppRef{Namespace: ns, Name: name}, Image: s}
}

func TestClusterSourceCollect(t *testing.T) {
	held := `[{"application":"ns/web","image":"web","by":"ana","since":"2026-01-01T00:00:00Z"}]`
	tests := []struct {
		name         string
		app          *argocd.Application
		spec         string
		selProblems  []error
		wantTag      string
		wantLive     bool
		wantHold     string // in the hold's reason; "" = none
		wantProblems []string
	}{
		{name: "live image", app: app("ns", "web", "", "reg.example/team/web:1.2"), spec: "web=reg.example/team/web", wantTag: "1.2", wantLive: true},
		{name: "not live", app: app("ns", "web", "", "reg.example/team/api:1.0"), spec: "web=reg.example/team/web"},
		{name: "held by its annotation", app: app("ns", "web", held, "reg.example/team/web:1.2"), spec: "web=reg.example/team/web", wantTag: "1.2", wantLive: true, wantHold: "pinned by ana"},
		{name: "other image not held", app: app("ns", "web", held, "reg.example/team/api:1.0"), spec: "api=reg.example/team/api", wantTag: "1.0", wantLive: true},
		{
			name: "broken annotation holds all, after the selection's problems",
			app:  app("ns", "web", "{", "reg.example/team/api:1.0"), spec: "api=reg.example/team/api",
			selProblems: []error{errors.New("spec.applicationRefs[1]: bad")},
			wantTag:     "1.0", wantLive: true, wantHold: "unreadable holds annotation",
			wantProblems: []string{"spec.applicationRefs[1]: bad", "application ns/web: invalid hold: annotation " + holds.Annotation},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := target.AppRef{Namespace: tt.app.Namespace, Name: tt.app.Name}
			sel := selection{apps: map[target.AppRef]*argocd.Application{ref: tt.app}, matched: 3, targets: []target.Target{tgt(t, "ns", "web", tt.spec)}, problems: tt.selProblems}
			col, err := clusterSource{sel}.Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if col.Applications != 3 || len(col.Items) != 1 {
				t.Fatalf("collected %+v", col)
			}
			it := col.Items[0]
			if it.Current.Tag != tt.wantTag || it.Current.Live != tt.wantLive || it.Current.Hold != nil {
				t.Errorf("current %+v, want tag %q live %v and no hold yet (the cycle pins)", it.Current, tt.wantTag, tt.wantLive)
			}
			reason, ok := col.Pins.Pin(it.Target.App, it.Target.Image)
			if ok != (tt.wantHold != "") || !strings.Contains(reason, tt.wantHold) {
				t.Errorf("pin %q %v, want %q", reason, ok, tt.wantHold)
			}
			if len(col.Problems) != len(tt.wantProblems) {
				t.Fatalf("problems %v, want %v", col.Problems, tt.wantProblems)
			}
			for i, want := range tt.wantProblems {
				if !strings.Contains(col.Problems[i].Error(), want) {
					t.Errorf("problem %d = %v, want %q", i, col.Problems[i], want)
				}
			}
		})
	}
}

func newTestEngine(t *testing.T, log *bytes.Buffer) *Engine {
	t.Helper()
	rc, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	return &Engine{Registry: rc, Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// TestPassReportsThenLogsOneSummary: images that are not live are skipped
// without a registry request; the reporter sees the result before the one
// summary line, which carries the pass's attributes and counts the
// selection's and the holds' problems.
func TestPassReportsThenLogsOneSummary(t *testing.T) {
	var log bytes.Buffer
	e := newTestEngine(t, &log)
	web := app("ns", "web", "{", "reg.example/team/other:1")
	sel := selection{
		apps:     map[target.AppRef]*argocd.Application{{Namespace: "ns", Name: "web"}: web},
		matched:  2,
		targets:  []target.Target{tgt(t, "ns", "web", "web=reg.example/team/web"), tgt(t, "ns", "web", "api=reg.example/team/api")},
		problems: []error{errors.New("bad ref")},
	}
	var reported []cycle.Result
	out := e.pass(context.Background(), sel, func(_ context.Context, res cycle.Result) {
		if strings.Contains(log.String(), "Processing results") {
			t.Error("reporter called after the summary")
		}
		reported = append(reported, res)
	}, "imageupdater", "ns/iu")
	if len(reported) != 1 || reported[0].Summary() != out.Summary() {
		t.Fatalf("reported %+v, want the outcome once", reported)
	}
	want := "Processing results: applications=2 images_considered=2 images_skipped=2 images_updated=0 errors=2"
	if strings.Count(log.String(), "Processing results") != 1 || !strings.Contains(log.String(), want) || !strings.Contains(log.String(), "imageupdater=ns/iu") {
		t.Fatalf("summary not logged once as %q:\n%s", want, log.String())
	}
	for _, d := range out.Decisions {
		if d.Action != updater.ActionSkip || !strings.Contains(d.Reason, "not live") {
			t.Errorf("%s: %s %q, want a not-live skip", d.Target.Image.Key(), d.Action, d.Reason)
		}
	}
	if strings.Count(log.String(), "image skipped") != 2 {
		t.Errorf("want one line per image:\n%s", log.String())
	}
}

func TestWriteWithoutWriters(t *testing.T) {
	viaGit := dec("a", updater.ActionUpdate)
	viaGit.Target.WriteBack.Method = target.MethodGit
	viaGit.Current.Tag = "1.0"
	viaArgo := dec("b", updater.ActionUpdate)
	skipped := dec("c", updater.ActionSkip)
	skipped.Target.WriteBack.Method = target.MethodGit
	for _, dry := range []bool{false, true} {
		var log bytes.Buffer
		e := newTestEngine(t, &log)
		e.DryRun = dry
		e.init()
		w := e.write(context.Background(), []updater.Decision{viaGit, viaArgo, skipped}, nil)
		if len(w.ArgoCD) != 0 || len(w.Git) != 0 {
			t.Errorf("dry=%v: wrote %+v without writers", dry, w)
		}
		if len(w.Problems) != 1 || !strings.Contains(w.Problems[0].Error(), "application ns/a image web: git write-back is not configured") {
			t.Errorf("dry=%v: problems %v, want one for the git update", dry, w.Problems)
		}
		for _, line := range []string{
			fmt.Sprintf("Successfully updated image 'reg/web:1.0' to 'reg/web:1.1', but pending spec update (dry run=%t)", dry),
			fmt.Sprintf("Successfully updated image 'reg/web:<none>' to 'reg/web:1.1', but pending spec update (dry run=%t)", dry),
			"Committing 1 parameter update(s) for application a",
			"Committing 1 parameter update(s) for application b",
		} {
			if !strings.Contains(log.String(), line) {
				t.Errorf("dry=%v: log lacks %q:\n%s", dry, line, log.String())
			}
		}
	}
}

func TestWarnBlocked(t *testing.T) {
	long := errors.New(strings.Repeat("é", 800)) // 1600 bytes: the message is cut at a rune
	tests := []struct {
		name       string
		errs       []error
		wantReason string
		wantIn     string
	}{
		{"unreadable key", []error{fmt.Errorf("%w: spec.imagesVerification.cosignKey: secret ns/cosign not found", target.ErrConfig)}, WarningInvalidConfiguration, "leaves this application alone: "},
		{"invalid", []error{fmt.Errorf("%w: allow-tags", target.ErrConfig)}, WarningInvalidConfiguration, "allow-tags"},
		{"long message cut", []error{long}, WarningInvalidConfiguration, "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			e := newTestEngine(t, &log)
			type warning struct{ app, reason, msg string }
			var got []warning
			e.Warnings = func(a *argocd.Application, reason, msg string) { got = append(got, warning{a.Name, reason, msg}) }
			iu := &v1alpha1.ImageUpdater{}
			iu.Namespace, iu.Name = "ns", "iu"
			b, a := target.AppRef{Namespace: "ns", Name: "b"}, target.AppRef{Namespace: "ns", Name: "a"}
			sel := selection{
				apps:    map[target.AppRef]*argocd.Application{a: app("ns", "a", ""), b: app("ns", "b", "")},
				blocked: map[target.AppRef][]error{b: tt.errs, a: tt.errs},
			}
			e.warnBlocked(context.Background(), iu, sel)
			if len(got) != 2 || got[0].app != "a" || got[1].app != "b" {
				t.Fatalf("warnings %+v, want one per application, sorted", got)
			}
			for _, w := range got {
				if w.reason != tt.wantReason || !strings.Contains(w.msg, tt.wantIn) || len(w.msg) > maxEventNote || !strings.HasPrefix(w.msg, "ImageUpdater ns/iu") {
					t.Errorf("warning %q %q (%d bytes), want %s containing %q", w.reason, w.msg, len(w.msg), tt.wantReason, tt.wantIn)
				}
			}
			if strings.Count(log.String(), "application not updated: "+tt.wantReason) != 2 {
				t.Errorf("log:\n%s", log.String())
			}
		})
	}
}

func TestErrorMessagesKindsAndOrder(t *testing.T) {
	o := Outcome{Result: cycle.Result{
		Decisions: []updater.Decision{dec("z", updater.ActionError), dec("a", updater.ActionUpdate)},
		Problems:  []error{errors.New("first in spec"), fmt.Errorf("%w: x", target.ErrConfig)},
	}, Conflicts: []string{"application ns/a is also selected by ImageUpdater ns/b"}}
	o.Decisions[0].Reason = "429"
	got := errorMessages(o)
	want := []string{
		"configuration: first in spec",
		"configuration: " + fmt.Errorf("%w: x", target.ErrConfig).Error(),
		"conflict: application ns/a is also selected by ImageUpdater ns/b",
		"image: application ns/z image web: 429",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
