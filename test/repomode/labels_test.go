package repomode_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// everyField uses every field commit templates receive; missingkey=error
// and the field names make a field that is missing fail the render.
const everyField = `app={{ .AppName }} ns={{ .AppNamespace }} apps={{ range .Apps }}{{ . }};{{ end }}
{{ range .AppChanges -}}
change app={{ .App }} ns={{ .AppNamespace }} alias={{ .Alias }} image={{ .Image }} old={{ .OldTag }} new={{ .NewTag }} file={{ .File }} revision={{ index .Labels "org.opencontainers.image.revision" }} labels={{ len .Labels }}
{{ end -}}
`

// pushLabelled pushes an image whose config carries labels.
func (e *env) pushLabelled(t *testing.T, repo, tag string, labels map[string]string) {
	t.Helper()
	img := infra.NewImage(t, infra.ImageSpec{Created: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	c.Labels = labels
	if img, err = mutate.Config(img, c); err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{remote.WithAuth(&authn.Basic{Username: e.reg.Username, Password: e.reg.Password})}
	infra.PushImage(t, e.reg.Host+"/"+repo, img, opts, tag)
}

func writeTemplate(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "commit.template")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (e *env) lastMessage(t *testing.T) string {
	t.Helper()
	return infra.GitRun(t, e.bare, "log", "-1", "--format=%B", "main")
}

// The commit message's .Labels are the new image's OCI labels (semver
// strategy: the config is fetched for the chosen image only because the
// template uses .Labels), and a template using every field renders in
// `imagepilot template` and in the real commit alike.
func TestCommitTemplateLabelsAreTheNewImagesOCILabels(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "")
		// The application's own labels must not reach .Labels.
		files["apps/guestbook.yaml"] = strings.Replace(files["apps/guestbook.yaml"], "  namespace: argocd\n",
			"  namespace: argocd\n  labels: {org.opencontainers.image.revision: app-label}\n", 1)
		return files
	})
	e.push(t, "team/guestbook", "v1")
	e.pushLabelled(t, "team/guestbook", "v2", map[string]string{
		"org.opencontainers.image.revision": "c0ffee42",
		"org.opencontainers.image.source":   "https://git.example.com/guestbook",
	})
	tmpl := writeTemplate(t, everyField)

	var out, errOut strings.Builder
	if code := cli.Execute(t.Context(), []string{"template", tmpl}, &out, &errOut); code != 0 {
		t.Fatalf("template exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"app=guestbook ns=argocd apps=guestbook;", "alias=guestbook", "file=helm/.argocd-source-guestbook.yaml", "labels=2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("template output lacks %q:\n%s", want, out.String())
		}
	}

	code, stdout, stderr := e.imagepilot(t, "run", "--once", "--git-commit-message-path", tmpl)
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
	}
	msg := strings.TrimSpace(e.lastMessage(t))
	want := "app=guestbook ns=argocd apps=guestbook;\nchange app=guestbook ns=argocd alias=guestbook image=" + e.reg.Host +
		"/team/guestbook old=v1 new=v2 file=helm/.argocd-source-guestbook.yaml revision=c0ffee42 labels=2"
	if msg != want {
		t.Errorf("commit message\n%q\nwant\n%q", msg, want)
	}

	// Steady state: nothing moves, so no manifest or config is fetched.
	e.reg.Proxy.Reset()
	if code, stdout, stderr = e.imagepilot(t, "run", "--once", "--git-commit-message-path", tmpl); code != 0 {
		t.Fatalf("second run exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := e.reg.Proxy.Count(infra.KindManifest, "") + e.reg.Proxy.Count(infra.KindBlob, ""); n != 0 {
		t.Errorf("steady state made %d manifest/blob request(s): %v", n, e.reg.Proxy.Counts())
	}
}

// A template without .Labels costs no manifest or config request for the
// semver strategy, even when an image moves.
func TestCommitTemplateWithoutLabelsFetchesNoConfig(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")
	e.pushLabelled(t, "team/guestbook", "v2", map[string]string{"org.opencontainers.image.revision": "c0ffee42"})
	e.reg.Proxy.Reset()
	code, stdout, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(e.lastMessage(t), "updates image") {
		t.Fatalf("no update commit: %q", e.lastMessage(t))
	}
	if n := e.reg.Proxy.Count(infra.KindManifest, "GET") + e.reg.Proxy.Count(infra.KindBlob, ""); n != 0 {
		t.Errorf("default template made %d manifest GET/blob request(s): %v", n, e.reg.Proxy.Counts())
	}
}

// newest-build reads every candidate's config already: the labels come
// from that, with no request of their own (one manifest and one config
// fetch per image, whatever the template).
func TestCommitTemplateLabelsNewestBuildCostNoExtraRequest(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		return chart(e, "    argocd-image-updater.argoproj.io/guestbook.update-strategy: newest-build\n")
	})
	e.push(t, "team/guestbook", "v1")
	e.pushLabelled(t, "team/guestbook", "v2", map[string]string{"org.opencontainers.image.revision": "c0ffee42"})
	tmpl := writeTemplate(t, `{{ range .AppChanges }}{{ .NewTag }} {{ index .Labels "org.opencontainers.image.revision" }}{{ end }}`)
	e.reg.Proxy.Reset()
	code, stdout, stderr := e.imagepilot(t, "run", "--once", "--git-commit-message-path", tmpl)
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, stdout, stderr)
	}
	if msg := strings.TrimSpace(e.lastMessage(t)); msg != "v2 c0ffee42" {
		t.Errorf("commit message %q", msg)
	}
	counts := e.reg.Proxy.Counts()
	if counts["GET manifest"] != 2 || counts["GET blob"] != 2 {
		t.Errorf("want one manifest and one config fetch per image: %v", counts)
	}
}
