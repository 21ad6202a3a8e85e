package cycle

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

func TestFailedAppsAndQuietPullRequests(t *testing.T) {
	a, b, c := decision("a", updater.ActionUpdate), decision("b", updater.ActionUpdate), decision("c", updater.ActionUpdate)
	ref := func(n string) target.AppRef { return target.AppRef{Namespace: "argocd", Name: n} }
	tests := []struct {
		name                      string
		res                       Result
		wantFailed                []string
		updated, skipped, errored int
	}{
		{
			name: "git and argocd failures are united; successes are not failures",
			res: Result{
				Decisions: []updater.Decision{a, b, c},
				Git:       []writeback.GroupResult{{Applied: []updater.Decision{a}, Err: errors.New("push")}, {Applied: []updater.Decision{c}, Pushed: true}},
				ArgoCD:    []writeback.AppResult{{App: b.Target.App, Err: errors.New("patch")}, {App: c.Target.App, Changed: true}},
			},
			wantFailed: []string{"a", "b"}, updated: 1, errored: 2,
		},
		{
			name: "a planned pull request (dry run) counts as an update",
			res: Result{Decisions: []updater.Decision{a}, Git: []writeback.GroupResult{
				{Applied: []updater.Decision{a}, PullRequest: &writeback.PullRequestResult{State: writeback.PRStatePlanned}}}},
			updated: 1,
		},
		{
			name: "a failed group with an open request is an error, not quiet",
			res: Result{Decisions: []updater.Decision{a}, Git: []writeback.GroupResult{
				{Applied: []updater.Decision{a}, Err: errors.New("api 500"), PullRequest: &writeback.PullRequestResult{State: writeback.PRStateOpen}}}},
			wantFailed: []string{"a"}, errored: 1,
		},
		{
			name: "a skip of a failed application stays a skip",
			res: Result{Decisions: []updater.Decision{a, decision("a", updater.ActionSkip)}, Git: []writeback.GroupResult{
				{Applied: []updater.Decision{a}, Err: errors.New("push")}}},
			wantFailed: []string{"a"}, skipped: 1, errored: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := tt.res.FailedApps()
			if len(failed) != len(tt.wantFailed) {
				t.Fatalf("failed %v, want %v", failed, tt.wantFailed)
			}
			for _, n := range tt.wantFailed {
				if !failed[ref(n)] {
					t.Fatalf("failed %v lacks %s", failed, n)
				}
			}
			if u, s, e := tt.res.Counts(); u != tt.updated || s != tt.skipped || e != tt.errored {
				t.Fatalf("counts %d/%d/%d, want %d/%d/%d", u, s, e, tt.updated, tt.skipped, tt.errored)
			}
		})
	}
}

// TestObservationUnpushedCommit shows a commit that was made but never
// pushed counts every attempt as a failed push and no commit.
func TestObservationUnpushedCommit(t *testing.T) {
	c := Result{Git: []writeback.GroupResult{{Commit: "abc", Attempts: 2, Err: errors.New("rejected")}, {Attempts: 0}}}.Observation("repo", time.Now(), nil)
	if c.Commits != 0 || c.FailedPushes != 2 || c.PushAttempts != 2 || c.OK {
		t.Fatalf("observation %+v", c)
	}
}

// TestLockExcludes shows one holder at a time among many goroutines, and a
// waiter with a context getting the lock once it is released.
func TestLockExcludes(t *testing.T) {
	var l Lock
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.LockContext(context.Background()); err != nil {
				t.Error(err)
				return
			}
			if inside.Add(1) > 1 {
				overlaps.Add(1)
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			l.Unlock()
		}()
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d times two holders at once", n)
	}
	l.Lock()
	got := make(chan error, 1)
	go func() { got <- l.LockContext(context.Background()) }()
	select {
	case err := <-got:
		t.Fatalf("locked while held: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	l.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("waiter after release: %v", err)
	}
}

// stallRegistry never answers before the context ends.
type stallRegistry struct{ *tagsRegistry }

func (stallRegistry) Tags(ctx context.Context, _ imagespec.Spec, _ string) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRunPassesThePlanTimeout shows the cycle's PlanTimeout reaches the
// planner: a stalled registry fails the image with the time limit, and the
// cycle still writes and reports.
func TestRunPassesThePlanTimeout(t *testing.T) {
	wrote := false
	c := &Cycle{
		Source: SourceFunc(func(context.Context) (Collected, error) {
			return Collected{Applications: 1, Items: []updater.Item{liveItem(t, "a", "web", "1.0")}}, nil
		}),
		Registry:    stallRegistry{&tagsRegistry{}},
		PlanTimeout: 50 * time.Millisecond,
		Writer:      WriterFunc(func(context.Context, []updater.Decision) Writes { wrote = true; return Writes{} }),
	}
	done := make(chan Result, 1)
	go func() { res, _ := c.Run(context.Background()); done <- res }()
	select {
	case res := <-done:
		if d := res.Decisions[0]; d.Action != updater.ActionError || !errors.Is(d.Err, updater.ErrPlanTimeout) {
			t.Fatalf("decision %s %v, want the time limit", d.Action, d.Err)
		}
		if !wrote || res.Duration <= 0 || res.Duration > 5*time.Second {
			t.Fatalf("wrote %v, duration %v", wrote, res.Duration)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the plan timeout did not reach the planner")
	}
}
