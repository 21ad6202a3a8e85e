package target

import (
	"errors"
	"strings"
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

func hydratedApp() argocd.Application {
	a := argocd.Application{}
	a.Name, a.Namespace = "hyd", "argocd"
	a.Spec.SourceHydrator = &argocd.SourceHydrator{
		DrySource: argocd.DrySource{RepoURL: "https://git.example/dry.git", TargetRevision: "main", Path: "apps/web",
			Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}},
		SyncSource: argocd.SyncSource{TargetBranch: "environments/prod", Path: "apps/web"},
	}
	a.Status.SourceType = "Directory" // the sync source's type
	a.Status.Summary.Images = []string{"reg.example/web:1.0.0"}
	return a
}

func chartApp(sources ...argocd.ApplicationSource) argocd.Application {
	a := argocd.Application{}
	a.Name, a.Namespace = "chart", "argocd"
	chart := argocd.ApplicationSource{RepoURL: "https://charts.example", Chart: "web", TargetRevision: "1.4.2",
		Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}}
	if len(sources) == 0 {
		a.Spec.Source = &chart
	} else {
		a.Spec.Sources = append([]argocd.ApplicationSource{chart}, sources...)
	}
	return a
}

func TestPlace(t *testing.T) {
	git := func(repo, branch string) WriteBack {
		return WriteBack{Method: MethodGit, Credentials: "repocreds", Repository: repo, Branch: branch}
	}
	for name, tc := range map[string]struct {
		app        argocd.Application
		wb         WriteBack
		wantErr    string
		wantSource Source
		wantTag    string
	}{
		"hydrator reads and writes the dry source": {app: hydratedApp(), wb: git("", ""),
			wantSource: Source{RepoURL: "https://git.example/dry.git", Path: "apps/web", TargetRevision: "main", Kind: KindHelm, Index: IndexDrySource}, wantTag: "1.0.0"},
		"hydrator with argocd write-back": {app: hydratedApp(), wb: WriteBack{Method: MethodArgoCD}, wantErr: "spec.sourceHydrator"},
		"chart without git repository":    {app: chartApp(), wb: git("", ""), wantErr: "git-repository"},
		"chart with git repository: default branch, not the chart version": {app: chartApp(), wb: git("https://git.example/deploy.git", ""),
			wantSource: Source{RepoURL: "https://charts.example", Chart: "web", Kind: KindHelm, Index: -1}, wantTag: "1.0.0"},
		"chart with the values source's branch": {app: chartApp(argocd.ApplicationSource{RepoURL: "https://GIT.example/deploy.git/", TargetRevision: "release", Ref: "values"}),
			wb:         git("https://git.example/deploy", ""),
			wantSource: Source{RepoURL: "https://charts.example", Chart: "web", TargetRevision: "release", Kind: KindHelm, Index: 0}, wantTag: "1.0.0"},
		"chart with argocd write-back keeps the chart": {app: chartApp(), wb: WriteBack{Method: MethodArgoCD},
			wantSource: Source{RepoURL: "https://charts.example", Chart: "web", TargetRevision: "1.4.2", Kind: KindHelm, Index: -1}, wantTag: "1.0.0"},
	} {
		t.Run(name, func(t *testing.T) {
			tgt := Target{App: AppRef{Namespace: "argocd", Name: tc.app.Name}, WriteBack: tc.wb}
			if err := parseInto(&tgt, "reg.example/web"); err != nil {
				t.Fatal(err)
			}
			got, errs := Place(&tc.app, []Target{tgt})
			if tc.wantErr != "" {
				if len(got) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrConfig) || !strings.Contains(errs[0].Error(), tc.wantErr) {
					t.Fatalf("targets %+v errs %v, want an error naming %s", got, errs, tc.wantErr)
				}
				return
			}
			if len(errs) != 0 || len(got) != 1 {
				t.Fatalf("targets %+v errs %v", got, errs)
			}
			src := got[0].Source
			src.ValueFiles = nil
			if src.RepoURL != tc.wantSource.RepoURL || src.Path != tc.wantSource.Path || src.TargetRevision != tc.wantSource.TargetRevision ||
				src.Chart != tc.wantSource.Chart || src.Kind != tc.wantSource.Kind || src.Index != tc.wantSource.Index {
				t.Errorf("source %+v, want %+v", src, tc.wantSource)
			}
			if d := DeployedState(&tc.app, got[0]); d.Tag != tc.wantTag {
				t.Errorf("deployed %+v, want tag %s", d, tc.wantTag)
			}
		})
	}
}

func TestSameRepoURL(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://git.example/team/deploy.git", "https://GIT.example/team/deploy/", true},
		{"https://git.example/team/deploy", "https://git.example/team/other", false},
		{"https://git.example/Team/deploy", "https://git.example/team/deploy", false}, // paths keep their case
		{"git@git.example:team/deploy.git", "git@git.example:team/deploy", true},
	} {
		if got := SameRepoURL(tc.a, tc.b); got != tc.want {
			t.Errorf("SameRepoURL(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
