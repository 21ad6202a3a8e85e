package target

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestAnnotationKeys reads every annotation key of the compatibility table
// (docs: compat.md section 3), app-wide and per alias, and checks the
// alias-specific key wins.
func TestAnnotationKeys(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		// check reads the field the key sets from the "web" target.
		check func(Target) any
		want  any
	}{
		{"update-strategy app-wide", []string{"update-strategy", "alphabetical"}, func(t Target) any { return t.Policy.Strategy }, "alphabetical"},
		{"update-strategy per alias wins", []string{"update-strategy", "alphabetical", "web.update-strategy", "newest-build"}, func(t Target) any { return t.Policy.Strategy }, "newest-build"},
		{"update-strategy unset is empty (policy default)", nil, func(t Target) any { return t.Policy.Strategy }, ""},
		{"allow-tags app-wide", []string{"allow-tags", "regexp:^1\\."}, func(t Target) any { return t.Policy.AllowTags }, "regexp:^1\\."},
		{"allow-tags per alias wins", []string{"allow-tags", "regexp:^1", "web.allow-tags", "any"}, func(t Target) any { return t.Policy.AllowTags }, "any"},
		{"ignore-tags list, blanks dropped", []string{"ignore-tags", " *-rc ,, latest ,"}, func(t Target) any { return t.Policy.IgnoreTags }, []string{"*-rc", "latest"}},
		{"ignore-tags per alias replaces the app-wide list", []string{"ignore-tags", "a", "web.ignore-tags", "b"}, func(t Target) any { return t.Policy.IgnoreTags }, []string{"b"}},
		{"ignore-tags empty per alias clears the app-wide list", []string{"ignore-tags", "a", "web.ignore-tags", ""}, func(t Target) any { return t.Policy.IgnoreTags }, []string(nil)},
		{"force-update true", []string{"force-update", "true"}, func(t Target) any { return t.ForceUpdate }, true},
		{"force-update per alias false wins", []string{"force-update", "true", "web.force-update", "false"}, func(t Target) any { return t.ForceUpdate }, false},
		{"force-update empty is false", []string{"force-update", " "}, func(t Target) any { return t.ForceUpdate }, false},
		{"force-update 1 is a boolean", []string{"web.force-update", "1"}, func(t Target) any { return t.ForceUpdate }, true},
		{"pull-secret app-wide", []string{"pull-secret", "pullsecret:argocd/regcred"}, func(t Target) any { return t.PullSecret }, "pullsecret:argocd/regcred"},
		{"pull-secret per alias wins", []string{"pull-secret", "env:A", "web.pull-secret", "ext:/bin/creds"}, func(t Target) any { return t.PullSecret }, "ext:/bin/creds"},
		{"platforms per alias", []string{"web.platforms", "linux/amd64, linux/arm64/v8"}, func(t Target) any { return t.Policy.Platforms }, []string{"linux/amd64", "linux/arm64/v8"}},
		{"helm.image-name per alias", []string{"web.helm.image-name", "web.image.repository"}, func(t Target) any { return t.Manifest.HelmNameParam() }, "web.image.repository"},
		{"helm.image-name app-wide is not read", []string{"helm.image-name", "x.repository"}, func(t Target) any { return t.Manifest.HelmNameParam() }, "image.name"},
		{"helm.image-tag per alias", []string{"web.helm.image-tag", "web.image.tag"}, func(t Target) any { return t.Manifest.HelmTagParam() }, "web.image.tag"},
		{"helm.image-tag app-wide is not read", []string{"helm.image-tag", "x.tag"}, func(t Target) any { return t.Manifest.HelmTagParam() }, "image.tag"},
		{"helm.image-spec per alias", []string{"web.helm.image-spec", "web.image"}, func(t Target) any { return t.Manifest.HelmSpec }, "web.image"},
		{"kustomize.image-name per alias", []string{"web.kustomize.image-name", "nginx"}, func(t Target) any { return t.Manifest.KustomizeImageName(t.Image) }, "nginx"},
		{"kustomize.image-name defaults to the image", nil, func(t Target) any { return t.Manifest.KustomizeImageName(t.Image) }, "reg.example/team/web"},
		{"write-back-method git:secret", []string{"write-back-method", "git:secret:ns/creds"}, func(t Target) any { return t.WriteBack.Credentials }, "secret:ns/creds"},
		{"write-back-method default argocd", nil, func(t Target) any { return t.WriteBack.Method }, MethodArgoCD},
		{"write-back-target", []string{"write-back-method", "git", "write-back-target", "kustomization:../base"}, func(t Target) any { return t.WriteBack.Target }, "kustomization:../base"},
		{"git-branch with template", []string{"write-back-method", "git", "git-branch", "main:image-updater-{{.SHA256}}"}, func(t Target) any { return t.WriteBack.Branch }, "main:image-updater-{{.SHA256}}"},
		{"git-repository", []string{"write-back-method", "git", "git-repository", "https://git.example/deploy.git"}, func(t Target) any { return t.WriteBack.Repository }, "https://git.example/deploy.git"},
		{"values are trimmed", []string{"web.helm.image-tag", "  web.tag\n"}, func(t Target) any { return t.Manifest.HelmTag }, "web.tag"},
		{"constraint from the image list", nil, func(t Target) any { return t.Policy.Constraint }, "~1.2"},
		{"other alias's key is not read", []string{"db.update-strategy", "alphabetical"}, func(t Target) any { return t.Policy.Strategy }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ann(append([]string{"image-list", "web=reg.example/team/web:~1.2, db=postgres"}, tt.kv...)...)
			targets, errs := FromAnnotations(AppRef{Namespace: "argocd", Name: "app"}, a)
			if len(errs) > 0 || len(targets) != 2 {
				t.Fatalf("FromAnnotations = %d targets, %v", len(targets), errs)
			}
			if got := tt.check(targets[0]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestAnnotationErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		// want are substrings of the one error; perImage says whether the
		// other image still yields a target.
		want     []string
		perImage bool
	}{
		{"missing image list", []string{"update-strategy", "semver"}, []string{"application argocd/app", AnnotationPrefix + "image-list is missing"}, false},
		{"bad image list item", []string{"image-list", "web=nginx,Bad"}, []string{AnnotationPrefix + "image-list", "item 2"}, false},
		{"bad write-back method", []string{"image-list", "web=nginx", "write-back-method", "git:ssh"}, []string{AnnotationPrefix + "write-back-method", `"git:ssh"`}, false},
		{"bad branch template with git", []string{"image-list", "web=nginx", "write-back-method", "git", "git-branch", "main:{{.Nope}}"}, []string{AnnotationPrefix + "git-branch", "Nope"}, false},
		{"bad force-update names the key", []string{"image-list", "web=nginx,db=redis", "web.force-update", "yes please"}, []string{`image "web"`, "force-update", `"yes please"`}, true},
		{"bad ignore-tags names the key", []string{"image-list", "web=nginx,db=redis", "web.ignore-tags", "["}, []string{`image "web"`, "ignore-tags"}, true},
		{"bad app-wide strategy fails every image", []string{"image-list", "web=nginx,db=redis", "update-strategy", "latest-ish"}, []string{"update-strategy", "unknown strategy"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets, errs := FromAnnotations(AppRef{Namespace: "argocd", Name: "app"}, ann(tt.kv...))
			if tt.perImage && (len(targets) != 1 || targets[0].Image.Alias != "db") {
				t.Errorf("targets %+v, want only db", targets)
			}
			if !tt.perImage && len(targets) != 0 {
				t.Errorf("targets %+v, want none", targets)
			}
			if len(errs) == 0 || (!tt.perImage && len(errs) != 1 && !strings.Contains(tt.name, "every image")) {
				t.Fatalf("errs = %v", errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("error %q does not contain %q", errs[0], w)
				}
			}
			if !errors.Is(errs[0], ErrConfig) {
				t.Errorf("error %v is not ErrConfig", errs[0])
			}
		})
	}
}

func TestBranchTemplateIgnoredWithArgoCDWriteBack(t *testing.T) {
	// The branch setting only matters to git write-back; with argocd it is
	// left unchecked, as upstream does.
	targets, errs := FromAnnotations(AppRef{Name: "app"}, ann("image-list", "nginx", "git-branch", ":{{.Nope}}"))
	if len(errs) != 0 || len(targets) != 1 || targets[0].WriteBack.Branch != ":{{.Nope}}" {
		t.Fatalf("targets %+v errs %v", targets, errs)
	}
}

func TestHasImageList(t *testing.T) {
	for name, tc := range map[string]struct {
		a    map[string]string
		want bool
	}{
		"present":               {ann("image-list", "nginx"), true},
		"present but empty":     {ann("image-list", ""), true},
		"other keys only":       {ann("update-strategy", "semver"), false},
		"without prefix":        {map[string]string{"image-list": "nginx"}, false},
		"other prefix":          {map[string]string{"image-updater.example/image-list": "nginx"}, false},
		"no annotations at all": {nil, false},
	} {
		if got := HasImageList(tc.a); got != tc.want {
			t.Errorf("%s: HasImageList = %v, want %v", name, got, tc.want)
		}
	}
}

func TestEmptyImageListYieldsNothing(t *testing.T) {
	targets, errs := FromAnnotations(AppRef{Name: "app"}, ann("image-list", " , "))
	if len(targets) != 0 || len(errs) != 0 {
		t.Fatalf("targets %v errs %v", targets, errs)
	}
}

func TestValidateBranch(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		{"main", ""},
		{"", ""},
		{"main:image-updater-{{.SHA256}}", ""},
		{":update-{{range .Images}}{{.Name}}-{{.NewTag}}{{end}}", ""},
		{"base:{{.AppNamespace}}/{{.AppName}}/{{.TargetKey}}", ""},
		{"base:{{(index .Images 0).Alias}}-{{(index .Images 0).OldTag}}", ""},
		{"main:", "template is empty"},
		{"main: ", "template is empty"},
		{"main:{{.SHA256", "write branch template"},
		{"main:{{.Unknown}}", "Unknown"},
		{"main:{{range .Images}}{{.Tag}}{{end}}", "Tag"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := ValidateBranch(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateBranch(%q) = %v", tt.in, err)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ValidateBranch(%q) = %v, want ErrConfig with %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestParseMethodErrorsListTheForms(t *testing.T) {
	for _, in := range []string{"Git", "argocd:x", "git:secret", "git:repocreds:x", " git"} {
		_, err := ParseMethod(in)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "git:secret:[namespace/]name") {
			t.Errorf("ParseMethod(%q) = %v", in, err)
		}
	}
}

func TestAppRefString(t *testing.T) {
	if got := (AppRef{Namespace: "argocd", Name: "web"}).String(); got != "argocd/web" {
		t.Errorf("String = %q", got)
	}
	if got := (AppRef{Name: "web"}).String(); got != "web" {
		t.Errorf("String without namespace = %q", got)
	}
}
