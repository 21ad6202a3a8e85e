package target

import (
	"errors"
	"strings"
	"testing"
)

func ann(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[AnnotationPrefix+kv[i]] = kv[i+1]
	}
	return m
}

func TestFromAnnotationsSeedGuestbook(t *testing.T) {
	a := ann(
		"image-list", "guestbook=registry.cn-hongkong.aliyuncs.com/haoshuwei24/guestbook,redis-master=registry.cn-hongkong.aliyuncs.com/haoshuwei24/redis",
		"guestbook.helm.image-name", "frontend.image.repository",
		"guestbook.helm.image-tag", "frontend.image.tag",
		"redis-master.helm.image-name", "redis.master.image.repository",
		"redis-master.helm.image-tag", "redis.master.image.tag",
		"write-back-method", "git:secret:appcenter/git-creds",
		"update-strategy", "semver",
		"redis-master.update-strategy", "alphabetical",
		"allow-tags", "regexp:^v[1-9].*",
		"ignore-tags", "*-rc, latest",
	)
	targets, errs := FromAnnotations(AppRef{Namespace: "argocd", Name: "guestbook"}, a)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(targets) != 2 {
		t.Fatalf("got %d targets", len(targets))
	}
	g, r := targets[0], targets[1]
	if g.Manifest.HelmNameParam() != "frontend.image.repository" || g.Manifest.HelmTagParam() != "frontend.image.tag" {
		t.Errorf("guestbook params: %+v", g.Manifest)
	}
	if g.WriteBack.Method != MethodGit || g.WriteBack.Credentials != "secret:appcenter/git-creds" {
		t.Errorf("write-back: %+v", g.WriteBack)
	}
	if g.Policy.Strategy != "semver" || r.Policy.Strategy != "alphabetical" {
		t.Errorf("strategies: %q %q", g.Policy.Strategy, r.Policy.Strategy)
	}
	if g.Policy.AllowTags != "regexp:^v[1-9].*" || strings.Join(g.Policy.IgnoreTags, "|") != "*-rc|latest" {
		t.Errorf("filters: %+v", g.Policy)
	}
}

func TestFromAnnotationsErrorsStopOnlyTheirImage(t *testing.T) {
	a := ann(
		"image-list", "good=nginx,bad=redis",
		"bad.allow-tags", "regexp:([",
	)
	targets, errs := FromAnnotations(AppRef{Name: "app"}, a)
	if len(targets) != 1 || targets[0].Image.Alias != "good" {
		t.Fatalf("targets: %+v", targets)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrConfig) || !strings.Contains(errs[0].Error(), `"bad"`) || !strings.Contains(errs[0].Error(), "allow-tags") {
		t.Fatalf("errs: %v", errs)
	}
}

func TestFromAnnotationsAppWideErrors(t *testing.T) {
	for name, a := range map[string]map[string]string{
		"missing list":  ann("update-strategy", "semver"),
		"bad list":      ann("image-list", "Bad Image"),
		"bad method":    ann("image-list", "nginx", "write-back-method", "svn"),
		"bad strategy":  ann("image-list", "nginx", "update-strategy", "newest"),
		"bad force":     ann("image-list", "a=nginx", "a.force-update", "maybe"),
		"bad platforms": ann("image-list", "a=nginx", "a.platforms", "linux"),
	} {
		t.Run(name, func(t *testing.T) {
			targets, errs := FromAnnotations(AppRef{Name: "app"}, a)
			if len(targets) != 0 || len(errs) == 0 {
				t.Fatalf("targets %v errs %v", targets, errs)
			}
		})
	}
}

func TestAliasWithSlashUsesUnderscoreKeys(t *testing.T) {
	a := ann("image-list", "team/app=nginx", "team_app.helm.image-tag", "app.tag", "team/app.helm.image-name", "app.repo")
	targets, errs := FromAnnotations(AppRef{Name: "x"}, a)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if targets[0].Manifest.HelmTagParam() != "app.tag" || targets[0].Manifest.HelmNameParam() != "app.repo" {
		t.Fatalf("%+v", targets[0].Manifest)
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]WriteBack{
		"":                    {Method: MethodArgoCD},
		"argocd":              {Method: MethodArgoCD},
		"git":                 {Method: MethodGit, Credentials: "repocreds"},
		"git:repocreds":       {Method: MethodGit, Credentials: "repocreds"},
		"git:secret:ns/creds": {Method: MethodGit, Credentials: "secret:ns/creds"},
		"git:secret:creds":    {Method: MethodGit, Credentials: "secret:creds"},
	} {
		got, err := ParseMethod(in)
		if err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"git:", "git:secret:", "kubectl"} {
		if _, err := ParseMethod(in); err == nil {
			t.Errorf("ParseMethod(%q) accepted", in)
		}
	}
}
