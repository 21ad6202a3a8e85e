package gitint

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

// soakRounds returns short unless IMAGEPILOT_SOAK=1 asks for the full soak
// (IMAGEPILOT_SOAK_ROUNDS overrides both).
func soakRounds(t *testing.T, short, soak int) int {
	t.Helper()
	if v := os.Getenv("IMAGEPILOT_SOAK_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("IMAGEPILOT_SOAK_ROUNDS=%q", v)
		}
		return n
	}
	if os.Getenv("IMAGEPILOT_SOAK") == "1" {
		return soak
	}
	return short
}

// TestSoakConcurrentWriters: per round, two imagepilot processes sharing
// one cache directory (two Managers: flock sees them as separate), a dry
// run that dirties the shared working copy the way a plan's edits would,
// and a human pushing the same branch, all at once. Every commit reported
// as pushed and every human commit must be on the branch, and both writers'
// changes must be there.
func TestSoakConcurrentWriters(t *testing.T) {
	rounds := soakRounds(t, 10, 100)
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "seed: 0\n", "human.txt": "0\n"})
	url := srv.RepoURL("app.git")
	creds := git.Credentials{Username: httpUser, Password: httpPassword}
	humanURL := strings.Replace(url, "http://", "http://"+httpUser+":"+httpPassword+"@", 1)
	cache := t.TempDir()
	var writers [2]*git.Manager
	for i := range writers {
		writers[i], _ = newManager(t, git.WithCacheDir(cache), git.WithPushAttempts(20))
	}
	planner, _ := newManager(t, git.WithCacheDir(cache))
	start := time.Now()
	var rejections int64
	for round := range rounds {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		var reported []string
		fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
		for i, m := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := cycleErr(m, url, creds, setKey("values.yaml", fmt.Sprintf("w%d-r%d", i, round), "x"))
				if err != nil {
					fail(fmt.Errorf("writer %d: %w", i, err))
					return
				}
				if !res.Pushed {
					fail(fmt.Errorf("writer %d: nothing pushed", i))
				}
				mu.Lock()
				reported = append(reported, res.Commit)
				mu.Unlock()
			}()
		}
		wg.Add(1)
		go func() { // a dry run: checks out and edits, never commits
			defer wg.Done()
			if err := dryRun(planner, url, creds); err != nil {
				fail(fmt.Errorf("dry run: %w", err))
			}
		}()
		human := humanPushRetry(t, humanURL, "human.txt", "h"+strconv.Itoa(round)+"\n")
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("round %d: %v", round, errs)
		}
		for _, c := range append(reported, human) {
			infra.GitRun(t, bare, "merge-base", "--is-ancestor", c, "main")
		}
		values := show(t, bare, "main", "values.yaml")
		for i := range writers {
			if !containsLine(values, fmt.Sprintf("w%d-r%d: x", i, round)) {
				t.Fatalf("round %d: writer %d's change lost: %q", round, i, values)
			}
		}
	}
	for _, m := range writers {
		rejections += m.Stats().PushRejections
	}
	commits := infra.GitRun(t, bare, "rev-list", "--count", "main")
	t.Logf("FIGURE concurrent writers: %d rounds x (2 imagepilot writers + 1 dry run + 1 human) on one cache dir: "+
		"0 lost commits, %s commits on main, %d push rejections retried, %s",
		rounds, commits, rejections, time.Since(start).Round(time.Millisecond))
}

// humanPushRetry commits content to file as a person would and pushes,
// rebasing onto the new head when the push is rejected (bounded).
func humanPushRetry(t *testing.T, remote, file, content string) string {
	t.Helper()
	work := filepath.Join(t.TempDir(), "human")
	infra.GitRun(t, filepath.Dir(work), "clone", "--quiet", "--branch", "main", remote, work)
	if err := os.WriteFile(filepath.Join(work, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	infra.GitRun(t, work, "commit", "--quiet", "-am", "human edit")
	for range 20 {
		cmd := exec.Command("git", "push", "--quiet", "origin", "main")
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
		if out, err := cmd.CombinedOutput(); err == nil {
			return infra.GitRun(t, work, "rev-parse", "HEAD")
		} else if !strings.Contains(string(out), "rejected") {
			t.Fatalf("human push: %v\n%s", err, out)
		}
		infra.GitRun(t, work, "pull", "--quiet", "--rebase", "origin", "main")
	}
	t.Fatal("human push kept being rejected")
	return ""
}

// cycleErr is cycle without testing.T (safe from goroutines).
func cycleErr(m *git.Manager, url string, creds git.Credentials, apply func(string) (bool, error)) (git.PushResult, error) {
	r, err := m.Open(bgCtx(), url, creds)
	if err != nil {
		return git.PushResult{}, err
	}
	defer r.Close()
	return r.CommitAndPush(bgCtx(), git.CommitRequest{Branch: "main", Message: "build: automatic update", Apply: apply})
}

// dryRun does what plan does to the shared working copy: check out, then
// leave edits behind.
func dryRun(m *git.Manager, url string, creds git.Credentials) error {
	r, err := m.Open(bgCtx(), url, creds)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Checkout(bgCtx(), "main"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.Dir(), "values.yaml"), []byte("dry: run\n"), 0o644)
}

// TestSoakKillNine kills a process that runs write-back cycles with a
// password in its repository URL at random points (including during the
// first clone), then checks: the remote is consistent (fsck) and holds
// every commit that process reported as pushed; no file under TMPDIR or
// the cache holds the password; the next start sweeps the dead process's
// leftovers and its first cycle works.
func TestSoakKillNine(t *testing.T) {
	rounds := soakRounds(t, 10, 50)
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{Username: httpUser, Password: httpPassword})
	bare := srv.RepoPath("app.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"values.yaml": "seed: 0\n"})
	url := strings.Replace(srv.RepoURL("app.git"), "http://", "http://"+httpUser+":"+httpPassword+"@", 1)
	cache := t.TempDir()
	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp) // the helper inherits it
	var pushed []string
	leftovers := 0
	start := time.Now()
	for round := range rounds {
		if round%4 == 0 {
			_ = os.RemoveAll(cache) // so that some kills land in a clone
		}
		p := startHelper(t, "cycles", helperURLEnv+"="+url, helperCacheEnv+"="+cache)
		time.Sleep(time.Duration(rand.IntN(1200)) * time.Millisecond)
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		for l := range p.lines {
			if sha, ok := strings.CutPrefix(l, "pushed "); ok {
				pushed = append(pushed, sha)
			}
		}
		leftovers += countSessions(t, tmp)
		assertNoFileContains(t, httpPassword, tmp, cache)
		assertRemoteConsistent(t, bare, round)
		for _, sha := range pushed {
			infra.GitRun(t, bare, "merge-base", "--is-ancestor", sha, "main")
		}
		next, _ := newManager(t, git.WithCacheDir(cache))
		if n := countSessions(t, tmp); n != 0 {
			t.Fatalf("round %d: %d session directories survive the next start", round, n)
		}
		if _, err := cycle(t, next, url, git.Credentials{}, setKey("values.yaml", fmt.Sprintf("after-kill-%d", round), "ok")); err != nil {
			t.Fatalf("round %d: first cycle after kill -9: %v", round, err)
		}
		if matches, _ := filepath.Glob(filepath.Join(cache, "*.clone-*")); len(matches) != 0 {
			t.Fatalf("round %d: partial clones left: %v", round, matches)
		}
	}
	t.Logf("FIGURE kill -9: %d kills at random points (0-1.2 s, every 4th from an empty cache), %d pushes reported before the kills all on the remote, "+
		"remote fsck clean, password in no file, %d dead session dirs (no secret inside) swept at the next start, %s",
		rounds, len(pushed), leftovers, time.Since(start).Round(time.Millisecond))
}

// countSessions counts imagepilot-git-* entries under tmp.
func countSessions(t *testing.T, tmp string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(tmp, "imagepilot-git-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// assertNoFileContains fails when any regular file under roots contains
// secret.
func assertNoFileContains(t *testing.T, secret string, roots ...string) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if strings.Contains(string(data), secret) {
				t.Fatalf("%s holds the password", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// assertRemoteConsistent fails with the repository's state when fsck does
// not pass. The server may still be finishing a push the killed process
// had sent completely (the CGI outlives its client), and fsck racing with a
// ref update reports the new head as missing, so fsck gets a few seconds to
// see the repository settle; a real inconsistency does not go away.
func assertRemoteConsistent(t *testing.T, bare string, round int) {
	t.Helper()
	var out []byte
	var err error
	var first []byte
	for try := range 10 {
		cmd := exec.Command("git", "fsck", "--no-progress", "--no-dangling")
		cmd.Dir = bare
		if out, err = cmd.CombinedOutput(); err == nil {
			if try > 0 {
				t.Logf("round %d: remote settled after %d fsck runs; the first said: %s", round, try+1, first)
			}
			return
		}
		if first == nil {
			first = out
		}
		time.Sleep(300 * time.Millisecond)
	}
	refs, _ := exec.Command("git", "-C", bare, "for-each-ref").CombinedOutput()
	shallow, _ := os.ReadFile(filepath.Join(bare, "shallow"))
	entries, _ := os.ReadDir(bare)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("round %d: remote fsck: %v\n%s\nrefs:\n%s\nshallow: %q\nentries: %v", round, err, out, refs, shallow, names)
}
