// Package repomode_test runs `imagepilot run --repo` and `imagepilot plan`
// through the CLI against a real docker-registry (Basic auth) and a real
// git-http-backend server (Basic auth).
package repomode_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

type env struct {
	reg      *infra.Registry
	git      *infra.GitHTTPServer
	repoURL  string
	bare     string
	conf     string
	cacheDir string
}

func setup(t *testing.T, files func(e *env) map[string]string) *env {
	t.Helper()
	return setupWith(t, infra.RegistryOptions{Auth: infra.RegistryBasic}, files)
}

func setupWith(t *testing.T, opts infra.RegistryOptions, files func(e *env) map[string]string) *env {
	t.Helper()
	e := &env{}
	e.reg = infra.StartRegistry(t, opts)
	e.git = infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: "git", Password: "gitpw"})
	e.bare = e.git.RepoPath("gitops.git")
	e.repoURL = e.git.RepoURL("gitops.git")
	infra.GitBareRepoFromFiles(t, e.bare, "main", files(e))
	e.conf = filepath.Join(t.TempDir(), "registries.conf")
	conf := fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n  credentials: env:TEST_REGISTRY_CREDS\n", e.reg.Host, e.reg.URL)
	if err := os.WriteFile(e.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TEST_REGISTRY_CREDS", e.reg.Username+":"+e.reg.Password)
	t.Setenv("TEST_GIT_PASSWORD", "gitpw")
	e.cacheDir = t.TempDir()
	return e
}

func (e *env) push(t *testing.T, repo string, tags ...string) {
	t.Helper()
	created := map[string]time.Time{}
	for i, tag := range tags {
		created[tag] = time.Date(2026, 1, 1, i, 0, 0, 0, time.UTC)
	}
	opts := []remote.Option{remote.WithAuth(&authn.Basic{Username: e.reg.Username, Password: e.reg.Password})}
	infra.PushTags(t, e.reg.Host+"/"+repo, created, false, opts)
}

// imagepilot runs the CLI and returns its exit code, stdout and stderr.
func (e *env) imagepilot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	args = append(args, e.flags()...)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// flags are the repo-mode flags pointing at the test servers.
func (e *env) flags() []string {
	return []string{"--repo", e.repoURL, "--registries-conf-path", e.conf,
		"--git-username", "git", "--git-password-env", "TEST_GIT_PASSWORD", "--git-cache-dir", e.cacheDir,
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com"}
}

// file returns a file of the main branch, byte for byte.
func (e *env) file(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir", e.bare, "show", "main:"+path).Output()
	if err != nil {
		t.Fatalf("git show main:%s: %v", path, err)
	}
	return string(out)
}

func (e *env) head(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(infra.GitRun(t, e.bare, "rev-parse", "main"))
}

func guestbookApp(repoURL, registry, extraAnnotations string) string {
	return infra.GuestbookApplication(repoURL, registry, "frontend.", extraAnnotations)
}

const valuesYAML = `# front end
frontend:
  image:
    repository: %s/team/guestbook
    tag: v1   # managed by imagepilot
  replicas: 2
`

func chart(e *env, extraAnnotations string) map[string]string {
	return map[string]string{
		"helm/Chart.yaml":     "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":    fmt.Sprintf(valuesYAML, e.reg.Host),
		"apps/guestbook.yaml": guestbookApp(e.repoURL, e.reg.Host, extraAnnotations),
	}
}

func TestRunRepoCommitsOverrideFileAndIsIdempotent(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2", "v3")

	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	file := e.file(t, "helm/.argocd-source-guestbook.yaml")
	want := fmt.Sprintf("helm:\n  parameters:\n  - name: frontend.image.repository\n    value: %s/team/guestbook\n    forcestring: true\n  - name: frontend.image.tag\n    value: v3\n    forcestring: true\n", e.reg.Host)
	if file != want {
		t.Fatalf("override file:\n%s\nwant:\n%s", file, want)
	}
	msg := infra.GitRun(t, e.bare, "log", "-1", "--format=%an <%ae>%n%B", "main")
	if !strings.Contains(msg, "imagepilot-test <bot@example.com>") || !strings.Contains(msg, "build: automatic update of guestbook") ||
		!strings.Contains(msg, "updates image "+e.reg.Host+"/team/guestbook tag 'v1' to 'v3'") {
		t.Fatalf("commit message:\n%s", msg)
	}
	if !strings.Contains(stderr, "Processing results: applications=1 images_considered=1 images_skipped=0 images_updated=1 errors=0") {
		t.Errorf("summary line missing from log:\n%s", stderr)
	}

	// Second cycle: nothing new, no commit.
	head := e.head(t)
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("second run exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.head(t); got != head {
		t.Fatalf("second cycle committed %s", got)
	}

	// A new tag moves it again, in one more commit.
	e.push(t, "team/guestbook", "v4")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("third run exit %d\n%s\n%s", code, out, stderr)
	}
	if n := strings.Count(infra.GitRun(t, e.bare, "log", "--format=%s", "main"), "automatic update"); n != 2 {
		t.Fatalf("want 2 imagepilot commits, got %d", n)
	}
	if !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v4") {
		t.Fatal("v4 not written")
	}
}

func TestPlanPrintsDiffAndChangesNothing(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "plan")
	if code != 0 {
		t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"UPDATE argocd/guestbook guestbook: v1 -> v2", "+++ b/helm/.argocd-source-guestbook.yaml", "+    value: v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if got := e.head(t); got != head {
		t.Fatalf("plan committed %s", got)
	}
}

func TestHelmValuesTargetEditsOnlyTheTag(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		return chart(e, "    argocd-image-updater.argoproj.io/write-back-target: helmvalues\n")
	})
	e.push(t, "team/guestbook", "v1", "v2")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	got := e.file(t, "helm/values.yaml")
	want := strings.Replace(fmt.Sprintf(valuesYAML, e.reg.Host), "tag: v1   #", "tag: v2   #", 1)
	if got != want {
		t.Fatalf("values.yaml:\n%s\nwant:\n%s", got, want)
	}
}

func TestBadAnnotationStopsOnlyItsApplication(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "")
		bad := strings.NewReplacer("name: guestbook\n", "name: broken\n", "image-list: guestbook=", "image-list: Bad Image=").Replace(guestbookApp(e.repoURL, e.reg.Host, ""))
		files["apps/broken.yaml"] = bad
		files["apps/not-yaml.yaml"] = "kind: Application\n  : : [\n"
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != cli.ExitFailedCycle {
		t.Fatalf("exit %d, want %d (cycle with errors)\n%s\n%s", code, cli.ExitFailedCycle, out, stderr)
	}
	if !strings.Contains(stderr, "broken") || !strings.Contains(stderr, "not-yaml.yaml") {
		t.Errorf("errors do not name the broken items:\n%s", stderr)
	}
	if !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v2") {
		t.Fatal("the valid application was not updated")
	}
}

func TestRegistryFailureNeverUpdates(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")
	t.Setenv("TEST_REGISTRY_CREDS", "user:wrong-password")
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != cli.ExitFailedCycle {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, cli.ExitFailedCycle, out, stderr)
	}
	if strings.Contains(stderr, "wrong-password") || strings.Contains(out, "wrong-password") {
		t.Fatal("a credential leaked into the output")
	}
	if got := e.head(t); got != head {
		t.Fatalf("a failed listing led to commit %s", got)
	}
}
