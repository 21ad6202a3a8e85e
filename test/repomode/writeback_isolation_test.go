package repomode_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

const pinnedDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000001"

// brokenApp is an Application "broken" for image team/broken, written back
// with the given annotations (4-space indented lines) from source path.
func brokenApp(e *env, path, annotations string) string {
	return fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: broken
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: broken=%[2]s/team/broken
    argocd-image-updater.argoproj.io/write-back-method: git
%[4]sspec:
  project: default
  source:
    repoURL: %[1]s
    targetRevision: main
    path: %[3]s
  destination:
    server: https://kubernetes.default.svc
    namespace: broken
`, e.repoURL, e.reg.Host, path, annotations)
}

// workingCopy is the cached checkout of the test repository.
func (e *env) workingCopy(t *testing.T) string {
	t.Helper()
	var dir string
	_ = filepath.WalkDir(e.cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ".git" {
			dir = filepath.Dir(p)
			return filepath.SkipAll
		}
		return nil
	})
	if dir == "" {
		t.Fatalf("no working copy under %s", e.cacheDir)
	}
	return dir
}

// TestBrokenApplicationLeftOutOfTheCommit: an application whose edit fails
// (or whose write-back target is inside .git) next to a healthy one in the
// same repository and branch: the healthy application's change is
// committed, the broken one is counted as an error with its reason in the
// log, plan counts the same, and the next cycle still works.
func TestBrokenApplicationLeftOutOfTheCommit(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		annotations string
		files       map[string]string
		link        [2]string // symlink to add: name, target
		reason      string    // in the log
	}{
		{name: "values path through an alias", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: helmvalues\n    argocd-image-updater.argoproj.io/broken.helm.image-tag: image.tag\n    argocd-image-updater.argoproj.io/broken.helm.image-name: image.repository\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "common: &c\n  repository: REG/team/broken\n  tag: v1\nimage: *c\n"},
			reason:      "alias"},
		{name: "two-document override file", path: "broken",
			files:  map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n", "broken/.argocd-source-broken.yaml": "helm:\n  parameters:\n  - name: image.tag\n    value: v1\n---\nhelm: {}\n"},
			reason: "document"},
		{name: "kustomize entry pinned by digest", path: "kbroken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: kustomization\n",
			files:       map[string]string{"kbroken/kustomization.yaml": "resources: []\nimages:\n- name: REG/team/broken\n  newTag: v1\n  digest: " + pinnedDigest + "\n"},
			reason:      "digest"},
		{name: "invalid write-branch template", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/git-branch: \"main:bad branch {{ .AppName }}\"\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n"},
			reason:      "not a valid branch name"},
		{name: "target .git/HEAD", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: /.git/HEAD\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n"},
			reason:      "git directory"},
		{name: "target .git/hooks/pre-commit", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: /.git/hooks/pre-commit\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n"},
			reason:      "git directory"},
		{name: "target .GIT/config relative", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: ../.GIT/config\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n"},
			reason:      "git directory"},
		{name: "target through a symlink into .git", path: "broken",
			annotations: "    argocd-image-updater.argoproj.io/write-back-target: /meta/hooks/post-checkout\n",
			files:       map[string]string{"broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n", "broken/values.yaml": "image:\n  repository: REG/team/broken\n  tag: v1\n"},
			link:        [2]string{"meta", ".git"},
			reason:      "git directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, func(e *env) map[string]string {
				files := chart(e, "")
				for name, content := range tt.files {
					files[name] = strings.ReplaceAll(content, "REG", e.reg.Host)
				}
				files["apps/broken.yaml"] = brokenApp(e, tt.path, tt.annotations)
				return files
			})
			if tt.link[0] != "" {
				e.commitSymlink(t, tt.link[0], tt.link[1])
			}
			e.push(t, "team/guestbook", "v1", "v2")
			e.push(t, "team/broken", "v1", "v2")

			code, out, _ := e.imagepilot(t, "plan")
			if code != cli.ExitFailedCycle || !strings.Contains(out, "images: 1 to update, 0 skipped, 1 errors") {
				t.Fatalf("plan exit %d, want %d with 1 update and 1 error:\n%s", code, cli.ExitFailedCycle, out)
			}
			if !strings.Contains(out, "+    value: v2") {
				t.Errorf("plan does not show the healthy application's change:\n%s", out)
			}
			wc := e.workingCopy(t)
			if st := infra.GitRun(t, wc, "status", "--porcelain", "--ignored"); st != "" {
				t.Errorf("plan left changes in the working copy:\n%s", st)
			}
			if _, err := os.Stat(filepath.Join(wc, ".git", "hooks", "pre-commit")); err == nil {
				t.Error("plan wrote .git/hooks/pre-commit")
			}

			head := e.head(t)
			code, out, stderr := e.imagepilot(t, "run", "--once")
			if code != cli.ExitFailedCycle {
				t.Fatalf("run exit %d, want %d\n%s\n%s", code, cli.ExitFailedCycle, out, stderr)
			}
			if !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v2") || e.head(t) == head {
				t.Fatalf("the healthy application's change did not land\n%s", stderr)
			}
			if msg := infra.GitRun(t, e.bare, "log", "-1", "--format=%B", "main"); strings.Contains(msg, "broken") {
				t.Errorf("the commit names the broken application:\n%s", msg)
			}
			if !strings.Contains(stderr, "images_updated=1 errors=1") {
				t.Errorf("summary does not count 1 update and 1 error:\n%s", stderr)
			}
			if !strings.Contains(stderr, "broken") || !strings.Contains(strings.ToLower(stderr), tt.reason) {
				t.Errorf("log does not name the broken application with %q:\n%s", tt.reason, stderr)
			}

			// The repository keeps working: the next tag lands in the next cycle.
			e.push(t, "team/guestbook", "v3")
			if code, out, stderr := e.imagepilot(t, "run", "--once"); code != cli.ExitFailedCycle || !strings.Contains(e.file(t, "helm/.argocd-source-guestbook.yaml"), "value: v3") {
				t.Fatalf("next cycle: exit %d, v3 not committed\n%s\n%s", code, out, stderr)
			}
			if got := infra.GitRun(t, wc, "rev-parse", "--abbrev-ref", "HEAD"); got == "" || strings.Contains(got, "fatal") {
				t.Fatalf("working copy HEAD: %q", got)
			}
		})
	}
}

// commitSymlink adds the symbolic link name -> target on main.
func (e *env) commitSymlink(t *testing.T, name, target string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "clone")
	infra.GitRun(t, filepath.Dir(work), "clone", "--quiet", "--branch", "main", e.bare, work)
	p := filepath.Join(work, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	infra.GitRun(t, work, "add", "--all")
	infra.GitRun(t, work, "commit", "--quiet", "-m", "link "+name)
	infra.GitRun(t, work, "push", "--quiet", "origin", "main")
}

// TestSymlinkedValuesFileWrittenThrough: helm/values.yaml is a link to
// shared/values.yaml; the commit changes shared/values.yaml and the link
// stays a link.
func TestSymlinkedValuesFileWrittenThrough(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		files := chart(e, "    argocd-image-updater.argoproj.io/write-back-target: helmvalues\n")
		files["shared/values.yaml"] = files["helm/values.yaml"]
		delete(files, "helm/values.yaml")
		return files
	})
	e.commitSymlink(t, "helm/values.yaml", "../shared/values.yaml")
	e.push(t, "team/guestbook", "v1", "v2")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if ls := infra.GitRun(t, e.bare, "ls-tree", "main", "helm/values.yaml"); !strings.HasPrefix(ls, "120000 ") {
		t.Fatalf("helm/values.yaml is no longer a link: %s", ls)
	}
	if link := e.file(t, "helm/values.yaml"); link != "../shared/values.yaml" {
		t.Fatalf("link target changed to %q", link)
	}
	if got := e.file(t, "shared/values.yaml"); !strings.Contains(got, "tag: v2   # managed by imagepilot") {
		t.Fatalf("shared/values.yaml not updated:\n%s", got)
	}
}

// TestPlanLeavesWorkingCopyClean: a dry run renders its edits in memory;
// the cached working copy has no changed or new file afterwards.
func TestPlanLeavesWorkingCopyClean(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		return chart(e, "    argocd-image-updater.argoproj.io/write-back-target: helmvalues\n")
	})
	e.push(t, "team/guestbook", "v1", "v2")
	for _, args := range [][]string{{"plan"}, {"run", "--once", "--dry-run"}} {
		code, out, stderr := e.imagepilot(t, args...)
		if code != 0 || !strings.Contains(out, "+    tag: v2") {
			t.Fatalf("%v exit %d\n%s\n%s", args, code, out, stderr)
		}
		if st := infra.GitRun(t, e.workingCopy(t), "status", "--porcelain", "--ignored"); st != "" {
			t.Fatalf("%v left changes in the working copy:\n%s", args, st)
		}
	}
}
