package gitint

import (
	"fmt"
	"sync"
	"testing"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestConcurrentWriterDuringCycle pushes another client's commit between
// our fetch and our push: both changes must survive, without a force push.
func TestConcurrentWriterDuringCycle(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "tag: v1\nreplicas: 1\n", "README": "r\n"})
	m, _ := newManager(t)
	creds := git.Credentials{Username: httpUser, Password: httpPassword}
	var humanCommits []string
	calls := 0
	apply := func(dir string) (bool, error) {
		calls++
		switch calls {
		case 1: // another file
			humanCommits = append(humanCommits, infra.GitPushFiles(t, bare, "main", "docs", map[string]string{"README": "edited\n"}))
		case 2: // the same file, another line
			humanCommits = append(humanCommits, infra.GitPushFiles(t, bare, "main", "scale", map[string]string{"values.yaml": "tag: v1\nreplicas: 3\n"}))
		}
		return setKey("values.yaml", "tag", "v2")(dir)
	}
	res, err := cycle(t, m, srv.RepoURL("app.git"), creds, apply)
	if err != nil || !res.Pushed || res.Attempts != 3 {
		t.Fatalf("cycle = %+v, %v; want pushed on attempt 3", res, err)
	}
	if got := show(t, bare, "main", "values.yaml"); got != "tag: v2\nreplicas: 3" {
		t.Fatalf("values.yaml = %q, want both edits", got)
	}
	if got := show(t, bare, "main", "README"); got != "edited" {
		t.Fatalf("README = %q", got)
	}
	for _, c := range humanCommits {
		infra.GitRun(t, bare, "merge-base", "--is-ancestor", c, "main") // fails the test if rewritten
	}
	if st := m.Stats(); st.PushRejections != 2 {
		t.Fatalf("stats = %+v, want 2 rejections", st)
	}
}

// TestParallelManagersConverge runs writers with separate working copies
// (as separate replicas would) against one branch at the same time.
func TestParallelManagersConverge(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "seed: 0\n"})
	const writers = 3
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		m, _ := newManager(t, git.WithPushAttempts(10))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = cycle(t, m, srv.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", fmt.Sprintf("w%d", i), "done"))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	got := show(t, bare, "main", "values.yaml")
	if n := len(splitLines(got)); n != writers+1 {
		t.Fatalf("values.yaml = %q, want the seed and one line per writer", got)
	}
	for i := range writers {
		if !containsLine(got, fmt.Sprintf("w%d: done", i)) {
			t.Fatalf("writer %d lost: %q", i, got)
		}
	}
}

// TestSharedManagerSerialisesUsers has goroutines share one working copy.
func TestSharedManagerSerialisesUsers(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "seed: 0\n"})
	m, _ := newManager(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = cycle(t, m, srv.RepoURL("app.git"), git.Credentials{}, setKey("values.yaml", fmt.Sprintf("g%d", i), "x"))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	st := m.Stats()
	if st.Clones != 1 || st.PushRejections != 0 || st.Commits != 3 {
		t.Fatalf("stats = %+v, want 1 clone, 3 commits, no rejections", st)
	}
}

func containsLine(s, line string) bool {
	for _, l := range splitLines(s) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
