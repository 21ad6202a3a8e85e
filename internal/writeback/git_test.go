package writeback

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// bareRepo makes a bare repository whose main branch holds files.
func bareRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	seed := checkout(t, files)
	bare := filepath.Join(t.TempDir(), "repo.git")
	gitCmd(t, seed, "init", "--quiet", "--initial-branch=main")
	gitCmd(t, seed, "add", "--all")
	gitCmd(t, seed, "commit", "--quiet", "-m", "seed")
	gitCmd(t, filepath.Dir(bare), "clone", "--quiet", "--bare", seed, bare)
	return bare
}

// TestGitWriterCountsWhatWentOut: a broken application next to a healthy
// one on the same branch, and one with an invalid write-branch template:
// the healthy change is pushed, only the broken applications fail.
func TestGitWriterCountsWhatWentOut(t *testing.T) {
	bare := bareRepo(t, map[string]string{
		"a/values.yaml": "web:\n  repository: reg/web\n  tag: v1\n",
		"b/values.yaml": "c: &c\n  tag: v1\nimg: *c\n",
		"d/values.yaml": "img:\n  tag: v1\n",
	})
	decide := func(app, path, prefix string) updater.Decision {
		d := helmUpdate(t, app, "reg/"+app, path, prefix, "v1", "v2")
		d.Target.Source.RepoURL, d.Target.Source.TargetRevision = bare, "main"
		return d
	}
	healthy, alias, tmpl := decide("a", "a", "web"), decide("b", "b", "img"), decide("d", "d", "img")
	tmpl.Target.WriteBack.Branch = "main:bad name {{ .AppName }}"
	for _, dry := range []bool{true, false} {
		mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		head := gitCmd(t, bare, "rev-parse", "main")
		res := (&GitWriter{Git: mgr, DryRun: dry}).Apply(context.Background(), []updater.Decision{alias, healthy, tmpl})
		failed := FailedApps(res)
		if len(failed) != 2 || !failed[alias.Target.App] || !failed[tmpl.Target.App] || failed[healthy.Target.App] {
			t.Fatalf("dry=%v: FailedApps = %v; results %+v", dry, failed, res)
		}
		var ok *GroupResult
		for i := range res {
			if res[i].Err == nil {
				ok = &res[i]
			}
		}
		if ok == nil || len(ok.Applied) != 1 || ok.Applied[0].Target.App != healthy.Target.App || !strings.Contains(ok.Diff, "+  tag: v2") {
			t.Fatalf("dry=%v: healthy result %+v", dry, ok)
		}
		moved := gitCmd(t, bare, "rev-parse", "main") != head
		if moved == dry || ok.Pushed == dry {
			t.Fatalf("dry=%v: main moved=%v pushed=%v", dry, moved, ok.Pushed)
		}
	}
	if got := gitCmd(t, bare, "show", "main:a/values.yaml"); !strings.Contains(got, "tag: v2") {
		t.Fatalf("a/values.yaml on main:\n%s", got)
	}
	if msg := gitCmd(t, bare, "log", "-1", "--format=%B", "main"); strings.Contains(msg, "reg/b") || strings.Contains(msg, "reg/d") {
		t.Fatalf("commit names a failed application:\n%s", msg)
	}
}
