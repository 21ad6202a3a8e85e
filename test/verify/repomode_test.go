package verify

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

func gitopsFiles(registry string) map[string]string {
	app := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: guestbook=%[1]s/team/guestbook
    argocd-image-updater.argoproj.io/guestbook.helm.image-name: image.repository
    argocd-image-updater.argoproj.io/guestbook.helm.image-tag: image.tag
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  project: default
  source:
    repoURL: REPO
    targetRevision: main
    path: helm
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`, registry)
	return map[string]string{
		"helm/Chart.yaml":     "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":    fmt.Sprintf("image:\n  repository: %s/team/guestbook\n  tag: 1.0.0\n", registry),
		"apps/guestbook.yaml": app,
	}
}

// TestRepoModeDeploysOnlySignedImages runs `run --repo --once` with
// --cosign-key against a local Git repository: the newest tag is unsigned,
// so the older signed one is written, and the plan names the unsigned tag.
func TestRepoModeDeploysOnlySignedImages(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a := generateKey(t, dir, "a")
	img := reg.Repo("team/guestbook")
	d := seed(t, reg, "team/guestbook", "1.0.0", "1.1.0", "2.0.0")
	sign(t, dir, a, img+"@"+d["1.1.0"])

	bare := filepath.Join(t.TempDir(), "gitops.git")
	files := gitopsFiles(reg.Host)
	files["apps/guestbook.yaml"] = strings.Replace(files["apps/guestbook.yaml"], "REPO", "file://"+bare, 1)
	infra.GitBareRepoFromFiles(t, bare, "main", files)
	flags := []string{"--repo", "file://" + bare, "--registries-conf-path", plainConf(t, reg), "--git-cache-dir", t.TempDir(),
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com", "--cosign-key", a.pub}

	code, out, stderr := imagepilot(t, append([]string{"plan"}, flags...)...)
	if code != 0 || !strings.Contains(out, "1.0.0 -> 1.1.0") || !strings.Contains(out, "not verified: 2.0.0 (no signature)") {
		t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = imagepilot(t, append([]string{"run", "--once"}, flags...)...)
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	got, err := exec.Command("git", "--git-dir", bare, "show", "main:helm/.argocd-source-guestbook.yaml").Output()
	if err != nil || !strings.Contains(string(got), "value: 1.1.0") || strings.Contains(string(got), "2.0.0") {
		t.Fatalf("written override (%v):\n%s", err, got)
	}

	// Without keys the same run would take the unsigned 2.0.0: the flag is
	// what keeps it out.
	code, out, _ = imagepilot(t, append([]string{"plan"}, flags[:len(flags)-2]...)...)
	if code != 0 || !strings.Contains(out, "1.1.0 -> 2.0.0") {
		t.Fatalf("plan without keys exit %d\n%s", code, out)
	}
}
