package cycle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func decision(app string, action updater.Action) updater.Decision {
	d := updater.Decision{Action: action}
	d.Target.App = target.AppRef{Namespace: "argocd", Name: app}
	if action == updater.ActionError {
		d.Err = errors.New(app + " failed")
	}
	return d
}

func TestResultCounts(t *testing.T) {
	a, b, c := decision("a", updater.ActionUpdate), decision("b", updater.ActionUpdate), decision("c", updater.ActionUpdate)
	skip, fail := decision("s", updater.ActionSkip), decision("e", updater.ActionError)
	tests := []struct {
		name                      string
		res                       Result
		updated, skipped, errored int
		errs                      []string // in Err()
	}{
		{name: "empty"},
		{
			name:    "failed git group counts as errors (repo mode)",
			updated: 1, skipped: 1, errored: 2,
			res: Result{
				Decisions: []updater.Decision{a, b, skip},
				Git: []writeback.GroupResult{
					{RepoURL: "r1", Applied: []updater.Decision{a}, Err: errors.New("push rejected")},
					{RepoURL: "r2", Applied: []updater.Decision{b}, Commit: "abc"},
				},
				Problems: []error{errors.New("bad annotation")},
			},
			errs: []string{"push rejected", "bad annotation"},
		},
		{
			name:    "failed argocd patch counts as an error (controller)",
			updated: 2, skipped: 0, errored: 2,
			res: Result{
				Decisions: []updater.Decision{a, b, c, fail},
				ArgoCD:    []writeback.AppResult{{App: a.Target.App, Err: errors.New("409")}, {App: b.Target.App, Changed: true}},
				Git:       []writeback.GroupResult{{Applied: []updater.Decision{c}, Pushed: true}},
			},
			errs: []string{"409", "e failed"},
		},
		{
			name:    "pull requests: opened counts, already open or already in the base does not",
			updated: 1, skipped: 2, errored: 0,
			res: Result{
				Decisions: []updater.Decision{a, b, c},
				Git: []writeback.GroupResult{
					{RepoURL: "r", Applied: []updater.Decision{a}, Pushed: true, PullRequest: &writeback.PullRequestResult{State: writeback.PRStateOpened}},
					{RepoURL: "r", Applied: []updater.Decision{b}, PullRequest: &writeback.PullRequestResult{State: writeback.PRStateOpen}},
					{RepoURL: "r", Applied: []updater.Decision{c}, PullRequest: &writeback.PullRequestResult{State: writeback.PRStateNone}},
				},
			},
		},
		{
			name:    "skips and errors only",
			updated: 0, skipped: 2, errored: 1,
			res:  Result{Decisions: []updater.Decision{skip, skip, fail}},
			errs: []string{"e failed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, s, e := tt.res.Counts()
			if u != tt.updated || s != tt.skipped || e != tt.errored {
				t.Fatalf("counts = %d updated, %d skipped, %d errors; want %d, %d, %d", u, s, e, tt.updated, tt.skipped, tt.errored)
			}
			err := tt.res.Err()
			if (err != nil) != (len(tt.errs) > 0) {
				t.Fatalf("Err() = %v, want %v", err, tt.errs)
			}
			for _, want := range tt.errs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Err() = %v, missing %q", err, want)
				}
			}
		})
	}
}

func TestResultMergeAndSummary(t *testing.T) {
	var total Result
	total.Merge(Result{Applications: 2, Decisions: []updater.Decision{decision("a", updater.ActionUpdate)}, Duration: time.Second})
	total.Merge(Result{Applications: 1, Decisions: []updater.Decision{decision("b", updater.ActionSkip)}, Problems: []error{errors.New("p")}, Duration: time.Second})
	want := "Processing results: applications=3 images_considered=2 images_skipped=1 images_updated=1 errors=1"
	if got := total.Summary(); got != want {
		t.Fatalf("summary %q, want %q", got, want)
	}
	var buf bytes.Buffer
	total.LogSummary(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)), "imageupdater", "ns/iu")
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, want) || !strings.Contains(line, "imageupdater=ns/iu") || !strings.Contains(line, "duration=2s") {
		t.Fatalf("logged %q", line)
	}
	total.LogSummary(context.Background(), nil) // a nil logger discards
}

func TestObservation(t *testing.T) {
	end := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name                            string
		res                             Result
		err                             error
		ok                              bool
		commits, attempts, failedPushes int
	}{
		{name: "nothing to do", ok: true},
		{name: "pushed on the second attempt", ok: true,
			res:     Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 2}}},
			commits: 1, attempts: 2, failedPushes: 1},
		{name: "one branch failed", ok: false,
			res:     Result{Git: []writeback.GroupResult{{Commit: "abc", Pushed: true, Attempts: 1}, {Attempts: 3, Err: errors.New("rejected")}}},
			commits: 1, attempts: 4, failedPushes: 3},
		{name: "cycle error", err: errors.New("clone failed"), ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.res.Duration = 3 * time.Second
			c := tt.res.Observation(metrics.ModeController, end, tt.err)
			if c.Mode != metrics.ModeController || !c.End.Equal(end) || c.End.Sub(c.Start) != 3*time.Second {
				t.Errorf("mode/times %+v", c)
			}
			if c.OK != tt.ok || c.Commits != tt.commits || c.PushAttempts != tt.attempts || c.FailedPushes != tt.failedPushes {
				t.Errorf("got ok=%v commits=%d attempts=%d failed=%d, want %v %d %d %d", c.OK, c.Commits, c.PushAttempts, c.FailedPushes, tt.ok, tt.commits, tt.attempts, tt.failedPushes)
			}
		})
	}
}
