package repomode

import (
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/writeback"
)

const configuredApps = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: local
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  source: {repoURL: 'git@GIT.example.com:team/gitops.git', path: local}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: elsewhere
  annotations: {argocd-image-updater.argoproj.io/image-list: "a=nginx,b=redis"}
spec:
  source: {repoURL: 'https://user:PW@git.example.com/team/other.git', path: x}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: chart-only
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  source: {repoURL: 'https://charts.example.com', chart: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: capitals
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  source: {repoURL: 'https://git.example.com/Team/GitOps', path: c}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: unconfigured}
spec:
  source: {repoURL: 'https://git.example.com/team/other.git', path: x}
`

func TestItemsReportConfiguredApplicationsOfOtherRepositories(t *testing.T) {
	m, err := parseManifests([]byte(configuredApps))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Applications {
		m.Applications[i].File = "apps.yaml"
	}
	repo := "https://git.example.com/team/gitops/"
	items, skipped, errs := Items(t.TempDir(), m, []string{repo}, writeback.Layout{ControllerNamespace: "argocd"})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(items) != 1 || items[0].Target.App.Name != "local" {
		t.Fatalf("items: %+v", items)
	}
	want := map[string][]string{
		"elsewhere":  {"https://user:***@git.example.com/team/other.git is not this repository", "--source-url https://user:***@git.example.com/team/other.git"},
		"chart-only": {"only sources are Helm charts (chart web from https://charts.example.com)"},
		"capitals":   {"differ only in the case of the path", "--source-url https://git.example.com/Team/GitOps"},
	}
	if len(skipped) != len(want) {
		t.Fatalf("skipped %d applications, want %d: %+v", len(skipped), len(want), skipped)
	}
	for _, s := range skipped {
		frags, ok := want[s.App.Name]
		if !ok {
			t.Errorf("unexpected skip: %s", s)
			continue
		}
		if s.File != "apps.yaml" {
			t.Errorf("%s: file %q", s.App, s.File)
		}
		for _, f := range frags {
			if !strings.Contains(s.String(), f) {
				t.Errorf("%s lacks %q", s, f)
			}
		}
		if strings.Contains(s.String(), "PW") {
			t.Errorf("password shown: %s", s)
		}
	}
}
