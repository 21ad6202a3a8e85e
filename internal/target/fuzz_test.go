package target

import (
	"errors"
	"strings"
	"testing"
)

// FuzzFromAnnotations feeds an arbitrary image list and one arbitrary
// value for each per-image key: every target returned belongs to the list,
// every error is a configuration error naming the application, and the
// two together never exceed the list.
func FuzzFromAnnotations(f *testing.F) {
	f.Add("web=nginx:1.x, db=redis", "semver", "regexp:^v", "true", "git:secret:ns/n", "main:{{.SHA256}}")
	f.Add("a=ghcr.io/x/y", "digest", "any", "maybe", "svn", ":")
	f.Add(",,", "", "regexp:([", "", "git", "base:{{.Nope}}")
	f.Fuzz(func(t *testing.T, list, strategy, allow, force, method, branch string) {
		a := ann("image-list", list, "update-strategy", strategy, "allow-tags", allow,
			"web.force-update", force, "write-back-method", method, "git-branch", branch)
		targets, errs := FromAnnotations(AppRef{Namespace: "argocd", Name: "fz"}, a)
		for _, err := range errs {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error is not a configuration error: %v", err)
			}
			if !strings.Contains(err.Error(), "application argocd/fz") {
				t.Fatalf("error does not name the application: %v", err)
			}
		}
		for _, tg := range targets {
			if tg.App.Name != "fz" || tg.Image.Name == "" || !strings.Contains(list, strings.TrimSpace(tg.Image.Name)) {
				t.Fatalf("target %+v not from the list %q", tg, list)
			}
			if tg.WriteBack.Method != MethodArgoCD && tg.WriteBack.Method != MethodGit {
				t.Fatalf("write-back method %q", tg.WriteBack.Method)
			}
		}
		if len(targets)+len(errs) > strings.Count(list, ",")+1 {
			t.Fatalf("%d targets and %d errors for a list of at most %d items", len(targets), len(errs), strings.Count(list, ",")+1)
		}
	})
}

// FuzzValidateBranch checks that a branch setting without a template part
// is always accepted and that an accepted template renders.
func FuzzValidateBranch(f *testing.F) {
	for _, s := range []string{"main", "main:{{.SHA256}}", ":{{range .Images}}{{.NewTag}}{{end}}", "a:{{", "x:{{.Nope}}", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateBranch(s)
		if !strings.Contains(s, ":") && err != nil {
			t.Fatalf("ValidateBranch(%q) rejected a plain branch: %v", s, err)
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Fatalf("ValidateBranch(%q) error is not ErrConfig: %v", s, err)
		}
	})
}

// FuzzParseMethod checks that ParseMethod accepts exactly the documented
// forms.
func FuzzParseMethod(f *testing.F) {
	for _, s := range []string{"", "argocd", "git", "git:repocreds", "git:secret:ns/n", "git:secret:", "git:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		wb, err := ParseMethod(s)
		documented := s == "" || s == "argocd" || s == "git" || s == "git:repocreds" ||
			(strings.HasPrefix(s, "git:secret:") && len(s) > len("git:secret:"))
		if (err == nil) != documented {
			t.Fatalf("ParseMethod(%q) = %+v, %v", s, wb, err)
		}
		if err == nil && wb.Method == MethodGit && wb.Credentials == "" {
			t.Fatalf("git method without credentials for %q", s)
		}
	})
}
