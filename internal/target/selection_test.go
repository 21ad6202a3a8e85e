package target

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func labelsRef(pattern string, match map[string]string, exprs ...metav1.LabelSelectorRequirement) v1alpha1.ApplicationRef {
	return v1alpha1.ApplicationRef{NamePattern: pattern, LabelSelectors: &metav1.LabelSelector{MatchLabels: match, MatchExpressions: exprs}}
}

func TestMatchApplicationsSelectors(t *testing.T) {
	web := map[string]string{"tier": "web", "env": "prod"}
	tests := []struct {
		name string
		refs []v1alpha1.ApplicationRef
		app  argocd.Application
		want int // winning ref index, -1 for no match
	}{
		{"no ref matches", []v1alpha1.ApplicationRef{{NamePattern: "api-*"}}, app("web", nil), -1},
		{"glob ? matches one character", []v1alpha1.ApplicationRef{{NamePattern: "web-?"}}, app("web-1", nil), 0},
		{"glob ? does not match two", []v1alpha1.ApplicationRef{{NamePattern: "web-?"}}, app("web-12", nil), -1},
		{"character class", []v1alpha1.ApplicationRef{{NamePattern: "web-[0-9]"}}, app("web-7", nil), 0},
		{"escaped star is literal", []v1alpha1.ApplicationRef{{NamePattern: `web\*`}}, app("web*", nil), 0},
		{"escaped star does not glob", []v1alpha1.ApplicationRef{{NamePattern: `web\*`}}, app("webx", nil), -1},
		{"star does not cross a slash-free name boundary wrongly", []v1alpha1.ApplicationRef{{NamePattern: "*"}}, app("any-name", nil), 0},
		{"exact name beats a glob with labels", []v1alpha1.ApplicationRef{labelsRef("web*", web), {NamePattern: "web"}}, app("web", web), 1},
		{"more label requirements win among globs", []v1alpha1.ApplicationRef{labelsRef("*", map[string]string{"tier": "web"}), labelsRef("*", web)}, app("web", web), 1},
		{"one label beats any number of literal characters", []v1alpha1.ApplicationRef{{NamePattern: "web-frontend-*"}, labelsRef("*", map[string]string{"tier": "web"})}, app("web-frontend-eu", web), 1},
		{"more literal characters win", []v1alpha1.ApplicationRef{{NamePattern: "w*"}, {NamePattern: "web-*"}}, app("web-1", nil), 1},
		{"class characters are not literal", []v1alpha1.ApplicationRef{{NamePattern: "web-[abcdef]"}, {NamePattern: "web-a*"}}, app("web-a", nil), 1},
		{"escaped characters count as literal", []v1alpha1.ApplicationRef{{NamePattern: "web-*"}, {NamePattern: `web\*-*`}}, app("web*-1", nil), 1},
		{"tie goes to the earlier ref", []v1alpha1.ApplicationRef{{NamePattern: "web-*"}, {NamePattern: "*-eu1"}}, app("web-eu1", nil), 0},
		{"label mismatch excludes", []v1alpha1.ApplicationRef{labelsRef("*", map[string]string{"tier": "db"})}, app("web", web), -1},
		{"labels on an app without labels", []v1alpha1.ApplicationRef{labelsRef("*", map[string]string{"tier": "web"})}, app("web", nil), -1},
		{"match expression In", []v1alpha1.ApplicationRef{labelsRef("*", nil, metav1.LabelSelectorRequirement{Key: "env", Operator: metav1.LabelSelectorOpIn, Values: []string{"prod", "stage"}})}, app("web", web), 0},
		{"match expression DoesNotExist", []v1alpha1.ApplicationRef{labelsRef("*", nil, metav1.LabelSelectorRequirement{Key: "env", Operator: metav1.LabelSelectorOpDoesNotExist})}, app("web", web), -1},
		{"empty selector matches everything", []v1alpha1.ApplicationRef{labelsRef("*", nil)}, app("web", nil), 0},
		{"invalid ref is skipped, valid one still matches", []v1alpha1.ApplicationRef{{NamePattern: "[web"}, {NamePattern: "*"}}, app("web", nil), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matches, _ := MatchApplications(&v1alpha1.ImageUpdaterSpec{ApplicationRefs: tt.refs}, []argocd.Application{tt.app})
			got := -1
			if len(matches) == 1 {
				got = matches[0].RefIndex
			}
			if len(matches) > 1 || got != tt.want {
				t.Fatalf("matches %+v, want ref %d", matches, tt.want)
			}
		})
	}
}

func TestLiteralChars(t *testing.T) {
	for p, want := range map[string]int{"web": 3, "web-*": 4, "w?b": 2, "[abc]x": 1, `a\*b`: 3, "[]": 0, "*": 0} {
		if got := literalChars(p); got != want {
			t.Errorf("literalChars(%q) = %d, want %d", p, got, want)
		}
	}
}

func TestInvalidRefBlocksEveryApplication(t *testing.T) {
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "w", ImageName: "nginx"}}},
		{NamePattern: "db-["},
	}}}
	apps := []argocd.Application{app("web", nil), app("other", nil)}
	targets, errs := FromImageUpdater(iu, apps)
	if len(targets) != 0 {
		t.Fatalf("targets %+v: the valid ref must not stand in while another is broken", targets)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "spec.applicationRefs[1].namePattern") {
		t.Fatalf("errs = %v", errs)
	}
	blocked := errs[1].Error()
	if !errors.Is(errs[1], ErrConfig) || !strings.Contains(blocked, "application argocd/web: not updated") || !strings.Contains(blocked, "invalid glob") {
		t.Fatalf("blocked error = %q", blocked)
	}
}

func TestRefsBlockedJoinsEveryRefError(t *testing.T) {
	a := app("web", nil)
	errs := RefsBlocked([]Match{{App: &a}}, []error{errors.New("first"), errors.New("second")})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "(first; second)") {
		t.Fatalf("RefsBlocked = %v", errs)
	}
	if got := RefsBlocked(nil, []error{errors.New("x")}); len(got) != 0 {
		t.Fatalf("RefsBlocked without matches = %v", got)
	}
}

func TestSelected(t *testing.T) {
	bad := metav1.LabelSelectorRequirement{Key: "tier", Operator: "Near"}
	apps := []argocd.Application{app("web", map[string]string{"tier": "web"}), app("web-2", nil), app("db", nil)}
	tests := []struct {
		name string
		refs []v1alpha1.ApplicationRef
		want []string
	}{
		{"valid refs select their matches once", []v1alpha1.ApplicationRef{{NamePattern: "web*"}, {NamePattern: "web"}}, []string{"web", "web-2"}},
		{"bad selector claims every name match", []v1alpha1.ApplicationRef{labelsRef("web*", nil, bad)}, []string{"web", "web-2"}},
		{"bad glob claims nothing", []v1alpha1.ApplicationRef{{NamePattern: "web["}}, nil},
		{"empty pattern claims nothing", []v1alpha1.ApplicationRef{{}}, nil},
		{"bad selector and a valid ref", []v1alpha1.ApplicationRef{{NamePattern: "db"}, labelsRef("web", nil, bad)}, []string{"db", "web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range Selected(&v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: tt.refs}}, apps) {
				if r.Namespace != "argocd" {
					t.Errorf("namespace %q", r.Namespace)
				}
				got = append(got, r.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Selected = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTargetsForErrors(t *testing.T) {
	tests := []struct {
		name string
		spec v1alpha1.ImageUpdaterSpec
		want string
	}{
		{"no images without useAnnotations", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a"}}},
			"spec.applicationRefs[0].images: required unless useAnnotations is true"},
		{"empty alias", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: []v1alpha1.ImageConfig{{ImageName: "nginx"}}}}},
			"spec.applicationRefs[0].images[0].alias: must not be empty"},
		{"annotation errors carry the ref", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", UseAnnotations: true}}},
			"spec.applicationRefs[0] (useAnnotations): configuration error: application argocd/a: annotation " + AnnotationPrefix + "image-list is missing"},
		{"bad global branch template names the global field", v1alpha1.ImageUpdaterSpec{
			WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{Branch: "main:{{.X}}"}},
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}},
			"spec.writeBackConfig.gitConfig.branch"},
		{"bad ref branch template names the ref field", v1alpha1.ImageUpdaterSpec{
			WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git"},
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", WriteBackConfig: &v1alpha1.WriteBackConfig{GitConfig: &v1alpha1.GitConfig{Branch: ":"}}, Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}},
			"spec.applicationRefs[0].writeBackConfig.gitConfig.branch"},
		{"bad global method names the global field", v1alpha1.ImageUpdaterSpec{
			WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "ftp"},
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}},
			"spec.writeBackConfig.method"},
		{"ref-level policy error names the ref field", v1alpha1.ImageUpdaterSpec{
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{Platforms: []string{"linux"}}, Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}}}},
			"spec.applicationRefs[0].commonUpdateSettings.platforms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := app("a", nil)
			targets, errs := TargetsFor(&tt.spec, 0, &a)
			if len(targets) != 0 || len(errs) == 0 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Fatalf("targets %d, errs %v; want %q", len(targets), errs, tt.want)
			}
		})
	}
}

func TestManifestOf(t *testing.T) {
	tests := []struct {
		name string
		mt   *v1alpha1.ManifestTarget
		want Manifest
		err  string
	}{
		{"none", nil, Manifest{}, ""},
		{"empty block", &v1alpha1.ManifestTarget{}, Manifest{}, ""},
		{"helm", &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{Name: "n", Tag: "t", Spec: "s"}}, Manifest{Kind: KindHelm, HelmName: "n", HelmTag: "t", HelmSpec: "s"}, ""},
		{"kustomize", &v1alpha1.ManifestTarget{Kustomize: &v1alpha1.KustomizeTarget{Name: "nginx"}}, Manifest{Kind: KindKustomize, KustomizeName: "nginx"}, ""},
		{"plugin", &v1alpha1.ManifestTarget{Plugin: &v1alpha1.PluginTarget{Name: "N", Tag: "T", Spec: "S"}}, Manifest{Kind: KindPlugin, PluginName: "N", PluginTag: "T", PluginSpec: "S"}, ""},
		{"helm and plugin", &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{}, Plugin: &v1alpha1.PluginTarget{}}, Manifest{}, "got helm and plugin"},
		{"all three", &v1alpha1.ManifestTarget{Helm: &v1alpha1.HelmTarget{}, Kustomize: &v1alpha1.KustomizeTarget{}, Plugin: &v1alpha1.PluginTarget{}}, Manifest{}, "got helm and kustomize and plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := manifestOf(tt.mt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("manifestOf = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestSourceKind(t *testing.T) {
	tests := []struct {
		name     string
		src      argocd.ApplicationSource
		detected string
		want     string
	}{
		{"helm block", argocd.ApplicationSource{Helm: &argocd.ApplicationSourceHelm{}}, "", KindHelm},
		{"chart without helm block", argocd.ApplicationSource{Chart: "web"}, "", KindHelm},
		{"kustomize block", argocd.ApplicationSource{Kustomize: &argocd.ApplicationSourceKustomize{}}, argocd.SourceTypeHelm, KindKustomize},
		{"plugin block", argocd.ApplicationSource{Plugin: &argocd.ApplicationSourcePlugin{}}, "", KindPlugin},
		{"detected helm", argocd.ApplicationSource{}, argocd.SourceTypeHelm, KindHelm},
		{"detected kustomize", argocd.ApplicationSource{}, argocd.SourceTypeKustomize, KindKustomize},
		{"detected plugin", argocd.ApplicationSource{}, argocd.SourceTypePlugin, KindPlugin},
		{"plain directory", argocd.ApplicationSource{}, "Directory", "directory"},
		{"nothing known", argocd.ApplicationSource{}, "", "directory"},
	}
	for _, tt := range tests {
		if got := SourceKind(tt.src, tt.detected); got != tt.want {
			t.Errorf("%s: SourceKind = %q, want %q", tt.name, got, tt.want)
		}
	}
}
