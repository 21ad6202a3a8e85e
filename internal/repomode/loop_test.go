package repomode

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/webhook"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// syncBuffer is a log sink safe for the loop's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// emptyRepo makes a bare repository whose main branch holds no
// Application: a cycle over it succeeds and changes nothing.
func emptyRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	seed := t.TempDir()
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("no applications\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(seed, "init", "--quiet", "--initial-branch=main")
	run(seed, "add", "--all")
	run(seed, "commit", "--quiet", "-m", "seed")
	bare := filepath.Join(t.TempDir(), "repo.git")
	run(filepath.Dir(bare), "clone", "--quiet", "--bare", seed, bare)
	return bare
}

func testRunner(t *testing.T, repoURL string, log *syncBuffer) *Runner {
	t.Helper()
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{
		RepoURL: repoURL, Git: mgr, Registry: rc,
		Writer: &writeback.GitWriter{Git: mgr, Layout: writeback.NewLayout("argocd")},
		Logger: slog.New(slog.NewTextHandler(log, nil)),
	}
}

func TestLoop(t *testing.T) {
	good := emptyRepo(t)
	missing := filepath.Join(t.TempDir(), "no-such-repo")
	tests := []struct {
		name     string
		repo     string
		once     bool
		interval time.Duration
		runFor   time.Duration // before ctx is cancelled (not once)
		// stopAtReport cancels ctx a moment after the first report (not once)
		stopAtReport bool
		wantErr      bool
		wantReports  int // at least
		wantFailed   int // "update cycle failed" lines, at least
		wantServers  bool
	}{
		{name: "once, clean cycle", repo: good, once: true, wantReports: 1},
		{name: "once, failing cycle", repo: missing, once: true, wantErr: true},
		{name: "polling repeats cycles, failures are logged", repo: missing, interval: 5 * time.Millisecond, runFor: 300 * time.Millisecond, wantFailed: 2, wantServers: true},
		{name: "webhooks only: one cycle, then waits", repo: good, stopAtReport: true, wantReports: 1, wantServers: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log syncBuffer
			var reports atomic.Int32
			var started, stopped atomic.Int32
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			l := &Loop{
				Runner: testRunner(t, tt.repo, &log), Once: tt.once, Interval: tt.interval,
				Report: func(rep Report) {
					if reports.Add(1) == 1 && tt.stopAtReport {
						time.AfterFunc(100*time.Millisecond, cancel) // no second cycle comes meanwhile
					}
					if rep.Branch != "main" || rep.Err() != nil {
						t.Errorf("report %+v", rep)
					}
				},
				Servers: []Server{func(ctx context.Context) error {
					started.Add(1)
					<-ctx.Done()
					stopped.Add(1)
					return nil
				}},
			}
			if tt.runFor > 0 {
				time.AfterFunc(tt.runFor, cancel)
			}
			err := l.Run(ctx)
			if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrCycleFailed)) {
				t.Fatalf("Run: %v, want error %v wrapping ErrCycleFailed", err, tt.wantErr)
			}
			if err != nil && strings.HasPrefix(err.Error(), ErrCycleFailed.Error()) {
				t.Errorf("error %q: want the cycle's own message", err)
			}
			if n := int(reports.Load()); n < tt.wantReports || (tt.wantReports == 0 && n != 0) || (tt.stopAtReport && n != 1) {
				t.Errorf("%d reports, want %d", n, tt.wantReports)
			}
			if n := strings.Count(log.String(), "update cycle failed"); n < tt.wantFailed {
				t.Errorf("%d failed cycles logged, want at least %d:\n%s", n, tt.wantFailed, log.String())
			}
			if s, st := started.Load(), stopped.Load(); (s == 1) != tt.wantServers || s != st {
				t.Errorf("servers started %d stopped %d, want started=%v and every one stopped before Run returned", s, st, tt.wantServers)
			}
			if err := l.Lock.LockContext(context.Background()); err != nil {
				t.Errorf("lock left held: %v", err)
			}
		})
	}
}

func TestWebhookSinkGivesUpWhenTheCycleLockIsBusy(t *testing.T) {
	var log syncBuffer
	r := testRunner(t, filepath.Join(t.TempDir(), "no-such-repo"), &log)
	lock := new(cycle.Lock)
	lock.Lock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	r.WebhookSink(lock).Handle(ctx, webhook.Event{Registry: "docker.io", Repository: "library/nginx"})
	if !strings.Contains(log.String(), "webhook-triggered cycle not run") {
		t.Fatalf("log:\n%s", log.String())
	}
	lock.Unlock()
	// With the lock free, the event runs a cycle (which fails here: the
	// repository does not exist).
	r.WebhookSink(lock).Handle(context.Background(), webhook.Event{Registry: "docker.io", Repository: "library/nginx"})
	if !strings.Contains(log.String(), "webhook-triggered cycle failed") {
		t.Fatalf("log:\n%s", log.String())
	}
}

func TestBackendOnARepositoryWithoutApplications(t *testing.T) {
	var log syncBuffer
	r := testRunner(t, emptyRepo(t), &log)
	b := r.Backend(new(cycle.Lock))
	ctx := context.Background()
	tests := []struct {
		name         string
		call         func() error
		wantNotFound bool
	}{
		{"check everything", func() error { _, err := b.Check(ctx, api.CheckRequest{}); return err }, false},
		{"check a named application", func() error { _, err := b.Check(ctx, api.CheckRequest{Application: "web"}); return err }, true},
		{"list holds", func() error { set, err := b.Holds(ctx); _ = set; return err }, false},
		{"hold an unmanaged image", func() error { return b.Hold(ctx, holds.Hold{Application: "web", Image: "web"}) }, true},
		{"release a missing hold", func() error { return b.Release(ctx, "web", "web") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.wantNotFound != errors.Is(err, api.ErrNotFound) || (!tt.wantNotFound && err != nil) {
				t.Fatalf("err %v, want not found %v", err, tt.wantNotFound)
			}
		})
	}
}
