package repomode_test

import (
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// TestWriteBranchTemplate: git-branch "main:image-updates-{{ .AppName }}"
// commits to a write branch created from main; main is left alone.
func TestWriteBranchTemplate(t *testing.T) {
	e := setup(t, func(e *env) map[string]string {
		return chart(e, "    argocd-image-updater.argoproj.io/git-branch: main:image-updates-{{ .AppName }}\n")
	})
	e.push(t, "team/guestbook", "v1", "v2")
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if e.head(t) != head {
		t.Fatal("main moved")
	}
	file := infra.GitRun(t, e.bare, "show", "image-updates-guestbook:helm/.argocd-source-guestbook.yaml")
	if !strings.Contains(file, "value: v2") {
		t.Fatalf("write branch file:\n%s", file)
	}
	if base := infra.GitRun(t, e.bare, "merge-base", "main", "image-updates-guestbook"); base != head {
		t.Fatalf("write branch not based on main: %s vs %s", base, head)
	}
}
