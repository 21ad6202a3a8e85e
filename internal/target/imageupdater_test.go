package target

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
)

func ptr[T any](v T) *T { return &v }

func app(name string, lbls map[string]string) argocd.Application {
	a := argocd.Application{}
	a.Name, a.Namespace, a.Labels = name, "argocd", lbls
	a.Spec.Source = &argocd.ApplicationSource{RepoURL: "https://git.example/r.git", Path: name, Helm: &argocd.ApplicationSourceHelm{}}
	return a
}

func TestMatchApplicationsMostSpecificWins(t *testing.T) {
	spec := &v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "*"},
		{NamePattern: "guestbook-*"},
		{NamePattern: "guestbook-prod"},
		{NamePattern: "guest*", LabelSelectors: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "web"}}},
	}}
	apps := []argocd.Application{
		app("other", nil),
		app("guestbook-dev", nil),
		app("guestbook-prod", map[string]string{"tier": "web"}),
		app("guestbook-web", map[string]string{"tier": "web"}),
	}
	matches, errs := MatchApplications(spec, apps)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]int{"other": 0, "guestbook-dev": 1, "guestbook-prod": 2, "guestbook-web": 3}
	if len(matches) != len(want) {
		t.Fatalf("matches: %+v", matches)
	}
	for _, m := range matches {
		if want[m.App.Name] != m.RefIndex {
			t.Errorf("%s: ref %d, want %d", m.App.Name, m.RefIndex, want[m.App.Name])
		}
	}
}

func TestMatchApplicationsInvalidRefs(t *testing.T) {
	for name, tc := range map[string]struct {
		ref  v1alpha1.ApplicationRef
		want string
	}{
		"bad glob":     {v1alpha1.ApplicationRef{NamePattern: "a["}, "spec.applicationRefs[0].namePattern"},
		"empty":        {v1alpha1.ApplicationRef{}, "spec.applicationRefs[0].namePattern"},
		"bad selector": {v1alpha1.ApplicationRef{NamePattern: "*", LabelSelectors: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}}, "spec.applicationRefs[0].labelSelectors"},
	} {
		t.Run(name, func(t *testing.T) {
			spec := &v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{tc.ref}}
			m, errs := MatchApplications(spec, []argocd.Application{app("a", nil)})
			if len(m) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("matches %v errs %v", m, errs)
			}
		})
	}
}

func TestFromImageUpdaterSettingsAndWriteBack(t *testing.T) {
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{
		CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("alphabetical"), AllowTags: ptr("regexp:^v"), PullSecret: ptr("env:X")},
		WriteBackConfig:      &v1alpha1.WriteBackConfig{Method: "git:secret:argocd/creds", GitConfig: &v1alpha1.GitConfig{Branch: "main", WriteBackTarget: "kustomization"}},
		ApplicationRefs: []v1alpha1.ApplicationRef{{
			NamePattern:          "gb",
			CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("semver"), IgnoreTags: []string{"*-rc"}},
			WriteBackConfig:      &v1alpha1.WriteBackConfig{GitConfig: &v1alpha1.GitConfig{Repository: "https://git.example/other.git"}},
			Images: []v1alpha1.ImageConfig{
				{Alias: "web", ImageName: "reg.example/team/web:~1.2", ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "web.repo", Tag: "web.tag"}}},
				{Alias: "db", ImageName: "postgres", CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{ForceUpdate: ptr(true), AllowTags: ptr("any")}},
			},
		}},
	}}
	targets, errs := FromImageUpdater(iu, []argocd.Application{app("gb", nil), app("unmatched", nil)})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(targets) != 2 {
		t.Fatalf("targets: %+v", targets)
	}
	web, db := targets[0], targets[1]
	if web.Policy.Strategy != "semver" || web.Policy.Constraint != "~1.2" || web.Policy.AllowTags != "regexp:^v" || strings.Join(web.Policy.IgnoreTags, ",") != "*-rc" {
		t.Errorf("web policy: %+v", web.Policy)
	}
	if web.Manifest.HelmNameParam() != "web.repo" || web.Manifest.Kind != KindHelm || web.PullSecret != "env:X" {
		t.Errorf("web: %+v", web)
	}
	wantWB := WriteBack{Method: MethodGit, Credentials: "secret:argocd/creds", Branch: "main", Target: "kustomization", Repository: "https://git.example/other.git"}
	if web.WriteBack != wantWB {
		t.Errorf("write-back %+v", web.WriteBack)
	}
	if !db.ForceUpdate || db.Policy.AllowTags != "any" || db.Image.Repository != "library/postgres" || db.Source.Kind != KindHelm || db.Source.Index != -1 {
		t.Errorf("db: %+v", db)
	}
}

func TestFromImageUpdaterErrorsNameFields(t *testing.T) {
	img := func(c v1alpha1.ImageConfig) v1alpha1.ImageUpdaterSpec {
		return v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: []v1alpha1.ImageConfig{{Alias: "ok", ImageName: "nginx"}, c}}}}
	}
	for name, tc := range map[string]struct {
		spec v1alpha1.ImageUpdaterSpec
		want string
	}{
		"allowTags":   {img(v1alpha1.ImageConfig{Alias: "x", ImageName: "nginx", CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{AllowTags: ptr("regexp:([")}}), "spec.applicationRefs[0].images[1].commonUpdateSettings.allowTags"},
		"strategy":    {img(v1alpha1.ImageConfig{Alias: "x", ImageName: "nginx", CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("newest")}}), "spec.applicationRefs[0].images[1].commonUpdateSettings.updateStrategy"},
		"constraint":  {img(v1alpha1.ImageConfig{Alias: "x", ImageName: "nginx:>>1"}), "spec.applicationRefs[0].images[1].imageName"},
		"image":       {img(v1alpha1.ImageConfig{Alias: "x", ImageName: "Bad Image"}), "spec.applicationRefs[0].images[1].imageName"},
		"alias dup":   {img(v1alpha1.ImageConfig{Alias: "ok", ImageName: "redis"}), "spec.applicationRefs[0].images[1].alias"},
		"two targets": {img(v1alpha1.ImageConfig{Alias: "x", ImageName: "redis", ManifestTargets: &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{}, Kustomize: &v1alpha1.KustomizeTarget{Name: "r"}}}), "spec.applicationRefs[0].images[1].manifestTargets"},
	} {
		t.Run(name, func(t *testing.T) {
			iu := &v1alpha1.ImageUpdater{Spec: tc.spec}
			targets, errs := FromImageUpdater(iu, []argocd.Application{app("a", nil)})
			// The valid image "ok" is not updated either: the application
			// is left alone.
			if len(targets) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("targets %d errs %v", len(targets), errs)
			}
		})
	}
	t.Run("global setting", func(t *testing.T) {
		iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{IgnoreTags: []string{"["}}, ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}}}
		_, errs := FromImageUpdater(iu, []argocd.Application{app("a", nil)})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "spec.commonUpdateSettings.ignoreTags") {
			t.Fatal(errs)
		}
	})
	t.Run("method", func(t *testing.T) {
		iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "svn"}, Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}}}
		_, errs := FromImageUpdater(iu, []argocd.Application{app("a", nil)})
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "spec.applicationRefs[0].writeBackConfig.method") {
			t.Fatal(errs)
		}
	})
}

func TestFromImageUpdaterUseAnnotations(t *testing.T) {
	a := app("a", nil)
	a.Annotations = ann("image-list", "web=nginx", "web.helm.image-tag", "web.tag")
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", UseAnnotations: true}}}}
	targets, errs := FromImageUpdater(iu, []argocd.Application{a})
	if len(errs) > 0 || len(targets) != 1 || targets[0].Manifest.HelmTagParam() != "web.tag" || targets[0].Source.Kind != KindHelm {
		t.Fatalf("targets %+v errs %v", targets, errs)
	}
}

func multiSourceApp() argocd.Application {
	a := argocd.Application{}
	a.Name = "ms"
	a.Spec.Sources = []argocd.ApplicationSource{
		{RepoURL: "https://git.example/values.git", Ref: "values"},
		{RepoURL: "https://charts.example", Chart: "web", Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}},
		{RepoURL: "https://git.example/k.git", Path: "k", Kustomize: &argocd.ApplicationSourceKustomize{Images: []string{"reg.example/db:2.0.0", "other=reg.example/x:1"}}},
		{RepoURL: "https://git.example/p.git", Path: "p", Plugin: &argocd.ApplicationSourcePlugin{Env: []argocd.EnvEntry{{Name: "CACHE_TAG", Value: "3.1@sha256:abc"}}}},
	}
	a.Status.Summary.Images = []string{"reg.example/web:1.0.0", "reg.example/db:2.0.0", "docker.io/library/redis:7.0"}
	return a
}

func TestChooseSourceAndDeployedState(t *testing.T) {
	a := multiSourceApp()
	for name, tc := range map[string]struct {
		image    string
		manifest Manifest
		index    int
		want     Deployed
	}{
		"helm param":      {"reg.example/web", Manifest{}, 1, Deployed{Tag: "1.0.0", Live: true}},
		"kustomize image": {"reg.example/db", Manifest{}, 2, Deployed{Tag: "2.0.0", Live: true}},
		"plugin env":      {"reg.example/cache", Manifest{Kind: KindPlugin, PluginTag: "CACHE_TAG"}, 3, Deployed{Tag: "3.1", Digest: "sha256:abc"}},
		"kind fallback":   {"redis", Manifest{Kind: KindKustomize}, 2, Deployed{Tag: "7.0", Live: true}},
		"first real":      {"reg.example/none", Manifest{HelmTag: "none.tag"}, 1, Deployed{}},
	} {
		t.Run(name, func(t *testing.T) {
			tgt := Target{Manifest: tc.manifest}
			if err := parseInto(&tgt, tc.image); err != nil {
				t.Fatal(err)
			}
			ChooseSource(&a, &tgt)
			if tgt.Source.Index != tc.index {
				t.Fatalf("source %d, want %d", tgt.Source.Index, tc.index)
			}
			if got := DeployedState(&a, tgt); got != tc.want {
				t.Fatalf("deployed %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestKustomizeEntryName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                     "nginx",
		"nginx:1.2":                 "nginx",
		"reg:5000/a/b:1@sha256:abc": "reg:5000/a/b",
		"reg:5000/a/b":              "reg:5000/a/b",
		"old/name=new/name:1":       "old/name",
		"nginx@sha256:0123":         "nginx",
	} {
		if got := KustomizeEntryName(in); got != want {
			t.Errorf("%q: %q want %q", in, got, want)
		}
	}
}

func parseInto(t *Target, image string) error {
	spec, err := imagespec.Parse(image)
	t.Image = spec
	return err
}

func FuzzKustomizeEntryName(f *testing.F) {
	for _, s := range []string{"nginx", "reg:5000/a:1", "a=b:1@sha256:x", ":", "@", "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		name := KustomizeEntryName(entry)
		if !strings.HasPrefix(entry, name) {
			t.Fatalf("%q: name %q is not a prefix", entry, name)
		}
		_, tag, digest := imagespec.SplitReference(entry)
		if len(tag)+len(digest) > len(entry) {
			t.Fatalf("%q: parts longer than input", entry)
		}
	})
}
