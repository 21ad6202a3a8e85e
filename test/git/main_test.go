// Package gitint tests internal/git against real Git servers: smart HTTP
// (git-http-backend) with Basic auth and HTTPS, git daemon, and OpenSSH.
package gitint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

// recorder keeps every command the package builds, for secret checks.
type recorder struct {
	mu   sync.Mutex
	cmds []git.Command
}

func (r *recorder) hook(c git.Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, c)
}

// assertNoSecret fails when any recorded argument or added environment
// entry contains one of secrets.
func (r *recorder) assertNoSecret(t *testing.T, secrets ...string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cmds) == 0 {
		t.Fatal("no command recorded")
	}
	for _, c := range r.cmds {
		all := strings.Join(c.Args, " ") + " " + strings.Join(c.Env, " ")
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Fatalf("command %v carries a secret", c.Args)
			}
		}
	}
}

func newManager(t *testing.T, opts ...git.Option) (*git.Manager, *recorder) {
	t.Helper()
	rec := &recorder{}
	base := []git.Option{git.WithCacheDir(t.TempDir()), git.WithCommandTimeout(time.Minute),
		git.WithRetryBackoff(10 * time.Millisecond), git.WithCommandHook(rec.hook),
		git.WithAuthor("imagepilot", "imagepilot@example.com")}
	m, err := git.NewManager(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m, rec
}

// setKey returns an Apply that sets "key: value" in file, keeping every
// other line, and reports whether anything changed.
func setKey(file, key, value string) func(string) (bool, error) {
	return func(dir string) (bool, error) {
		path := filepath.Join(dir, file)
		data, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			return false, err
		}
		var lines []string
		if len(data) > 0 {
			lines = strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		}
		found := false
		for i, l := range lines {
			if k, v, ok := strings.Cut(l, ": "); ok && k == key {
				if v == value {
					return false, nil
				}
				lines[i], found = key+": "+value, true
			}
		}
		if !found {
			lines = append(lines, key+": "+value)
		}
		return true, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
}

// cycle opens url, commits Apply to main and closes the repository.
func cycle(t *testing.T, m *git.Manager, url string, creds git.Credentials, apply func(string) (bool, error)) (git.PushResult, error) {
	t.Helper()
	ctx := context.Background()
	r, err := m.Open(ctx, url, creds)
	if err != nil {
		return git.PushResult{}, err
	}
	defer r.Close()
	return r.CommitAndPush(ctx, git.CommitRequest{Branch: "main", Message: "build: automatic update", Apply: apply})
}

func show(t *testing.T, bare, rev, path string) string {
	t.Helper()
	return infra.GitRun(t, bare, "show", rev+":"+path)
}
