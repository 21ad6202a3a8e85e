package gitint

import (
	"path/filepath"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestGitDaemonCycle(t *testing.T) {
	root := t.TempDir()
	infra.GitBareRepoFromFiles(t, filepath.Join(root, "app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	d := infra.StartGitDaemon(t, root)
	m, _ := newManager(t)
	for _, tag := range []string{"v2", "v3"} {
		res, err := cycle(t, m, d.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", "tag", tag))
		if err != nil || !res.Pushed {
			t.Fatalf("git:// cycle = %+v, %v", res, err)
		}
	}
	if got := show(t, filepath.Join(root, "app.git"), "main", "values.yaml"); got != "tag: v3" {
		t.Fatalf("remote values.yaml = %q", got)
	}
	if st := m.Stats(); st.Clones != 1 || st.Pushes != 2 {
		t.Fatalf("stats = %+v", st)
	}
}
