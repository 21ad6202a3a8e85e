package repomode_test

import (
	"fmt"
	"strings"
	"testing"
)

// otherRepoApp is an annotated Application deployed from another repository.
func otherRepoApp(name, repoURL, registry string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %s
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=%s/team/guestbook
spec:
  source: {repoURL: '%s', path: helm}
`, name, registry, repoURL)
}

// A repoURL spelled differently from --repo still names this repository;
// an annotated application of another repository is reported, with the
// --source-url hint, in the log and in plan's output.
func TestRepoURLSpellingsAndSkippedApplications(t *testing.T) {
	var spelled, other string
	e := setup(t, func(e *env) map[string]string {
		// http://127.0.0.1:PORT/gitops.git as HTTP://127.0.0.1:PORT//gitops.git/
		spelled = strings.Replace(strings.Replace(e.repoURL, "http://", "HTTP://", 1), "/gitops.git", "//gitops.git/", 1)
		other = strings.Replace(e.repoURL, "gitops.git", "other.git", 1)
		files := chart(e, "")
		files["apps/guestbook.yaml"] = guestbookApp(spelled, e.reg.Host, "")
		files["apps/other.yaml"] = otherRepoApp("elsewhere", other, e.reg.Host)
		files["apps/plain.yaml"] = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: plain}\nspec:\n  source: {repoURL: '" + other + "', path: x}\n"
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")

	code, out, stderr := e.imagepilot(t, "plan")
	if code != 0 {
		t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"1 application(s)",
		"UPDATE argocd/guestbook guestbook: v1 -> v2",
		"skipped application argocd/elsewhere (apps/other.yaml): not managed: its source " + other + " is not this repository",
		"add --source-url " + other,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "plain") {
		t.Errorf("an application without image-updater configuration was reported:\n%s", out)
	}
	if !strings.Contains(stderr, "level=WARN") || !strings.Contains(stderr, "application=argocd/elsewhere") {
		t.Errorf("no WARN for the skipped application:\n%s", stderr)
	}

	// A check naming it says why it is not managed.
	code, out, stderr = e.imagepilot(t, "trigger", "--application", "elsewhere")
	if code == 0 || !strings.Contains(out+stderr, "not found") || !strings.Contains(out+stderr, "skipped application argocd/elsewhere") {
		t.Fatalf("trigger of a skipped application: exit %d\n%s\n%s", code, out, stderr)
	}

	// --source-url brings it in.
	code, out, stderr = e.imagepilot(t, "plan", "--source-url", other)
	if code != 0 || !strings.Contains(out, "2 application(s)") || strings.Contains(out, "skipped application") {
		t.Fatalf("plan --source-url exit %d\n%s\n%s", code, out, stderr)
	}
}

// A password in --repo (or IMAGEPILOT_REPO) is used, but no message shows it.
func TestRepoURLPasswordNeverShown(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")
	t.Setenv("IMAGEPILOT_GIT_PASSWORD", "")
	withPW := func(pw string) string { return strings.Replace(e.repoURL, "http://", "http://git:"+pw+"@", 1) }
	common := []string{"--registries-conf-path", e.conf, "--git-cache-dir", e.cacheDir,
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com"}

	// Wrong password: the cycle fails, naming the repository without it.
	const wrong = "Wr0ngSecretPW"
	code, out, stderr := e.imagepilotRaw(t, append([]string{"run", "--once", "--repo", withPW(wrong)}, common...)...)
	if code == 0 {
		t.Fatalf("wrong password accepted\n%s\n%s", out, stderr)
	}
	if !strings.Contains(out+stderr, "opening repository") {
		t.Fatalf("no 'opening repository' message:\n%s\n%s", out, stderr)
	}
	if strings.Contains(out+stderr, wrong) {
		t.Fatalf("password printed:\n%s\n%s", out, stderr)
	}

	// The same through IMAGEPILOT_REPO.
	t.Setenv("IMAGEPILOT_REPO", withPW(wrong))
	code, out, stderr = e.imagepilotRaw(t, append([]string{"run", "--once"}, common...)...)
	if code == 0 || strings.Contains(out+stderr, wrong) {
		t.Fatalf("IMAGEPILOT_REPO: exit %d, password printed or accepted:\n%s\n%s", code, out, stderr)
	}
	t.Setenv("IMAGEPILOT_REPO", "")

	// Right password: it works, and plan and the log never show it.
	code, out, stderr = e.imagepilotRaw(t, append([]string{"plan", "--loglevel", "debug", "--repo", withPW("gitpw")}, common...)...)
	if code != 0 || !strings.Contains(out, "v1 -> v2") {
		t.Fatalf("plan with the password in the URL: exit %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "gitpw") {
		t.Fatalf("password printed:\n%s\n%s", out, stderr)
	}
	code, out, stderr = e.imagepilotRaw(t, append([]string{"run", "--once", "--loglevel", "debug", "--repo", withPW("gitpw")}, common...)...)
	if code != 0 || strings.Contains(out+stderr, "gitpw") {
		t.Fatalf("run: exit %d or password printed\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v2") {
		t.Fatal("v2 not committed")
	}
}

// A local --repo path matches a file:// repoURL spelled another way.
func TestLocalRepoPathMatchesFileURL(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "")
		files["apps/guestbook.yaml"] = guestbookApp("file://localhost"+strings.TrimSuffix(e.bare, ".git")+"/", e.reg.Host, "")
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")
	code, out, stderr := e.imagepilotRaw(t, "plan", "--repo", e.bare, "--registries-conf-path", e.conf, "--git-cache-dir", e.cacheDir)
	if code != 0 || !strings.Contains(out, "1 application(s)") || !strings.Contains(out, "v1 -> v2") {
		t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
	}
}
