package controller_test

import (
	"strings"
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestSourceHydratorGitWriteBack: a Source Hydrator application (no
// spec.source; Argo CD's CRD stores spec.sourceHydrator) is updated through
// its dry source: the current tag comes from drySource.helm.parameters, the
// commit goes to drySource.repoURL at drySource.path on
// drySource.targetRevision, never to the hydrated branch. The argocd method
// is refused with a reason.
func TestSourceHydratorGitWriteBack(t *testing.T) {
	g := scSetupGit(t, map[string]string{"dry/web/Chart.yaml": "name: web\n"})
	web := g.push(t, "team/web", "1.0.0", "1.1.0", "1.2.0")
	hydrated := func(name string) *argocd.Application {
		a := infra.KubeApplication(g.ns, name, argocd.ApplicationSource{}, "Directory", web+":1.1.0")
		a.Spec.Source = nil
		a.Spec.SourceHydrator = &argocd.SourceHydrator{
			DrySource: argocd.DrySource{RepoURL: g.srv.RepoURL("gitops.git"), TargetRevision: "main", Path: "dry/web",
				Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.1.0"}}}},
			SyncSource: argocd.SyncSource{TargetBranch: "env/prod", Path: "web"},
		}
		return a
	}
	g.createApp(t, hydrated("hyd"))
	g.createApp(t, hydrated("hyd-argocd"))
	stored := g.app(t, g.ns, "hyd")
	if stored.Spec.SourceHydrator == nil || stored.Spec.SourceHydrator.DrySource.Path != "dry/web" || stored.Spec.Source != nil {
		t.Fatalf("API server did not keep spec.sourceHydrator: %+v", stored.Spec)
	}
	iu := g.createIU(t, g.ns, "hyd", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "hyd", WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + g.ns + "/git-creds"},
			Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web, ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "image.repository", Tag: "image.tag"}}}}},
		{NamePattern: "hyd-argocd", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})
	out := g.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 1 || errored != 1 {
		t.Fatalf("updated %d errors %d: %+v %+v", updated, errored, out.Problems, out.Decisions)
	}
	for _, d := range out.Decisions {
		if d.Target.App.Name == "hyd" && (d.Current.Tag != "1.1.0" || !d.Current.Live) {
			t.Errorf("current read from the dry source: %+v", d.Current)
		}
	}
	file := g.file(t, "dry/web/.argocd-source-hyd.yaml")
	for _, want := range []string{"name: image.tag", "value: 1.2.0", "value: " + web} {
		if !strings.Contains(file, want) {
			t.Errorf("dry source override lacks %q:\n%s", want, file)
		}
	}
	if out := infra.GitRun(t, g.bare, "branch", "--list", "env/prod"); strings.TrimSpace(out) != "" {
		t.Errorf("wrote to the hydrated branch: %q", out)
	}
	if !strings.Contains(joinErrors(out.Problems), "spec.sourceHydrator: the argocd write-back method cannot change a Source Hydrator application") {
		t.Errorf("argocd method not refused: %v", out.Problems)
	}
}

// TestHelmChartRepositoryGitWriteBack (upstream issue #423): an application
// deploying a chart from a Helm chart repository writes, with git
// write-back, to the Git repository named by gitConfig.repository (or the
// git-repository annotation), on that repository's default branch, not on
// the chart version; without a Git repository it is refused with a reason.
func TestHelmChartRepositoryGitWriteBack(t *testing.T) {
	g := scSetupGit(t, map[string]string{"README.md": "deploy\n"})
	web := g.push(t, "team/web", "1.0.0", "1.3.0")
	chartApp := func(name string) *argocd.Application {
		return infra.KubeApplication(g.ns, name, argocd.ApplicationSource{RepoURL: "https://charts.example.com/stable", Chart: "web", TargetRevision: "4.2.0",
			Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}}, argocd.SourceTypeHelm, web+":1.0.0")
	}
	g.createApp(t, chartApp("chart-crd"))
	annotated := chartApp("chart-annotated")
	annotated.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":        "web=" + web,
		target.AnnotationPrefix + "write-back-method": "git:secret:" + g.ns + "/git-creds",
		target.AnnotationPrefix + "git-repository":    g.srv.RepoURL("gitops.git"),
	}
	g.createApp(t, annotated)
	g.createApp(t, chartApp("chart-no-git"))
	secretWB := "git:secret:" + g.ns + "/git-creds"
	iu := g.createIU(t, g.ns, "charts", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "chart-crd", WriteBackConfig: &v1alpha1.WriteBackConfig{Method: secretWB, GitConfig: &v1alpha1.GitConfig{Repository: g.srv.RepoURL("gitops.git")}},
			Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
		{NamePattern: "chart-annotated", UseAnnotations: true},
		{NamePattern: "chart-no-git", WriteBackConfig: &v1alpha1.WriteBackConfig{Method: secretWB}, Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}},
	}})
	out := g.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 2 || errored != 1 {
		t.Fatalf("updated %d errors %d: %+v %+v", updated, errored, out.Problems, out.Git)
	}
	for _, name := range []string{"chart-crd", "chart-annotated"} {
		file := g.file(t, ".argocd-source-"+name+".yaml")
		if !strings.Contains(file, "name: image.tag") || !strings.Contains(file, "value: 1.3.0") {
			t.Errorf("%s override:\n%s", name, file)
		}
	}
	if got := infra.GitRun(t, g.bare, "branch", "--list"); strings.Contains(got, "4.2.0") {
		t.Errorf("pushed a branch named after the chart version: %q", got)
	}
	if !strings.Contains(joinErrors(out.Problems), `source is Helm chart "web" from the chart repository https://charts.example.com/stable, which is not a Git repository`) {
		t.Errorf("chart without a Git repository not refused: %v", out.Problems)
	}
	if a := g.app(t, g.ns, "chart-crd"); param(a, "image.tag") != "1.0.0" {
		t.Errorf("git write-back patched the application: %+v", a.Spec.Source.Helm.Parameters)
	}
}

func joinErrors(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteString("\n")
	}
	return b.String()
}

// TestPluginSourceGitWriteBack: a config management plugin application
// with git write-back gets its variables in the .argocd-source file's
// plugin.env (upstream's layout), merged with what the file holds; a
// second pass commits nothing.
func TestPluginSourceGitWriteBack(t *testing.T) {
	g := scSetupGit(t, map[string]string{
		"plugin/app/.argocd-source-plug.yaml": "plugin:\n  env:\n  - name: REPLICAS\n    value: \"3\"\n",
	})
	web := g.push(t, "team/web", "1.0.0", "1.5.0")
	g.createApp(t, infra.KubeApplication(g.ns, "plug", argocd.ApplicationSource{RepoURL: g.srv.RepoURL("gitops.git"), Path: "plugin/app", TargetRevision: "main",
		Plugin: &argocd.ApplicationSourcePlugin{Name: "render", Env: []argocd.EnvEntry{{Name: "WEB_TAG", Value: "1.0.0"}}}}, argocd.SourceTypePlugin, web+":1.0.0"))
	iu := g.createIU(t, g.ns, "plug", v1alpha1.ImageUpdaterSpec{
		WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git:secret:" + g.ns + "/git-creds"},
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "plug", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web,
			ManifestTargets: &v1alpha1.ManifestTarget{Plugin: &v1alpha1.PluginTarget{Name: "WEB_IMAGE", Tag: "WEB_TAG"}}}}}},
	})
	out := g.reconcile(t, iu)
	if updated, _, errored := out.Counts(); updated != 1 || errored != 0 {
		t.Fatalf("updated %d errors %d: %+v %+v", updated, errored, out.Problems, out.Git)
	}
	want := "plugin:\n  env:\n  - name: REPLICAS\n    value: \"3\"\n  - name: WEB_IMAGE\n    value: " + web + "\n  - name: WEB_TAG\n    value: 1.5.0\n"
	if got := g.file(t, "plugin/app/.argocd-source-plug.yaml"); got != want {
		t.Fatalf("override:\n%s\nwant:\n%s", got, want)
	}
	if a := g.app(t, g.ns, "plug"); a.Spec.Source.Plugin.Env[0].Value != "1.0.0" {
		t.Errorf("git write-back patched the application: %+v", a.Spec.Source.Plugin.Env)
	}
	// Until Argo CD syncs, the application still reports 1.0.0: the next
	// pass finds the file already written and commits nothing.
	before := infra.GitRun(t, g.bare, "rev-parse", "main")
	out = g.reconcile(t, iu)
	if _, _, errored := out.Counts(); errored != 0 || infra.GitRun(t, g.bare, "rev-parse", "main") != before {
		t.Errorf("second pass: errors %d, main moved: %+v", errored, out.Git)
	}
}
