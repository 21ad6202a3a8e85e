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
	f.Fuzz(func(t *testing.T, data []byte) {
		apps, err := parseApplications(data)
		for _, a := range apps {
			if a.Name == "" {
				t.Fatalf("application without a name accepted (err %v)", err)
			}
		}
	})
}
