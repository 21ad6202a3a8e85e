package gitint

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/test/infra"
)

// stallingProxy forwards to target; while stall is set, it holds every
// request until the client goes away.
type stallingProxy struct {
	URL     string
	stall   atomic.Bool
	stalled atomic.Int64
}

func startStallingProxy(t *testing.T, target string) *stallingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.stall.Load() {
			p.stalled.Add(1)
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// TestCancelDuringFetchKeepsWorkingCopy: a cycle cancelled (SIGTERM) while
// fetching, and the write-back Open that follows with the same cancelled
// context, must leave the working copy in place; the next start must not
// clone again.
func TestCancelDuringFetchKeepsWorkingCopy(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	proxy := startStallingProxy(t, srv.URL)
	repoURL := proxy.URL + "/app.git"
	cache := t.TempDir()
	m, _ := newManager(t, git.WithCacheDir(cache))
	if _, err := cycle(t, m, repoURL, git.Credentials{}, setKey("values.yaml", "tag", "v2")); err != nil {
		t.Fatal(err)
	}
	dir, err := m.WorkDir(repoURL)
	if err != nil {
		t.Fatal(err)
	}

	proxy.stall.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := m.Open(ctx, repoURL, git.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, cancel)
	if err := r.Checkout(ctx, "main"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Checkout during cancel = %v, want context.Canceled", err)
	}
	r.Close()
	if proxy.stalled.Load() == 0 {
		t.Fatal("the fetch never reached the stalling proxy")
	}
	if _, err := m.Open(ctx, repoURL, git.Credentials{}); err == nil {
		t.Fatal("Open with a cancelled context succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		t.Fatalf("working copy removed after cancellation: %v", err)
	}

	proxy.stall.Store(false)
	next, _ := newManager(t, git.WithCacheDir(cache))
	if _, err := cycle(t, next, repoURL, git.Credentials{}, setKey("values.yaml", "tag", "v3")); err != nil {
		t.Fatalf("cycle after the cancelled one: %v", err)
	}
	if st := next.Stats(); st.Clones != 0 {
		t.Fatalf("next start cloned again: %+v", st)
	}
	if got := show(t, srv.RepoPath("app.git"), "main", "values.yaml"); got != "tag: v3" {
		t.Fatalf("remote values.yaml = %q", got)
	}
}

// TestCancelDuringWorkingCopyCheckKeepsIt: SIGTERM arriving while Open
// checks the existing working copy is not corruption.
func TestCancelDuringWorkingCopyCheckKeepsIt(t *testing.T) {
	srv := infra.StartGitHTTP(t, infra.GitHTTPOptions{})
	infra.GitBareRepoFromFiles(t, srv.RepoPath("app.git"), "main", map[string]string{"values.yaml": "tag: v1\n"})
	url := srv.RepoURL("app.git")
	cache := t.TempDir()
	first, _ := newManager(t, git.WithCacheDir(cache))
	if _, err := cycle(t, first, url, git.Credentials{}, setKey("values.yaml", "tag", "v2")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	checks := 0
	m, _ := newManager(t, git.WithCacheDir(cache), git.WithCommandHook(func(c git.Command) {
		if len(c.Args) > 0 && c.Args[0] == "rev-parse" {
			checks++
			cancel() // the signal arrives while git checks the copy
		}
	}))
	if _, err := m.Open(ctx, url, git.Credentials{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open = %v, want context.Canceled", err)
	}
	if checks == 0 {
		t.Fatal("Open never checked the working copy")
	}
	next, _ := newManager(t, git.WithCacheDir(cache))
	if _, err := cycle(t, next, url, git.Credentials{}, setKey("values.yaml", "tag", "v3")); err != nil {
		t.Fatal(err)
	}
	if st := next.Stats(); st.Clones != 0 || m.Stats().Clones != 0 {
		t.Fatalf("cloned again after a cancelled check: next %+v, cancelled %+v", st, m.Stats())
	}
}
