package repomode_test

import (
	"strings"
	"testing"
)

const appOfApps = `{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {{ .name }}
  annotations:
    argocd-image-updater.argoproj.io/image-list: {{ .image }}
spec:
  source:
    repoURL: {{ $.Values.repoURL }}
    path: {{ .path }}
{{- end }}
`

// An app-of-apps Helm chart is not a configuration error, and a file too
// large to read is reported rather than skipped silently.
func TestAppOfAppsTemplatesAndLargeFiles(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "")
		files["bootstrap/Chart.yaml"] = "apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n"
		files["bootstrap/values.yaml"] = "apps: []\n"
		files["bootstrap/templates/apps.yaml"] = appOfApps
		files["generated/bundle.yaml"] = "# " + strings.Repeat("x", 5<<20) + "\n"
		return files
	})
	e.push(t, "team/guestbook", "v1", "v2")
	code, out, stderr := e.imagepilot(t, "run", "--once", "--loglevel", "debug")
	if code != 0 {
		t.Fatalf("run --once exit %d (want 0)\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "errors=0") || !strings.Contains(stderr, "images_updated=1") {
		t.Errorf("summary:\n%s", stderr)
	}
	if !strings.Contains(stderr, "level=DEBUG msg=\"file skipped\" file=bootstrap/templates/apps.yaml") {
		t.Errorf("no debug line for the template:\n%s", stderr)
	}
	if !strings.Contains(stderr, "level=WARN msg=\"file skipped\" file=generated/bundle.yaml") {
		t.Errorf("no warning for the large file:\n%s", stderr)
	}
	code, out, stderr = e.imagepilot(t, "plan")
	if code != 0 || !strings.Contains(out, "skipped file generated/bundle.yaml: not read") || strings.Contains(out, "bootstrap") {
		t.Fatalf("plan exit %d\n%s\n%s", code, out, stderr)
	}
}
