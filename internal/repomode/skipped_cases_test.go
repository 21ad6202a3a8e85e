package repomode

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func TestSkippedAppReasons(t *testing.T) {
	src := func(repo, chart string) argocd.ApplicationSource {
		return argocd.ApplicationSource{RepoURL: repo, Chart: chart}
	}
	const here = "https://git.example/team/gitops.git"
	tests := []struct {
		name    string
		spec    argocd.ApplicationSpec
		want    string
		sources []string
	}{
		{name: "no source at all", want: "not managed: has no source with a repoURL"},
		{name: "a chart and a Git repository elsewhere: the Git one is suggested",
			spec:    argocd.ApplicationSpec{Sources: []argocd.ApplicationSource{src("https://charts.example", "web"), src("https://git.example/other.git", "")}},
			want:    "not managed: its source https://git.example/other.git is not this repository (" + here + "); if it is the same repository, add --source-url https://git.example/other.git",
			sources: []string{"https://git.example/other.git", "chart web from https://charts.example"}},
		{name: "a hydrator's dry source counts as a source",
			spec: argocd.ApplicationSpec{SourceHydrator: &argocd.SourceHydrator{DrySource: argocd.DrySource{RepoURL: "https://git.example/dry.git"}}},
			want: "its source https://git.example/dry.git is not this repository"},
		{name: "a case-only difference is pointed out",
			spec: argocd.ApplicationSpec{Source: &argocd.ApplicationSource{RepoURL: "https://git.example/Team/GitOps"}},
			want: "; the addresses differ only in the case of the path, which many servers tell apart; if it is the same repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := Application{Application: argocd.Application{Spec: tt.spec}, File: "apps/x.yaml"}
			sk := skippedApp(app, target.AppRef{Namespace: "argocd", Name: "x"}, []string{here})
			if !strings.Contains(sk.Reason, tt.want) || !strings.HasPrefix(sk.Reason, "not managed: ") {
				t.Fatalf("reason %q, want %q", sk.Reason, tt.want)
			}
			if tt.sources != nil && strings.Join(sk.Sources, "|") != strings.Join(tt.sources, "|") {
				t.Fatalf("sources %q, want %q", sk.Sources, tt.sources)
			}
			if s := sk.String(); !strings.HasPrefix(s, "argocd/x (apps/x.yaml): not managed: ") {
				t.Fatalf("String() = %q", s)
			}
		})
	}
}

func TestCountApps(t *testing.T) {
	it := func(ns, name string) updater.Item {
		return updater.Item{Target: target.Target{App: target.AppRef{Namespace: ns, Name: name}}}
	}
	if n := countApps([]updater.Item{it("a", "web"), it("a", "web"), it("b", "web"), it("a", "db")}); n != 3 {
		t.Fatalf("countApps = %d, want 3 (namespaces count)", n)
	}
	if countApps(nil) != 0 {
		t.Fatal("no items, some applications")
	}
}

// TestLoopOnceWithImageErrors: a cycle that ran but could not check an
// image fails a one-shot run with ErrCycleFailed; nothing is written.
func TestLoopOnceWithImageErrors(t *testing.T) {
	p := newPlayground(t)
	p.Registry.Close()                 // every registry request now fails
	p.runner.PlanTimeout = time.Second // rather than after every retry
	var reports []Report
	l := &Loop{Runner: p.runner, Once: true, Report: func(r Report) { reports = append(reports, r) }}
	err := l.Run(context.Background())
	if !errors.Is(err, ErrCycleFailed) || !strings.Contains(err.Error(), "the cycle had errors") {
		t.Fatalf("Run: %v", err)
	}
	if len(reports) != 1 {
		t.Fatalf("%d reports, want the failed cycle's", len(reports))
	}
	for _, d := range reports[0].Decisions {
		if d.Action != updater.ActionError || !strings.Contains(d.Reason, "listing tags of ") {
			t.Fatalf("%s: %s %q, want a registry error", d.Target.Image.Key(), d.Action, d.Reason)
		}
	}
	if len(reports[0].Git) != 0 || p.deployed(t) != "" {
		t.Fatal("a cycle without registry answers wrote something")
	}
}
