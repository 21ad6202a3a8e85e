package repomode_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

func overrideFile(registry, tag string) string {
	return fmt.Sprintf("helm:\n  parameters:\n  - name: frontend.image.repository\n    value: %s/team/guestbook\n    forcestring: true\n  - name: frontend.image.tag\n    value: %s\n    forcestring: true\n", registry, tag)
}

func TestRollbackIsHeldUntilANewerTag(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2", "v3")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v3") {
		t.Fatalf("first cycle wrote:\n%s", got)
	}

	// A person rolls back to v2.
	infra.GitPushFiles(t, e.bare, "main", "Roll guestbook back to v2", map[string]string{
		"helm/.argocd-source-guestbook.yaml": overrideFile(e.reg.Host, "v2"),
	})
	head := e.head(t)
	code, out, stderr := e.imagepilot(t, "plan")
	if code != 0 || !strings.Contains(out, "held at v2: rolled back from v3 by Test") {
		t.Fatalf("plan exit %d does not show the hold:\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = e.imagepilot(t, "run", "--once")
	if code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	// One line for the image, with its final outcome: never "update
	// planned" for an image that is then held.
	if strings.Contains(stderr, "image update planned") || strings.Count(stderr, "msg=\"image held\"") != 1 {
		t.Fatalf("the held image is not logged once as held:\n%s", stderr)
	}
	if got := e.head(t); got != head {
		t.Fatalf("the rollback was overwritten by %s:\n%s", got, e.file(t, "helm/.argocd-source-guestbook.yaml"))
	}

	// A tag newer than both ends the hold.
	e.push(t, "team/guestbook", "v4")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v4") {
		t.Fatalf("after v4:\n%s", got)
	}
}

func TestReleaseMarkerEndsTheHold(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2", "v3")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	infra.GitPushFiles(t, e.bare, "main", "Roll back to v1 [imagepilot release]", map[string]string{
		"helm/.argocd-source-guestbook.yaml": overrideFile(e.reg.Host, "v1"),
	})
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); got != overrideFile(e.reg.Host, "v3") {
		t.Fatalf("released value not moved:\n%s", got)
	}
}

// The hold names the commit that set the value, not a later one that only
// touched the file.
func TestRollbackHoldNamesTheCommitThatSetTheValue(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2", "v3")
	if code, out, stderr := e.imagepilot(t, "run", "--once"); code != 0 {
		t.Fatalf("run exit %d\n%s\n%s", code, out, stderr)
	}
	rollback := strings.TrimSpace(infra.GitPushFiles(t, e.bare, "main", "Roll guestbook back to v2", map[string]string{
		"helm/.argocd-source-guestbook.yaml": overrideFile(e.reg.Host, "v2"),
	}))
	later := strings.TrimSpace(infra.GitPushFiles(t, e.bare, "main", "Comment the override file", map[string]string{
		"helm/.argocd-source-guestbook.yaml": "# pinned during the incident\n" + overrideFile(e.reg.Host, "v2"),
	}))
	code, out, stderr := e.imagepilot(t, "plan")
	if code != 0 || !strings.Contains(out, "held at v2: rolled back from v3 by Test in "+rollback[:12]) {
		t.Fatalf("plan exit %d; want the hold to name %s (not %s):\n%s\n%s", code, rollback[:12], later[:12], out, stderr)
	}
}
