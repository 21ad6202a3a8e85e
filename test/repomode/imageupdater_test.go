package repomode_test

import (
	"fmt"
	"strings"
	"testing"
)

const kustomization = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
images:
# the web front end
- name: web
  newName: %s/team/web
  newTag: "1.0.0" # bumped by imagepilot
`

func kustomizeRepo(e *env) map[string]string {
	return map[string]string{
		"overlays/prod/kustomization.yaml": fmt.Sprintf(kustomization, e.reg.Host),
		"overlays/prod/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
		"apps/web.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
  namespace: argocd
  labels: {team: web}
spec:
  project: default
  source: {repoURL: %s, targetRevision: main, path: overlays/prod}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`, e.repoURL),
		"imagepilot/updater.yaml": fmt.Sprintf(`apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: web
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: semver
  writeBackConfig:
    method: git
    gitConfig:
      writeBackTarget: kustomization
  applicationRefs:
  - namePattern: "web-*"
    labelSelectors:
      matchLabels: {team: web}
    images:
    - alias: web
      imageName: %s/team/web:~1
      manifestTargets:
        kustomize: {name: web}
`, e.reg.Host),
	}
}

func TestImageUpdaterObjectWithKustomization(t *testing.T) {
	e := setup(t, kustomizeRepo)
	e.push(t, "team/web", "1.0.0", "1.0.3", "1.1.0", "2.0.0")
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	want := strings.Replace(fmt.Sprintf(kustomization, e.reg.Host), `newTag: "1.0.0"`, `newTag: "1.1.0"`, 1)
	if got := e.file(t, "overlays/prod/kustomization.yaml"); got != want {
		t.Fatalf("kustomization:\n%s\nwant:\n%s", got, want)
	}
}

func TestImageUpdaterErrorsNameTheField(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := kustomizeRepo(e)
		files["imagepilot/updater.yaml"] = strings.Replace(files["imagepilot/updater.yaml"], "updateStrategy: semver", `allowTags: "regexp:(["`, 1)
		return files
	})
	e.push(t, "team/web", "1.0.0", "1.1.0")
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 4 || !strings.Contains(stderr, "allowTags") || e.head(t) != head {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
}
