package repomode

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/demo"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// These tests run whole cycles on the demo playground: an in-process
// registry (guestbook v1..v4, redis 6.0.5/6.2.14/7.2.4) and a bare Git
// repository with the guestbook chart and its annotated Application
// (redis constrained to ~6.0, so it never moves).

const (
	ourEmail    = "imagepilot@localhost"
	sourceFile  = "helm/.argocd-source-guestbook.yaml"
	guestbookID = "guestbook"
)

type playground struct {
	*demo.Playground
	runner *Runner
	log    *syncBuffer
}

func newPlayground(t *testing.T) *playground {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	p, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	conf, err := registryconf.Load(p.RegistriesConf)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New(registry.WithResolver(conf.Lookup))
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := git.NewManager(git.WithCacheDir(t.TempDir()), git.WithAuthor("imagepilot", ourEmail), git.WithCloneDepth(0))
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	r := &Runner{
		RepoURL: p.RepoPath, Git: mgr, Registry: rc, Resolver: access.NewResolver(conf, nil),
		Writer:      &writeback.GitWriter{Git: mgr, Layout: writeback.NewLayout("argocd")},
		AuthorEmail: ourEmail, Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return &playground{Playground: p, runner: r, log: log}
}

// decisionOf returns the decision of an image (by alias).
func decisionOf(t *testing.T, rep Report, alias string) updater.Decision {
	t.Helper()
	for _, d := range rep.Decisions {
		if d.Target.Image.Alias == alias {
			return d
		}
	}
	t.Fatalf("no decision for %s in %+v", alias, rep.Decisions)
	return updater.Decision{}
}

// commitAs changes the repository as a person would: edit runs in a fresh
// clone, the result is committed by name <email> and pushed.
func (p *playground) commitAs(t *testing.T, name, email, subject string, edit func(dir string)) {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email, "GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("clone", "--quiet", p.RepoPath, ".")
	edit(dir)
	run("add", "--all")
	run("commit", "--quiet", "--allow-empty", "-m", subject)
	run("push", "--quiet", "origin", "main")
}

// setTag rewrites the guestbook tag of the write-back file.
func setTag(t *testing.T, from, to string) func(dir string) {
	return func(dir string) {
		t.Helper()
		p := filepath.Join(dir, sourceFile)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "value: "+from) {
			t.Fatalf("%s does not hold %s:\n%s", sourceFile, from, data)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), "value: "+from, "value: "+to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (p *playground) run(t *testing.T) Report {
	t.Helper()
	rep, err := p.runner.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("cycle: %v\n%s", err, p.log.String())
	}
	return rep
}

// deployed returns the write-back file on main, "" while there is none.
func (p *playground) deployed(t *testing.T) string {
	t.Helper()
	data, err := p.File(context.Background(), sourceFile)
	if err != nil && strings.Contains(err.Error(), "does not exist in 'main'") {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCycleUpdatesThenRests: the first cycle commits v4, the
// second finds nothing to do; the observer sees both.
func TestCycleUpdatesThenRests(t *testing.T) {
	p := newPlayground(t)
	var observed []Report
	p.runner.Observe = func(start, end time.Time, rep Report, err error) {
		if err != nil || end.Before(start) {
			t.Errorf("observed %v..%v %v", start, end, err)
		}
		observed = append(observed, rep)
	}
	rep := p.run(t)
	if rep.Branch != "main" || rep.Applications != 1 || len(rep.Decisions) != 2 || rep.Err() != nil {
		t.Fatalf("report %+v", rep)
	}
	if d := decisionOf(t, rep, guestbookID); d.Action != updater.ActionUpdate || d.NewTag != "v4" || d.Reason != "v1 -> v4" {
		t.Fatalf("guestbook %s %q", d.Action, d.Reason)
	}
	if d := decisionOf(t, rep, "redis-master"); d.Action != updater.ActionSkip {
		t.Fatalf("redis %s %q: ~6.0 allows only 6.0.5", d.Action, d.Reason)
	}
	if len(rep.Git) != 1 || rep.Git[0].Commit == "" || !rep.Git[0].Pushed {
		t.Fatalf("git results %+v", rep.Git)
	}
	if f := p.deployed(t); !strings.Contains(f, "value: v4") {
		t.Fatalf("%s:\n%s", sourceFile, f)
	}
	again := p.run(t)
	if d := decisionOf(t, again, guestbookID); d.Action != updater.ActionSkip || d.Current.Tag != "v4" {
		t.Fatalf("second cycle: %s %q (current %q)", d.Action, d.Reason, d.Current.Tag)
	}
	if len(again.Git) != 0 {
		t.Fatalf("second cycle wrote %+v", again.Git)
	}
	if len(observed) != 2 || observed[0].Summary() != rep.Summary() {
		t.Fatalf("observed %d reports", len(observed))
	}
}

// TestRollbackDetection: a person setting the value back holds the image,
// naming who did it; later commits that keep the value do not change who;
// a commit with the release marker lets updates resume.
func TestRollbackDetection(t *testing.T) {
	p := newPlayground(t)
	p.run(t) // imagepilot writes v4
	p.commitAs(t, "Alice", "alice@example.com", "roll back guestbook: v4 breaks login", setTag(t, "v4", "v2"))
	p.commitAs(t, "Bob", "bob@example.com", "touch the file, keep the value", func(dir string) {
		f, err := os.OpenFile(filepath.Join(dir, sourceFile), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString("# pinned while we investigate\n")
	})

	rep := p.run(t)
	d := decisionOf(t, rep, guestbookID)
	if d.Action != updater.ActionSkip || !d.Held || !strings.Contains(d.Reason, "rolled back from v4 by Alice in ") || !strings.Contains(d.Reason, ReleaseMarker) {
		t.Fatalf("after the rollback: %s held=%v %q", d.Action, d.Held, d.Reason)
	}
	if d.Current.Tag != "v2" || len(rep.Git) != 0 {
		t.Fatalf("current %q, writes %+v", d.Current.Tag, rep.Git)
	}
	if !strings.Contains(p.log.String(), `msg="image held"`) {
		t.Fatalf("hold not logged:\n%s", p.log.String())
	}

	p.commitAs(t, "Alice", "alice@example.com", "fixed login "+ReleaseMarker, setTag(t, "v2", "v3"))
	rep = p.run(t)
	if d := decisionOf(t, rep, guestbookID); d.Action != updater.ActionUpdate || d.Reason != "v3 -> v4" {
		t.Fatalf("after the release marker: %s %q", d.Action, d.Reason)
	}
}

// TestUpstreamCommitsCountAsOurs: a value last written by Argo CD Image
// Updater's default author and changed by a person is a rollback too.
func TestUpstreamCommitsCountAsOurs(t *testing.T) {
	p := newPlayground(t)
	p.runner.AuthorEmail = "someone-else@example.com"
	p.run(t) // written as ourEmail, which no longer counts as ours
	p.commitAs(t, "Alice", "alice@example.com", "roll back", setTag(t, "v4", "v2"))
	p.runner.Writer.DryRun = true // plan only: the history stays as it is
	if d := decisionOf(t, p.run(t), guestbookID); d.Action != updater.ActionUpdate {
		t.Fatalf("history without our commits: %s %q, want an update", d.Action, d.Reason)
	}
	p.commitAs(t, "argocd-image-updater", UpstreamAuthorEmail, "build: automatic update of guestbook", setTag(t, "v2", "v4"))
	p.commitAs(t, "Alice", "alice@example.com", "roll back again", setTag(t, "v4", "v1"))
	if d := decisionOf(t, p.run(t), guestbookID); !d.Held || !strings.Contains(d.Reason, "rolled back from v4 by Alice") {
		t.Fatalf("after upstream's commit and a rollback: %s %q", d.Action, d.Reason)
	}
}

// TestHoldsInTheRepository places, lists and releases holds through the
// service, as the CLI and the trigger API do.
func TestHoldsInTheRepository(t *testing.T) {
	p := newPlayground(t)
	ctx := context.Background()
	svc := p.runner.Holds(new(cycle.Lock))
	since := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if _, err := svc.Hold(ctx, holds.Hold{Application: "argocd/guestbook", Image: guestbookID, Version: "v2", Reason: "freeze", By: "ana", Since: since}); err != nil {
		t.Fatal(err)
	}
	commit, err := p.LastCommit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"imagepilot: hold argocd/guestbook guestbook at v2", "freeze", holds.Path, sourceFile} {
		if !strings.Contains(commit, want) {
			t.Errorf("hold commit lacks %q:\n%s", want, commit)
		}
	}
	if f := p.deployed(t); !strings.Contains(f, "value: v2") {
		t.Fatalf("held version not written:\n%s", f)
	}
	set, err := svc.List(ctx)
	if err != nil || len(set.Holds) != 1 || set.Holds[0].By != "ana" || !set.Holds[0].Since.Equal(since) {
		t.Fatalf("list %+v %v", set, err)
	}
	if d := decisionOf(t, p.run(t), guestbookID); d.Action != updater.ActionSkip || !d.Held || !strings.Contains(d.Reason, "pinned at v2 by ana") {
		t.Fatalf("held image: %s %q", d.Action, d.Reason)
	}

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{name: "a hold on an image the application does not have", call: func() error {
			_, err := svc.Hold(ctx, holds.Hold{Application: "guestbook", Image: "postgres"})
			return err
		}, want: holds.ErrNoSuchImage},
		{name: "a hold on another application", call: func() error {
			_, err := svc.Hold(ctx, holds.Hold{Application: "argocd/shop", Image: guestbookID})
			return err
		}, want: holds.ErrNoSuchImage},
		{name: "a release of an image not held", call: func() error { return svc.Release(ctx, "argocd/guestbook", "redis-master") }, want: holds.ErrNoSuchImage},
		{name: "the release", call: func() error { return svc.Release(ctx, "argocd/guestbook", guestbookID) }},
		{name: "a second release", call: func() error { return svc.Release(ctx, "argocd/guestbook", guestbookID) }, want: holds.ErrNoSuchImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	// Released by a commit of imagepilot's own: no rollback, updates resume.
	if d := decisionOf(t, p.run(t), guestbookID); d.Action != updater.ActionUpdate || d.Reason != "v2 -> v4" {
		t.Fatalf("after the release: %s %q", d.Action, d.Reason)
	}
}

// TestUnreadableHoldsStopTheCycle: a holds file that does not parse stops
// every update, with the file named.
func TestUnreadableHoldsStopTheCycle(t *testing.T) {
	p := newPlayground(t)
	p.commitAs(t, "Alice", "alice@example.com", "hand-edit holds", func(dir string) {
		if err := os.MkdirAll(filepath.Join(dir, ".imagepilot"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, holds.Path), []byte("holds:\n- application: guestbook\n  colour: red\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	rep, err := p.runner.RunOnce(context.Background())
	if err == nil || !errors.Is(err, holds.ErrInvalid) || !strings.Contains(err.Error(), "no image is updated until it is fixed") || !strings.Contains(err.Error(), holds.Path) {
		t.Fatalf("cycle error %v", err)
	}
	if len(rep.Decisions) != 0 || p.deployed(t) != "" {
		t.Fatalf("an image moved: %+v", rep.Decisions)
	}
}

// TestBackendCheck runs the trigger API's check on the playground.
func TestBackendCheck(t *testing.T) {
	p := newPlayground(t)
	b := p.runner.Backend(new(cycle.Lock))
	ctx := context.Background()
	res, err := b.Check(ctx, api.CheckRequest{Application: "guestbook", Image: guestbookID})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) != 1 || res.Decisions[0].To != "v4" || len(res.Commits) != 1 || res.Commits[0].Commit == "" {
		t.Fatalf("check %+v", res)
	}
	if _, err := b.Check(ctx, api.CheckRequest{Application: "guestbook", Image: "postgres"}); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("check of an unknown image: %v", err)
	}
}

// TestRunForLimitsTheCycle: a filter leaves the other images out of the
// cycle altogether, as a registry webhook for one repository does.
func TestRunForLimitsTheCycle(t *testing.T) {
	p := newPlayground(t)
	rep, err := p.runner.RunFor(context.Background(), func(tg target.Target) bool { return tg.Image.Alias == "redis-master" })
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Decisions) != 1 || rep.Decisions[0].Target.Image.Alias != "redis-master" || len(rep.Git) != 0 {
		t.Fatalf("filtered cycle %+v", rep.Decisions)
	}
	if p.deployed(t) != "" {
		t.Fatal("the filtered-out image moved")
	}
}

// TestDryRunChangesNothing: with the writer's DryRun the plan is made and
// the diff computed, nothing is pushed.
func TestDryRunChangesNothing(t *testing.T) {
	p := newPlayground(t)
	p.runner.Writer.DryRun = true
	before, _ := p.LastCommit(context.Background())
	rep := p.run(t)
	if d := decisionOf(t, rep, guestbookID); d.Action != updater.ActionUpdate {
		t.Fatalf("plan %s %q", d.Action, d.Reason)
	}
	if len(rep.Git) != 1 || rep.Git[0].Pushed || !strings.Contains(rep.Git[0].Diff, "+") || !strings.Contains(rep.Git[0].Diff, "value: v4") {
		t.Fatalf("dry-run result %+v", rep.Git)
	}
	if after, _ := p.LastCommit(context.Background()); after != before {
		t.Fatal("a dry run committed")
	}
}

// TestBranchErrors: a branch that does not exist fails the cycle naming it.
func TestBranchErrors(t *testing.T) {
	p := newPlayground(t)
	p.runner.Branch = "no-such-branch"
	_, err := p.runner.RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "checking out no-such-branch") {
		t.Fatalf("error %v", err)
	}
	p.runner.Branch = "HEAD" // the remote's default branch
	if rep := p.run(t); rep.Branch != "main" {
		t.Fatalf("HEAD resolved to %q", rep.Branch)
	}
}

// TestRollbackOfTwoImagesInOneFile: both images of the application move in
// one commit and a person sets both back in one commit; each is held with
// its own value (one history read serves both).
func TestRollbackOfTwoImagesInOneFile(t *testing.T) {
	p := newPlayground(t)
	p.commitAs(t, "Ops", "ops@example.com", "let redis move within 6.x", func(dir string) {
		f := filepath.Join(dir, "apps", "guestbook.yaml")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(strings.Replace(string(data), "/redis:~6.0", "/redis:~6", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	rep := p.run(t)
	if d := decisionOf(t, rep, "redis-master"); d.Action != updater.ActionUpdate || d.NewTag != "6.2.14" {
		t.Fatalf("redis: %s %q", d.Action, d.Reason)
	}
	p.commitAs(t, "Alice", "alice@example.com", "roll back both", func(dir string) {
		setTag(t, "v4", "v1")(dir)
		setTag(t, "6.2.14", "6.0.5")(dir)
	})
	rep = p.run(t)
	for alias, from := range map[string]string{guestbookID: "v4", "redis-master": "6.2.14"} {
		d := decisionOf(t, rep, alias)
		if d.Action != updater.ActionSkip || !d.Held || !strings.Contains(d.Reason, "rolled back from "+from+" by Alice") {
			t.Errorf("%s: %s held=%v %q, want held from %s", alias, d.Action, d.Held, d.Reason, from)
		}
	}
	if len(rep.Git) != 0 {
		t.Fatalf("held images written: %+v", rep.Git)
	}
}
