package repomode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/demo"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func spec(t *testing.T, s string) imagespec.Spec {
	t.Helper()
	sp, err := imagespec.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// outputReport has one of everything a report can print: a problem, a
// skipped application and file, the three actions, and a group per
// write-back outcome (failed, pull request, commit, dry run).
func outputReport(t *testing.T) Report {
	web := target.Target{App: target.AppRef{Namespace: "argocd", Name: "guestbook"}, Image: spec(t, "web=ghcr.io/team/web")}
	db := target.Target{App: target.AppRef{Namespace: "argocd", Name: "guestbook"}, Image: spec(t, "docker.io/library/redis")}
	api := target.Target{App: target.AppRef{Namespace: "team", Name: "api"}, Image: spec(t, "ghcr.io/team/api")}
	update := updater.Decision{Item: updater.Item{Target: web, Current: updater.Current{Tag: "v1"}}, Action: updater.ActionUpdate, NewTag: "v2", Reason: "v1 -> v2"}
	return Report{
		Branch:       "main",
		Skipped:      []SkippedApp{{App: target.AppRef{Namespace: "argocd", Name: "other"}, File: "apps/other.yaml", Reason: "its source is https://git.example.com/other.git"}},
		SkippedFiles: []SkippedFile{{File: "apps/huge.yaml", Reason: "larger than 1 MiB"}},
		Result: cycle.Result{
			Applications: 2,
			Decisions: []updater.Decision{
				update,
				{Item: updater.Item{Target: db, Current: updater.Current{Tag: "7.2"}}, Action: updater.ActionSkip, Reason: "7.2 is already the newest eligible tag"},
				{Item: updater.Item{Target: api}, Action: updater.ActionError, Reason: "listing tags: unauthorized", Err: errors.New("unauthorized")},
			},
			Problems: []error{errors.New("apps/bad.yaml: bad annotation")},
			Git: []writeback.GroupResult{
				{RepoURL: "https://bot:s3cret@git.example.com/a.git", Branch: "main", Err: errors.New("push rejected")},
				{RepoURL: "https://git.example.com/b.git", Branch: "imagepilot/x", Base: "main", PullRequest: &writeback.PullRequestResult{State: writeback.PRStatePlanned, Provider: "gitea", Head: "imagepilot/x", Base: "main"}},
				{RepoURL: "https://git.example.com/c.git", Branch: "main", Commit: "0123456789abcdef0123", Pushed: true, Attempts: 2},
				{RepoURL: "https://git.example.com/d.git", Branch: "dev", Diff: "-tag: v1\n+tag: v2\n", Conflicts: []updater.Decision{update}},
			},
		},
	}
}

func TestReportWriteText(t *testing.T) {
	head := `Branch main: 2 application(s), 3 image(s)
  problem: apps/bad.yaml: bad annotation
  skipped application argocd/other (apps/other.yaml): its source is https://git.example.com/other.git
  skipped file apps/huge.yaml: larger than 1 MiB
  UPDATE argocd/guestbook web: v1 -> v2
  SKIP   argocd/guestbook docker.io/library/redis: 7.2 is already the newest eligible tag
  ERROR  team/api ghcr.io/team/api: listing tags: unauthorized

https://bot:***@git.example.com/a.git (main): FAILED: push rejected

https://git.example.com/b.git (main): would open PR imagepilot/x -> main on gitea

https://git.example.com/c.git (main): committed 0123456789ab (2 push attempt(s))

https://git.example.com/d.git (dev): would change:
  left alone (changed concurrently): argocd/guestbook web
`
	tail := "\nimages: 1 to update, 1 skipped, 2 errors\n"
	tests := []struct {
		name  string
		rep   Report
		diffs bool
		want  string
	}{
		{"every outcome with diffs", outputReport(t), true, head + "-tag: v1\n+tag: v2\n" + tail},
		{"every outcome without diffs", outputReport(t), false, head + tail},
		{"empty cycle", Report{Branch: "dev"}, true, "Branch dev: 0 application(s), 0 image(s)\n\nimages: 0 to update, 0 skipped, 0 errors\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.rep.WriteText(&b, tt.diffs)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestReportPlan(t *testing.T) {
	got, err := json.Marshal(outputReport(t).Plan())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"apiVersion":"imagepilot.io/v1","kind":"Plan","branch":"main","applications":2,` +
		`"decisions":[{"application":"argocd/guestbook","image":"web","action":"update","from":"v1","to":"v2","reason":"v1 -\u003e v2"},` +
		`{"application":"argocd/guestbook","image":"docker.io/library/redis","action":"skip","from":"7.2","reason":"7.2 is already the newest eligible tag"},` +
		`{"application":"team/api","image":"ghcr.io/team/api","action":"error","reason":"listing tags: unauthorized"}],` +
		`"changes":[{"repository":"https://bot:***@git.example.com/a.git","branch":"main","error":"push rejected"},` +
		`{"repository":"https://git.example.com/b.git","branch":"imagepilot/x"},` +
		`{"repository":"https://git.example.com/c.git","branch":"main"},` +
		`{"repository":"https://git.example.com/d.git","branch":"dev","diff":"-tag: v1\n+tag: v2\n","conflicts":["argocd/guestbook web"]}],` +
		`"problems":["apps/bad.yaml: bad annotation"],"skippedApplications":["argocd/other"],` +
		`"skippedFiles":[{"file":"apps/huge.yaml","reason":"larger than 1 MiB"}],"summary":{"toUpdate":1,"skipped":1,"errors":2}}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// An empty report has empty lists, never null: scripts can iterate.
	empty, err := json.Marshal(Report{}.Plan())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"apiVersion":"imagepilot.io/v1","kind":"Plan","branch":"","applications":0,"decisions":[],"changes":[],"problems":[],"skippedApplications":[],"skippedFiles":[],"summary":{"toUpdate":0,"skipped":0,"errors":0}}`; string(empty) != want {
		t.Errorf("empty plan %s", empty)
	}
}

func TestApplicationMatcher(t *testing.T) {
	app := target.Target{App: target.AppRef{Namespace: "team-a", Name: "web"}}
	tests := []struct {
		name string
		want bool
	}{
		{"web", true},
		{"team-a/web", true},
		{"team-b/web", false},
		{"we", false},
		{"", false},
		{"team-a/", false},
	}
	for _, tt := range tests {
		if got := ApplicationMatcher(tt.name)(app); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCycleObservation(t *testing.T) {
	start := time.Unix(100, 0)
	end := start.Add(2 * time.Second)
	tests := []struct {
		name                            string
		rep                             Report
		err                             error
		ok                              bool
		commits, attempts, failedPushes int
	}{
		{name: "nothing to do", ok: true},
		{name: "one commit on the second attempt", ok: true,
			rep:     Report{Result: cycle.Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 2}}}},
			commits: 1, attempts: 2, failedPushes: 1},
		{name: "a failed group", ok: false,
			rep:     Report{Result: cycle.Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 1}, {Attempts: 3, Err: errors.New("rejected")}}}},
			commits: 1, attempts: 4, failedPushes: 3},
		{name: "dry run: a diff, no push", ok: true,
			rep: Report{Result: cycle.Result{Git: []writeback.GroupResult{{Diff: "-a\n+b\n"}}}}},
		{name: "cycle error", err: errors.New("clone failed"), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CycleObservation(start, end, tt.rep, tt.err)
			if c.Mode != metrics.ModeRepo || !c.Start.Equal(start) || !c.End.Equal(end) {
				t.Errorf("cycle %+v", c)
			}
			if c.OK != tt.ok || c.Commits != tt.commits || c.PushAttempts != tt.attempts || c.FailedPushes != tt.failedPushes {
				t.Errorf("got ok=%v commits=%d attempts=%d failed=%d, want %v %d %d %d", c.OK, c.Commits, c.PushAttempts, c.FailedPushes, tt.ok, tt.commits, tt.attempts, tt.failedPushes)
			}
		})
	}
}

// demoRunner is a runner over the demo playground: a real Git repository
// with the guestbook Application and an in-process registry.
func demoRunner(t *testing.T) *Runner {
	t.Helper()
	p, err := demo.Start(context.Background())
	if err != nil {
		t.Skipf("demo playground: %v", err)
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
	mgr, err := git.NewManager(git.WithCacheDir(filepath.Join(t.TempDir(), "cache")))
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{
		RepoURL: p.RepoPath, Git: mgr, Registry: rc, Resolver: access.NewResolver(conf, nil),
		Writer: &writeback.GitWriter{Git: mgr, Layout: writeback.NewLayout("argocd"), DryRun: true},
		Logger: slog.New(slog.DiscardHandler),
	}
}

func TestRunApplication(t *testing.T) {
	r := demoRunner(t)
	tests := []struct {
		name        string
		application string
		decisions   int
		noSuchApp   bool
	}{
		{name: "every application", decisions: 2},
		{name: "by name", application: "guestbook", decisions: 2},
		{name: "by namespace/name", application: "argocd/guestbook", decisions: 2},
		{name: "wrong namespace", application: "team/guestbook", noSuchApp: true},
		{name: "unknown application", application: "nosuchapp", noSuchApp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := r.RunApplication(context.Background(), tt.application)
			if tt.noSuchApp {
				if !errors.Is(err, ErrNoSuchApplication) || err.Error() != "no application of that name manages an image in "+r.RepoURL {
					t.Fatalf("err = %v, want ErrNoSuchApplication naming the repository", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Decisions) != tt.decisions {
				t.Errorf("%d decisions, want %d", len(rep.Decisions), tt.decisions)
			}
		})
	}
	r.RepoURL = filepath.Join(t.TempDir(), "gone")
	if _, err := r.RunApplication(context.Background(), "guestbook"); err == nil || errors.Is(err, ErrNoSuchApplication) {
		t.Errorf("missing repository: %v, want the clone error", err)
	}
}

func TestRecordTo(t *testing.T) {
	r := demoRunner(t)
	r.RecordTo(nil) // records nothing, and must not panic
	if r.Observe != nil || r.OnWebhookEvent != nil {
		t.Fatal("RecordTo(nil) set hooks")
	}
	reg := prometheus.NewRegistry()
	ops, err := metrics.NewOps(reg, metrics.BuildInfo{Version: "test", Commit: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	r.RecordTo(ops)
	if _, err := r.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.OnWebhookEvent("quay.io")
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		seen[f.GetName()] = true
	}
	for _, name := range []string{"imagepilot_cycles_total", "imagepilot_webhook_events_total"} {
		if !seen[name] {
			t.Errorf("%s not recorded; have %v", name, seen)
		}
	}
	if n := testutil.CollectAndCount(reg, "imagepilot_webhook_events_total"); n != 1 {
		t.Errorf("webhook event series: %d, want 1", n)
	}
}
