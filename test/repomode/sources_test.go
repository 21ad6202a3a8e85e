package repomode_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// sourcesRepo holds a Source Hydrator application (dry source here, spelled
// with a trailing slash), a Helm chart from a chart repository whose git
// write-back names this repository, and a chart without one.
func sourcesRepo(e *env) map[string]string {
	return map[string]string{
		"dry/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"apps/hyd.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: hyd
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=%[2]s/team/web
    argocd-image-updater.argoproj.io/write-back-method: git
spec:
  project: default
  sourceHydrator:
    drySource:
      repoURL: %[1]s/
      targetRevision: main
      path: dry/web
      helm:
        parameters:
        - {name: image.tag, value: 1.1.0}
    syncSource: {targetBranch: env/prod, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`, e.repoURL, e.reg.Host),
		"apps/chart.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: chart
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=%[2]s/team/web
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-repository: %[1]s
spec:
  project: default
  source:
    repoURL: https://charts.example.com/stable
    chart: web
    targetRevision: 4.2.0
    helm:
      parameters:
      - {name: image.tag, value: 1.0.0}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`, e.repoURL, e.reg.Host),
		"apps/chart-no-git.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: chart-no-git
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=%s/team/web
spec:
  source: {repoURL: https://charts.example.com/stable, chart: web, targetRevision: 4.2.0}
`, e.reg.Host),
	}
}

// Repo mode manages a Source Hydrator application through its dry source,
// and a Helm chart from a chart repository through the override file its
// git-repository setting points here, on the branch repo mode reads (never
// one named after the chart version). A chart without a Git repository is
// reported as not managed.
func TestSourceHydratorAndChartRepositoryApplications(t *testing.T) {
	e := setup(t, sourcesRepo)
	e.push(t, "team/web", "1.0.0", "1.1.0", "1.2.0")
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "images_updated=2") {
		t.Errorf("summary:\n%s", stderr)
	}
	hyd := e.file(t, "dry/web/.argocd-source-hyd.yaml")
	chart := e.file(t, ".argocd-source-chart.yaml")
	for name, file := range map[string]string{"hyd": hyd, "chart": chart} {
		if !strings.Contains(file, "name: image.tag") || !strings.Contains(file, "value: 1.2.0") {
			t.Errorf("%s override:\n%s", name, file)
		}
	}
	msg := e.lastMessage(t)
	for _, want := range []string{"tag '1.1.0' to '1.2.0'", "tag '1.0.0' to '1.2.0'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("commit message lacks %q:\n%s", want, msg)
		}
	}
	if branches := infra.GitRun(t, e.bare, "branch", "--list"); strings.Contains(branches, "4.2.0") || strings.Contains(branches, "env/prod") {
		t.Errorf("pushed another branch: %q", branches)
	}
	if !strings.Contains(stderr, "application skipped") || !strings.Contains(stderr, "chart-no-git") {
		t.Errorf("chart without a Git repository not reported:\n%s", stderr)
	}
	// Steady state: nothing left to do.
	head := e.head(t)
	if code, out, stderr = e.imagepilot(t, "run", "--once"); code != 0 || e.head(t) != head {
		t.Fatalf("second run exit %d moved main\n%s\n%s", code, out, stderr)
	}
}

// The write-branch template's TargetKey hashes the Application's repoURL as
// written (here with a trailing slash, unlike --repo), so the branch is
// the one upstream pushes for the same change.
func TestWriteBranchTargetKeyUsesTheApplicationsRepoURL(t *testing.T) {
	var appURL string
	e := setup(t, func(e *env) map[string]string {
		appURL = e.repoURL + "/"
		files := chart(e, "    argocd-image-updater.argoproj.io/git-branch: main:image-updater-{{.TargetKey}}\n")
		files["apps/guestbook.yaml"] = guestbookApp(appURL, e.reg.Host, "    argocd-image-updater.argoproj.io/git-branch: main:image-updater-{{.TargetKey}}\n")
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	sum := sha256.Sum256([]byte(appURL + "|main|helm/.argocd-source-guestbook.yaml"))
	want := "image-updater-" + hex.EncodeToString(sum[:])[:8]
	if got := strings.TrimSpace(infra.GitRun(t, e.bare, "branch", "--list", want)); got != want {
		t.Errorf("branch %q not pushed; branches:\n%s", want, infra.GitRun(t, e.bare, "branch", "--list"))
	}
}
