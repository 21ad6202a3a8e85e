package verify

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// imageUpdaterFiles is a GitOps repository whose Application is managed by
// an ImageUpdater object with an object-level key and an image-level key
// that overrides it.
func imageUpdaterFiles(registry, repoURL string) map[string]string {
	app := fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: %s
    targetRevision: main
    path: helm
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`, repoURL)
	iu := fmt.Sprintf(`apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: guestbook
  namespace: argocd
spec:
  imagesVerification:
    cosignKey:
      secretName: org-key
      key: cosign.pub
  applicationRefs:
  - namePattern: guestbook
    images:
    - alias: guestbook
      imageName: %s/team/guestbook
      imagesVerification:
        cosignKey:
          secretName: team-key
          key: cosign.pub
      manifestTargets:
        helm:
          name: image.repository
          tag: image.tag
`, registry)
	return map[string]string{
		"helm/Chart.yaml":        "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":       fmt.Sprintf("image:\n  repository: %s/team/guestbook\n  tag: 1.0.0\n", registry),
		"apps/guestbook.yaml":    app,
		"apps/imageupdater.yaml": iu,
	}
}

// TestRepoModeImageUpdaterKeys runs plan and run --once on an ImageUpdater
// object whose cosignKey Secrets are mapped to files with --cosign-secret:
// the image-level key wins over the object's, an unmapped key leaves the
// application alone with the field named, and the run-wide --cosign-key
// is required on top.
func TestRepoModeImageUpdaterKeys(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	team, org := generateKey(t, dir, "team"), generateKey(t, dir, "org")
	img := reg.Repo("team/guestbook")
	d := seed(t, reg, "team/guestbook", "1.0.0", "1.1.0", "2.0.0")
	sign(t, dir, team, img+"@"+d["1.1.0"])
	sign(t, dir, org, img+"@"+d["2.0.0"]) // the object-level key, overridden for this image

	bare := filepath.Join(t.TempDir(), "gitops.git")
	infra.GitBareRepoFromFiles(t, bare, "main", imageUpdaterFiles(reg.Host, "file://"+bare))
	base := []string{"--repo", "file://" + bare, "--registries-conf-path", plainConf(t, reg), "--git-cache-dir", t.TempDir(),
		"--git-commit-user", "imagepilot-test", "--git-commit-email", "bot@example.com"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }

	// The image-level key is not mapped: fail closed, naming the field and
	// the flag to pass.
	code, out, stderr := imagepilot(t, append([]string{"plan"}, with("--cosign-secret", "org-key#cosign.pub="+org.pub)...)...)
	if code == 0 || strings.Contains(out, "-> 2.0.0") || !strings.Contains(out+stderr, "spec.applicationRefs[0].images[0].imagesVerification.cosignKey") ||
		!strings.Contains(out+stderr, "--cosign-secret argocd/team-key#cosign.pub=FILE") {
		t.Fatalf("unmapped key: exit %d\n%s\n%s", code, out, stderr)
	}

	mapped := with("--cosign-secret", "org-key#cosign.pub="+org.pub, "--cosign-secret", "argocd/team-key#cosign.pub="+team.pub)
	code, out, stderr = imagepilot(t, append([]string{"plan"}, mapped...)...)
	if code != 0 || !strings.Contains(out, "1.0.0 -> 1.1.0") || !strings.Contains(out, "not verified: 2.0.0 (wrong key)") {
		t.Fatalf("mapped plan: exit %d\n%s\n%s", code, out, stderr)
	}
	// A malformed mapping is a usage error.
	if code, _, stderr := imagepilot(t, append([]string{"plan"}, with("--cosign-secret", team.pub)...)...); code != 2 || !strings.Contains(stderr, "[NAMESPACE/]SECRET#KEY=FILE") {
		t.Fatalf("malformed mapping: exit %d %s", code, stderr)
	}
	// The run-wide key must verify too: org signed only 2.0.0, which the
	// image's own key rejects, so nothing is eligible.
	code, out, stderr = imagepilot(t, append([]string{"plan"}, append(mapped, "--cosign-key", org.pub)...)...)
	if code != 0 || strings.Contains(out, "->") || !strings.Contains(out, "no tag of") {
		t.Fatalf("run-wide and image keys: exit %d\n%s\n%s", code, out, stderr)
	}

	code, out, stderr = imagepilot(t, append([]string{"run", "--once"}, mapped...)...)
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	got, err := exec.Command("git", "--git-dir", bare, "show", "main:helm/.argocd-source-guestbook.yaml").Output()
	if err != nil || !strings.Contains(string(got), "value: 1.1.0") || strings.Contains(string(got), "2.0.0") {
		t.Fatalf("written override (%v):\n%s", err, got)
	}
}
