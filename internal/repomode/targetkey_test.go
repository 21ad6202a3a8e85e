package repomode

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/writeback"
)

func upstreamKey(repo, base, file string) string {
	sum := sha256.Sum256([]byte(repo + "|" + base + "|" + file))
	return hex.EncodeToString(sum[:])[:8]
}

// The write-branch template's TargetKey hashes the repository as the
// Application spells it (its source's repoURL, or its git-repository
// setting), as upstream does, even where --repo is spelled otherwise.
func TestItemsTargetKeyUsesTheApplicationsSpelling(t *testing.T) {
	const repo = "https://git.example.com/team/gitops" // --repo
	tests := []struct {
		name, app, wantKey, wantPath string
	}{
		{
			name: "source repoURL with .git suffix, host case and slash",
			app: `metadata:
  name: web
  annotations:
    argocd-image-updater.argoproj.io/image-list: nginx
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-branch: main:image-updater-{{.TargetKey}}
spec:
  source: {repoURL: 'https://GIT.example.com/team/gitops.git/', path: web, targetRevision: main}`,
			wantKey: upstreamKey("https://GIT.example.com/team/gitops.git/", "main", "web/.argocd-source-web.yaml"),
		},
		{
			name: "spelled like --repo",
			app: `metadata:
  name: web
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  source: {repoURL: 'https://git.example.com/team/gitops', path: web}`,
			wantKey: upstreamKey(repo, "", "web/.argocd-source-web.yaml"),
		},
		{
			name: "git-repository setting spelled otherwise",
			app: `metadata:
  name: web
  annotations:
    argocd-image-updater.argoproj.io/image-list: nginx
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-repository: https://git.example.com/team/gitops.git
spec:
  source: {repoURL: 'https://git.example.com/team/gitops', path: web}`,
			wantKey: upstreamKey("https://git.example.com/team/gitops.git", "", "web/.argocd-source-web.yaml"),
		},
		{
			name: "chart from a chart repository written to git-repository",
			app: `metadata:
  name: chart
  annotations:
    argocd-image-updater.argoproj.io/image-list: nginx
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-repository: git@git.example.com:team/gitops.git
spec:
  source: {repoURL: 'https://charts.example.com', chart: web, targetRevision: 4.2.0}`,
			wantKey:  upstreamKey("git@git.example.com:team/gitops.git", "", ".argocd-source-chart.yaml"),
			wantPath: ".argocd-source-chart.yaml",
		},
		{
			name: "source hydrator dry source",
			app: `metadata:
  name: hyd
  annotations: {argocd-image-updater.argoproj.io/image-list: nginx}
spec:
  sourceHydrator:
    drySource: {repoURL: 'https://git.example.com/team/gitops.git', path: dry/hyd, targetRevision: main}
    syncSource: {targetBranch: env/prod, path: hyd}`,
			wantKey:  upstreamKey("https://git.example.com/team/gitops.git", "", "dry/hyd/.argocd-source-hyd.yaml"),
			wantPath: "dry/hyd/.argocd-source-hyd.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifests([]byte("apiVersion: argoproj.io/v1alpha1\nkind: Application\n" + tt.app + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			layout := writeback.Layout{ControllerNamespace: "argocd"}
			items, skipped, errs := Items(t.TempDir(), m, []string{repo}, layout)
			if len(errs) != 0 || len(skipped) != 0 || len(items) != 1 {
				t.Fatalf("items %+v skipped %+v errors %v", items, skipped, errs)
			}
			if got := layout.TargetKey(items[0].Target); got != tt.wantKey {
				t.Errorf("TargetKey = %s, want %s", got, tt.wantKey)
			}
			if tt.wantPath != "" {
				f, err := layout.FileFor(items[0].Target)
				if err != nil || f.Path != tt.wantPath {
					t.Errorf("write-back file %q (%v), want %q", f.Path, err, tt.wantPath)
				}
			}
		})
	}
}

// An application whose git-repository names another repository is not
// written here (its changes belong there), and says so.
func TestItemsGitRepositoryElsewhereIsSkipped(t *testing.T) {
	m, err := parseManifests([]byte(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  annotations:
    argocd-image-updater.argoproj.io/image-list: nginx
    argocd-image-updater.argoproj.io/write-back-method: git
    argocd-image-updater.argoproj.io/git-repository: https://git.example.com/team/other.git
spec:
  source: {repoURL: 'https://git.example.com/team/gitops', path: web}
`))
	if err != nil {
		t.Fatal(err)
	}
	items, skipped, errs := Items(t.TempDir(), m, []string{"https://git.example.com/team/gitops"}, writeback.Layout{ControllerNamespace: "argocd"})
	if len(items) != 0 || len(errs) != 0 || len(skipped) != 1 {
		t.Fatalf("items %+v skipped %+v errors %v", items, skipped, errs)
	}
	if want := "its git write-back goes to https://git.example.com/team/other.git"; !strings.Contains(skipped[0].Reason, want) {
		t.Errorf("reason %q lacks %q", skipped[0].Reason, want)
	}
}
