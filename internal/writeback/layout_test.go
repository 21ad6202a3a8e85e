package writeback

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func tgt(t *testing.T, ns, app, wbTarget, sourcePath string) target.Target {
	t.Helper()
	spec, err := imagespec.Parse("web=registry.example.com/team/web")
	if err != nil {
		t.Fatal(err)
	}
	return target.Target{App: target.AppRef{Namespace: ns, Name: app}, Image: spec,
		WriteBack: target.WriteBack{Method: target.MethodGit, Target: wbTarget}, Source: target.Source{Path: sourcePath}}
}

func TestFileFor(t *testing.T) {
	l := Layout{ControllerNamespace: "argocd"}
	tests := []struct {
		ns, target, path string
		want             File
	}{
		{"argocd", "", "helm", File{FileOverride, "helm/.argocd-source-guestbook.yaml"}},
		{"team-a", "", "helm", File{FileOverride, "helm/.argocd-source-team-a_guestbook.yaml"}},
		{"", "", ".", File{FileOverride, ".argocd-source-guestbook.yaml"}},
		{"argocd", "kustomization", "overlays/prod", File{FileKustomization, "overlays/prod/kustomization.yaml"}},
		{"argocd", "kustomization:../base", "overlays/prod", File{FileKustomization, "overlays/base/kustomization.yaml"}},
		{"argocd", "helmvalues", "chart", File{FileHelmValues, "chart/values.yaml"}},
		{"argocd", "helmvalues:/envs/prod.yaml", "chart", File{FileHelmValues, "envs/prod.yaml"}},
		{"argocd", "custom/override.yaml", "chart", File{FileOverride, "chart/custom/override.yaml"}},
	}
	for _, tt := range tests {
		got, err := l.FileFor(tgt(t, tt.ns, "guestbook", tt.target, tt.path))
		if err != nil || got != tt.want {
			t.Errorf("FileFor(%q, %q, %q) = %+v, %v; want %+v", tt.ns, tt.target, tt.path, got, err, tt.want)
		}
	}
}

func TestFileForRefusesEscapes(t *testing.T) {
	l := Layout{}
	for _, bad := range []string{"helmvalues:../../../etc/passwd", "kustomization:/../x", "../../outside.yaml", "helmvalues:/a/../../b.yaml"} {
		if _, err := l.FileFor(tgt(t, "", "app", bad, "chart")); !errors.Is(err, ErrTarget) {
			t.Errorf("FileFor(%q) error = %v, want ErrTarget", bad, err)
		}
	}
}

func TestValueForms(t *testing.T) {
	for in, want := range map[string][2]string{
		"v1":            {"v1", ""},
		"v1@sha256:abc": {"v1", "sha256:abc"},
		"sha256:abc":    {"", "sha256:abc"},
	} {
		tag, digest := imagespec.SplitTagValue(in)
		if tag != want[0] || digest != want[1] {
			t.Errorf("imagespec.SplitTagValue(%q) = %q, %q", in, tag, digest)
		}
		if got := (Value{Tag: tag, Digest: digest}).TagValue(); got != in {
			t.Errorf("TagValue round trip of %q = %q", in, got)
		}
	}
	if v := splitRef("registry:5000/team/app:1.2@sha256:x"); v.Name != "registry:5000/team/app" || v.Tag != "1.2" || v.Digest != "sha256:x" {
		t.Errorf("splitRef: %+v", v)
	}
	if v := splitRef("registry:5000/team/app"); v.Name != "registry:5000/team/app" || v.Tag != "" {
		t.Errorf("splitRef without tag: %+v", v)
	}
}

func TestCommitTemplates(t *testing.T) {
	tmpl, err := ParseCommitTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := RenderCommit(tmpl, []Change{
		{App: "b", Image: "reg/x", OldTag: "1", NewTag: "2"},
		{App: "a", Image: "reg/y", OldTag: "v1", NewTag: "v2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "build: automatic update of 2 applications\n\nupdates image reg/x tag '1' to '2' in b\nupdates image reg/y tag 'v1' to 'v2' in a\n"
	if msg != want {
		t.Fatalf("message:\n%q\nwant\n%q", msg, want)
	}
	// One application: upstream's message, to the letter.
	one, err := RenderCommit(tmpl, []Change{
		{App: "a", Image: "reg/x", OldTag: "1", NewTag: "2"},
		{App: "a", Image: "reg/y", OldTag: "v1", NewTag: "v2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "build: automatic update of a\n\nupdates image reg/x tag '1' to '2'\nupdates image reg/y tag 'v1' to 'v2'\n"; one != want {
		t.Fatalf("one application:\n%q\nwant\n%q", one, want)
	}
	// Fifty applications: the subject stays short.
	var many []Change
	for i := range 50 {
		many = append(many, Change{App: fmt.Sprintf("app-%02d", i), Image: "reg/x", OldTag: "1", NewTag: "2"})
	}
	msg, err = RenderCommit(tmpl, many)
	if err != nil {
		t.Fatal(err)
	}
	if subject, _, _ := strings.Cut(msg, "\n"); subject != "build: automatic update of 50 applications" || !strings.Contains(msg, "in app-49\n") {
		t.Fatalf("fifty applications: subject %q in\n%s", subject, msg)
	}
	if _, err := ParseCommitTemplate("{{ .Nope "); err == nil {
		t.Fatal("broken template accepted")
	}
	bad, _ := ParseCommitTemplate("{{ .Missing }}")
	if _, err := RenderCommit(bad, nil); err == nil {
		t.Fatal("unknown field rendered")
	}
}

func FuzzFileFor(f *testing.F) {
	for _, s := range []string{"", "kustomization", "kustomization:../x", "helmvalues:/a/b.yaml", "../../x", "/.."} {
		f.Add(s, "apps/web")
	}
	f.Fuzz(func(t *testing.T, wbTarget, sourcePath string) {
		tg := tgt(t, "", "app", wbTarget, sourcePath)
		got, err := Layout{}.FileFor(tg)
		if err != nil {
			return
		}
		if strings.HasPrefix(got.Path, "/") || climbsAboveRoot(got.Path) || strings.Contains(got.Path, "\x00") {
			t.Fatalf("FileFor(%q, %q) = %q escapes the repository", wbTarget, sourcePath, got.Path)
		}
	})
}

func TestUnreachableRepositoryFailsEveryDecision(t *testing.T) {
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tg := tgt(t, "argocd", "web", "", "chart")
	tg.Source.RepoURL = filepath.Join(t.TempDir(), "missing.git")
	d := updater.Decision{Item: updater.Item{Target: tg, Current: updater.Current{Tag: "1", Live: true}}, Action: updater.ActionUpdate, NewTag: "2"}
	res := (&GitWriter{Git: mgr}).Apply(context.Background(), []updater.Decision{d})
	if len(res) != 1 || res[0].Err == nil || len(res[0].Applied) != 1 {
		t.Fatalf("results: %+v", res)
	}
	if failed := FailedApps(res); !failed[tg.App] {
		t.Fatalf("FailedApps = %v", failed)
	}
}
