package target

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func TestTargetsForLeavesBrokenOrUnsupportedSelectionAlone(t *testing.T) {
	pr := &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{PullRequest: &v1alpha1.PullRequest{GitHub: &v1alpha1.GitHubPullRequest{}}}}
	images := func() []v1alpha1.ImageConfig {
		return []v1alpha1.ImageConfig{{Alias: "web", ImageName: "nginx"}, {Alias: "db", ImageName: "postgres"}}
	}
	for name, tc := range map[string]struct {
		spec        v1alpha1.ImageUpdaterSpec
		annotations map[string]string
		wantErr     error  // nil: targets expected
		wantField   string // in the error
	}{
		"plain": {spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: images()}}}},
		"global pull request": {
			spec:    v1alpha1.ImageUpdaterSpec{WriteBackConfig: pr, ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: images()}}},
			wantErr: ErrUnsupported, wantField: "spec.writeBackConfig.gitConfig.pullRequest",
		},
		"ref pull request": {
			spec:    v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", WriteBackConfig: pr, Images: images()}}},
			wantErr: ErrUnsupported, wantField: "spec.applicationRefs[0].writeBackConfig.gitConfig.pullRequest",
		},
		"useAnnotations ignores the object's write-back": {
			spec:        v1alpha1.ImageUpdaterSpec{WriteBackConfig: pr, ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", UseAnnotations: true}}},
			annotations: ann("image-list", "web=nginx"),
		},
		"bad branch template": {
			spec:    v1alpha1.ImageUpdaterSpec{WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{Branch: "main:update-{{.AppName"}}, ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: images()}}},
			wantErr: ErrConfig, wantField: "spec.writeBackConfig.gitConfig.branch",
		},
		"bad ref branch template": {
			spec:    v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", WriteBackConfig: &v1alpha1.WriteBackConfig{Method: "git", GitConfig: &v1alpha1.GitConfig{Branch: "main:"}}, Images: images()}}},
			wantErr: ErrConfig, wantField: "spec.applicationRefs[0].writeBackConfig.gitConfig.branch",
		},
		"branch template unused by argocd write-back": {
			spec: v1alpha1.ImageUpdaterSpec{WriteBackConfig: &v1alpha1.WriteBackConfig{GitConfig: &v1alpha1.GitConfig{Branch: "main:{{"}}, ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", Images: images()}}},
		},
		"annotation branch template": {
			spec:        v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a", UseAnnotations: true}}},
			annotations: ann("image-list", "web=nginx", "write-back-method", "git", "git-branch", "main:x-{{range}}"),
			wantErr:     ErrConfig, wantField: "git-branch",
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := app("a", nil)
			a.Annotations = tc.annotations
			targets, errs := TargetsFor(&tc.spec, 0, &a)
			if tc.wantErr == nil {
				if len(errs) > 0 || len(targets) == 0 {
					t.Fatalf("targets %d errs %v", len(targets), errs)
				}
				return
			}
			if len(targets) != 0 || len(errs) != 1 || !errors.Is(errs[0], tc.wantErr) || !strings.Contains(errs[0].Error(), tc.wantField) {
				t.Fatalf("targets %d errs %v, want one %v naming %s", len(targets), errs, tc.wantErr, tc.wantField)
			}
		})
	}
}

func TestSelectedIncludesBrokenSelections(t *testing.T) {
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "a",
		Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx", CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{UpdateStrategy: ptr("semverr")}}}}}}}
	apps := []argocd.Application{app("a", nil), app("b", nil)}
	if ts, errs := FromImageUpdater(iu, apps); len(ts) != 0 || len(errs) != 1 {
		t.Fatalf("targets %d errs %v", len(ts), errs)
	}
	got := Selected(iu, apps)
	if len(got) != 1 || got[0] != (AppRef{Namespace: "argocd", Name: "a"}) {
		t.Fatalf("selected %v", got)
	}
}

func TestValidateBranch(t *testing.T) {
	for in, ok := range map[string]bool{
		"":                               true,
		"main":                           true,
		"main:image-updater-{{.SHA256}}": true,
		":update-{{range .Images}}{{.Name}}{{end}}": true,
		"main:":             false,
		"main:{{.Unclosed":  false,
		"main:{{.Unknown}}": false,
		"main:up-{{range .Images}}{{.Tag}}{{end}}":                                                false,
		"main:up-{{range .Images}}{{.Alias}}-{{.NewTag}}{{end}}-{{.TargetKey}}-{{.AppNamespace}}": true,
		":{{end}}": false,
	} {
		if err := ValidateBranch(in); (err == nil) != ok {
			t.Errorf("ValidateBranch(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestInvalidRefLeavesTheImageUpdaterAlone(t *testing.T) {
	bad := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Equals"}}}
	iu := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{
		{NamePattern: "web-*", LabelSelectors: bad, Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}},
		{NamePattern: "*", Images: []v1alpha1.ImageConfig{{Alias: "x", ImageName: "nginx"}}},
	}}}
	apps := []argocd.Application{app("web-1", nil), app("db", nil)}
	ts, errs := FromImageUpdater(iu, apps)
	if len(ts) != 0 || len(errs) != 3 || !strings.Contains(errs[0].Error(), "spec.applicationRefs[0].labelSelectors") {
		t.Fatalf("targets %d errs %v", len(ts), errs)
	}
	// web-1 falls to the "*" ref by matching, and to the broken ref by
	// name: claimed either way.
	got := Selected(iu, apps)
	if len(got) != 2 {
		t.Fatalf("selected %v", got)
	}
	only := &v1alpha1.ImageUpdater{Spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: iu.Spec.ApplicationRefs[:1]}}
	if got := Selected(only, apps); len(got) != 1 || got[0].Name != "web-1" {
		t.Fatalf("selected by the broken ref's name pattern: %v", got)
	}
}
