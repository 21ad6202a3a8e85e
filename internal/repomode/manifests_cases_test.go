package repomode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestInChartTemplates(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Chart.yaml":                      "name: root\n",
		"charts/sub/Chart.yaml":           "name: sub\n",
		"plain/templates/x.yaml":          "",
		"charts/sub/templates/deep/x.yml": "",
	})
	tests := []struct {
		path string
		want bool
	}{
		{path: "templates/app.yaml", want: true},
		{path: "charts/sub/templates/deep/x.yml", want: true},
		{path: "charts/sub/values.yaml", want: false},
		// Only a templates directory directly in a chart counts: plain/ has
		// no Chart.yaml, the root's does not make plain/templates a chart's.
		{path: "plain/templates/x.yaml", want: false},
		{path: "templates", want: false},
	}
	for _, tt := range tests {
		if got := inChartTemplates(root, filepath.Join(root, filepath.FromSlash(tt.path))); got != tt.want {
			t.Errorf("inChartTemplates(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if inChartTemplates(root, "relative/templates/x.yaml") {
		t.Error("a path outside root counted")
	}
}

func TestTemplateFile(t *testing.T) {
	root := writeTree(t, map[string]string{"chart/Chart.yaml": "name: c\n"})
	named := func(name string) Manifests {
		return Manifests{Applications: []Application{{Application: argocd.Application{}}}}.withName(name)
	}
	parseErr := errors.New("yaml: did not parse")
	tests := []struct {
		name     string
		path     string
		data     string
		m        Manifests
		parseErr error
		want     string
	}{
		{name: "no template syntax", path: "chart/templates/a.yaml", data: "kind: Application\n", want: ""},
		{name: "in a chart's templates", path: "chart/templates/a.yaml", data: "name: {{ .x }}", want: "(Helm chart template; Argo CD renders it)"},
		{name: "a value carrying a template parses: a manifest", path: "apps/a.yaml", data: "branch: '{{ .SHA256 }}'", m: named("a"), want: ""},
		{name: "template actions that break the YAML", path: "apps/a.yaml", data: "{{- range .apps }}\n- {{ . }}\n{{- end }}", parseErr: parseErr, want: "(template syntax)"},
		{name: "Helm values that break the YAML", path: "apps/a.yaml", data: "name: {{ .Values.name }}\n", parseErr: parseErr, want: "(template syntax)"},
		{name: "a broken file with a value template is an error, not a template", path: "apps/a.yaml", data: "b: '{{ .SHA256 }}'\nspec: [", parseErr: parseErr, want: ""},
		{name: "template syntax in a name", path: "apps/a.yaml", data: `name: "{{ .Values.name }}"`, m: named("{{ .Values.name }}"), want: "(template syntax in metadata.name)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := templateFile(root, filepath.Join(root, filepath.FromSlash(tt.path)), []byte(tt.data), tt.m, tt.parseErr)
			if tt.want == "" && got != "" || tt.want != "" && (!strings.HasPrefix(got, templateReason) || !strings.HasSuffix(got, tt.want)) {
				t.Fatalf("templateFile = %q, want %q", got, tt.want)
			}
		})
	}
}

// withName names the first Application.
func (m Manifests) withName(name string) Manifests {
	m.Applications[0].Name = name
	return m
}

func TestSourceKind(t *testing.T) {
	root := writeTree(t, map[string]string{
		"helm/Chart.yaml":           "name: c\n",
		"kust/kustomization.yaml":   "resources: []\n",
		"kustyml/kustomization.yml": "resources: []\n",
		"kustbare/Kustomization":    "resources: []\n",
		"plain/deployment.yaml":     "kind: Deployment\n",
		"both/Chart.yaml":           "name: c\n",
		"both/kustomization.yaml":   "resources: []\n",
	})
	tests := []struct {
		name string
		src  argocd.ApplicationSource
		want string
	}{
		{name: "a helm block wins over the files", src: argocd.ApplicationSource{Path: "kust", Helm: &argocd.ApplicationSourceHelm{}}, want: target.KindHelm},
		{name: "a kustomize block", src: argocd.ApplicationSource{Path: "helm", Kustomize: &argocd.ApplicationSourceKustomize{}}, want: target.KindKustomize},
		{name: "a plugin block", src: argocd.ApplicationSource{Path: "plain", Plugin: &argocd.ApplicationSourcePlugin{}}, want: target.KindPlugin},
		{name: "Chart.yaml", src: argocd.ApplicationSource{Path: "helm"}, want: target.KindHelm},
		{name: "kustomization.yaml", src: argocd.ApplicationSource{Path: "kust"}, want: target.KindKustomize},
		{name: "kustomization.yml", src: argocd.ApplicationSource{Path: "kustyml"}, want: target.KindKustomize},
		{name: "Kustomization", src: argocd.ApplicationSource{Path: "kustbare"}, want: target.KindKustomize},
		{name: "a kustomization beside a Chart.yaml wins, as in Argo CD", src: argocd.ApplicationSource{Path: "both"}, want: target.KindKustomize},
		{name: "plain manifests", src: argocd.ApplicationSource{Path: "plain"}, want: "directory"},
		{name: "a path not in the checkout", src: argocd.ApplicationSource{Path: "missing"}, want: "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourceKind(root, tt.src); got != tt.want {
				t.Fatalf("sourceKind = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseManifestsKindsAndErrors(t *testing.T) {
	const iu = "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: iu, namespace: argocd}\nspec:\n  applicationRefs: [{namePattern: web}]\n"
	const app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec: {project: default, destination: {}}\n"
	tests := []struct {
		name          string
		data          string
		wantApps, ius int
		wantErr       string
	}{
		{name: "an ImageUpdater and an Application", data: iu + "---\n" + app, wantApps: 1, ius: 1},
		{name: "other groups and kinds are ignored", data: "apiVersion: example.com/v1\nkind: Application\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ImageUpdater\nmetadata: {name: y}\n---\n" + app, wantApps: 1},
		{name: "documents that are not objects are ignored", data: "- a list\n---\njust a string\n---\n" + app, wantApps: 1},
		{name: "an ImageUpdater without a name", data: app + "---\napiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {}\n", wantApps: 1, wantErr: "document 2 (ImageUpdater): metadata.name is missing"},
		{name: "an Application whose spec has the wrong type", data: "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: [1]\n", wantErr: "document 1 (Application): "},
		{name: "a document that is not YAML stops the file", data: app + "---\nkind: Application\n  bad: indent\n", wantApps: 1, wantErr: "document 2: "},
		{name: "a file naming neither kind is not parsed at all", data: "{{ not yaml", wantApps: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifests([]byte(tt.data))
			if len(m.Applications) != tt.wantApps || len(m.ImageUpdaters) != tt.ius {
				t.Fatalf("%d applications, %d ImageUpdaters; want %d, %d", len(m.Applications), len(m.ImageUpdaters), tt.wantApps, tt.ius)
			}
			if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestCollectTargetsClaims: an application two ImageUpdaters select goes
// to the first by namespace/name, once reported; one selected with broken
// settings never falls back to its annotations.
func TestCollectTargetsClaims(t *testing.T) {
	const data = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  annotations: {argocd-image-updater.argoproj.io/image-list: "ann=nginx"}
spec: {source: {repoURL: https://git.example/x.git, path: web}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: broken
  annotations: {argocd-image-updater.argoproj.io/image-list: "ann=nginx"}
spec: {source: {repoURL: https://git.example/x.git, path: broken}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: loose
  annotations: {argocd-image-updater.argoproj.io/image-list: "ann=nginx"}
spec: {source: {repoURL: https://git.example/x.git, path: loose}}
---
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata: {name: b-second}
spec:
  applicationRefs:
  - namePattern: web
    images: [{alias: second, imageName: redis}]
---
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata: {name: a-first}
spec:
  applicationRefs:
  - namePattern: web
    images: [{alias: first, imageName: nginx}, {alias: also-first, imageName: busybox}]
  - namePattern: broken
    commonUpdateSettings: {updateStrategy: no-such-strategy}
    images: [{alias: b, imageName: nginx}]
`
	m, err := parseManifests([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.ImageUpdaters {
		m.ImageUpdaters[i].File = "iu.yaml"
	}
	targets, errs := collectTargets(m, "argocd")
	var got []string
	for _, tg := range targets {
		got = append(got, tg.App.Name+":"+tg.Image.Key())
	}
	if strings.Join(got, " ") != "web:first web:also-first loose:ann" {
		t.Fatalf("targets %v", got)
	}
	var claimed int
	for _, err := range errs {
		if strings.Contains(err.Error(), "application argocd/web is already managed by ImageUpdater argocd/a-first; ignored here") {
			claimed++
		}
	}
	if claimed != 1 {
		t.Fatalf("claim conflict reported %d times: %v", claimed, errs)
	}
	if !strings.Contains(errors.Join(errs...).Error(), "iu.yaml: ImageUpdater argocd/a-first") {
		t.Fatalf("broken settings not reported against their ImageUpdater: %v", errs)
	}
}

func TestAppsPathError(t *testing.T) {
	root := writeTree(t, map[string]string{"file.yaml": "a: 1\n"})
	for _, dir := range []string{"missing", "file.yaml"} {
		_, errs := Load(root, dir)
		var ape *AppsPathError
		if len(errs) != 1 || !errors.Is(errs[0], ErrAppsPath) || !errors.As(errs[0], &ape) || ape.Path != dir {
			t.Fatalf("%s: %v", dir, errs)
		}
		if msg := errs[0].Error(); !strings.HasPrefix(msg, "--apps-path "+dir+":") || strings.Contains(msg, root) {
			t.Fatalf("%s: message %q names the working copy or not the path", dir, msg)
		}
	}
}
