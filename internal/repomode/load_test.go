package repomode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoApps = `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: one
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  source: {repoURL: https://git.example.com/a.git, path: one}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: two}
spec:
  sources:
  - {repoURL: https://git.example.com/a.git, path: two}
  - {repoURL: https://charts.example.com, chart: redis}
`

func TestParseApplications(t *testing.T) {
	apps, err := parseApplications([]byte(twoApps))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].Name != "one" || apps[1].Name != "two" || len(apps[1].Spec.Sources) != 2 {
		t.Fatalf("apps: %+v", apps)
	}
	for name, doc := range map[string]string{
		"no name":  "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {}\n",
		"bad yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: [\n",
		"bad type": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: {source: [1]}\n",
	} {
		if _, err := parseApplications([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLoadApplicationsReportsBadFilesAndKeepsGoing(t *testing.T) {
	root := t.TempDir()
	write := func(p, content string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("apps/good.yaml", twoApps)
	write("apps/bad.yml", "kind: Application\napiVersion: argoproj.io/v1alpha1\nmetadata: [\n")
	write(".git/ignored.yaml", twoApps)
	write("notes.txt", twoApps)
	apps, errs := LoadApplications(root, "")
	if len(apps) != 2 || apps[0].File != "apps/good.yaml" {
		t.Fatalf("apps: %d %+v", len(apps), apps)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "apps/bad.yml") {
		t.Fatalf("errs: %v", errs)
	}
	if apps, _ := LoadApplications(root, "elsewhere"); len(apps) != 0 {
		t.Fatalf("apps-path not honoured: %d", len(apps))
	}
}

func FuzzParseApplications(f *testing.F) {
	f.Add([]byte(twoApps))
	f.Add([]byte("kind: Application\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: a, annotations: {x: y}}\n"))
	f.Add([]byte(appOfAppsTemplate))
	f.Add([]byte(quotedTemplate))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifests(data)
		_ = templateFile("", "templates/x.yaml", data, m, err)
		apps := m.Applications
		for _, a := range apps {
			if a.Name == "" {
				t.Fatalf("application without a name accepted (err %v)", err)
			}
		}
	})
}

const appOfAppsTemplate = `{{- range .Values.apps }}
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

const quotedTemplate = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: "{{ .Values.name }}"
spec:
  source: {repoURL: "{{ .Values.repoURL }}", path: x}
`

const branchTemplateApp = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: real
  annotations:
    argocd-image-updater.argoproj.io/image-list: nginx
    argocd-image-updater.argoproj.io/git-branch: 'main:image-updates-{{ .SHA256 | printf "%.8s" }}'
spec:
  source: {repoURL: https://git.example.com/a.git, path: one}
`

func TestLoadSkipsTemplatesAndReportsLargeFiles(t *testing.T) {
	root := t.TempDir()
	write := func(p, content string) {
		t.Helper()
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("apps/Chart.yaml", "apiVersion: v2\nname: apps\nversion: 0.1.0\n")
	write("apps/templates/apps.yaml", appOfAppsTemplate)
	write("apps/templates/quoted.yaml", quotedTemplate)
	write("apps/templates/plain.yaml", twoApps) // no template syntax: rendered verbatim, still read
	write("loose/range.yaml", appOfAppsTemplate)
	write("loose/quoted.yaml", quotedTemplate)
	write("real/app.yaml", branchTemplateApp)
	write("broken/app.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x, annotations: {b: '{{ .SHA256 }}'}\nspec: [\n")
	write("big/huge.yaml", twoApps+"# "+strings.Repeat("x", maxManifestSize)+"\n")

	m, errs := Load(root, "")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "broken/app.yaml") {
		t.Fatalf("errors: %v (want only broken/app.yaml)", errs)
	}
	var names []string
	for _, a := range m.Applications {
		names = append(names, a.File+":"+a.Name)
	}
	if got := strings.Join(names, " "); got != "apps/templates/plain.yaml:one apps/templates/plain.yaml:two real/app.yaml:real" {
		t.Fatalf("applications: %s", got)
	}
	skipped := map[string]SkippedFile{}
	for _, f := range m.Skipped {
		skipped[f.File] = f
	}
	for _, f := range []string{"apps/templates/apps.yaml", "apps/templates/quoted.yaml", "loose/range.yaml", "loose/quoted.yaml"} {
		if s, ok := skipped[f]; !ok || s.Warn || !strings.Contains(s.Reason, "template") {
			t.Errorf("%s: %+v, want a template skip", f, s)
		}
	}
	if s := skipped["big/huge.yaml"]; !s.Warn || !strings.Contains(s.Reason, "4 MiB") {
		t.Errorf("big file: %+v, want a warning", s)
	}
	if len(skipped) != 5 {
		t.Errorf("skipped: %+v", m.Skipped)
	}
}
