package cycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Result is the outcome of one cycle (repo mode) or pass (controller).
type Result struct {
	// Applications counts the applications the cycle managed.
	Applications int
	// Decisions holds one final decision per image, with its reason.
	Decisions []updater.Decision
	// ArgoCD and Git are the write results, per application (argocd
	// write-back) and per repository and branch (git write-back).
	ArgoCD []writeback.AppResult
	Git    []writeback.GroupResult
	// Problems are configuration errors (each stops only its item).
	Problems []error
	// Duration is the cycle's wall time.
	Duration time.Duration
}

// FailedApps names the applications whose write-back failed: their
// planned updates did not happen.
func (r Result) FailedApps() map[target.AppRef]bool {
	failed := writeback.FailedApps(r.Git)
	for _, a := range r.ArgoCD {
		if a.Err != nil {
			failed[a.App] = true
		}
	}
	return failed
}

// Counts returns the images updated, skipped and in error (write-back
// failures and configuration problems count as errors). An update whose
// pull request was already open, or whose base branch already had it, did
// nothing this cycle and counts as skipped.
func (r Result) Counts() (updated, skipped, errored int) {
	failed := r.FailedApps()
	quiet := quietPullRequests(r.Git)
	for _, d := range r.Decisions {
		switch {
		case d.Action == updater.ActionError:
			errored++
		case d.Action == updater.ActionSkip:
			skipped++
		case failed[d.Target.App]:
			errored++ // planned, but the write-back failed
		case quiet[d.Target.App]:
			skipped++ // already proposed, or already in the base
		default:
			updated++
		}
	}
	return updated, skipped, errored + len(r.Problems)
}

// Err joins the cycle's failures: problems, image errors and write
// failures (nil when everything worked).
func (r Result) Err() error {
	errs := append([]error(nil), r.Problems...)
	for _, d := range r.Decisions {
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	for _, a := range r.ArgoCD {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	for _, g := range r.Git {
		if g.Err != nil {
			errs = append(errs, g.Err)
		}
	}
	return errors.Join(errs...)
}

// Merge adds o to r (the passes of several selections).
func (r *Result) Merge(o Result) {
	r.Applications += o.Applications
	r.Decisions = append(r.Decisions, o.Decisions...)
	r.ArgoCD = append(r.ArgoCD, o.ArgoCD...)
	r.Git = append(r.Git, o.Git...)
	r.Problems = append(r.Problems, o.Problems...)
	r.Duration += o.Duration
}

// Summary is the summary line, in the words Argo CD Image Updater's users
// grep for.
func (r Result) Summary() string {
	updated, skipped, errored := r.Counts()
	return fmt.Sprintf("Processing results: applications=%d images_considered=%d images_skipped=%d images_updated=%d errors=%d",
		r.Applications, len(r.Decisions), skipped, updated, errored)
}

// LogSummary logs the summary line at INFO with the cycle's duration and
// attrs (which selection, which trigger).
func (r Result) LogSummary(ctx context.Context, logger *slog.Logger, attrs ...any) {
	if logger == nil {
		return
	}
	logger.InfoContext(ctx, r.Summary(), append(attrs, "duration", r.Duration.Round(time.Millisecond))...)
}

// Observation is the cycle as the cycle metrics record it (see
// metrics.Ops.ObserveCycle): in mode, ending at end, failed with err
// (nil when it ran).
func (r Result) Observation(mode string, end time.Time, err error) metrics.Cycle {
	c := metrics.Cycle{Mode: mode, Start: end.Add(-r.Duration), End: end, OK: err == nil && r.Err() == nil}
	for _, g := range r.Git {
		c.PushAttempts += g.Attempts
		switch {
		case g.Commit != "" && g.Pushed:
			c.Commits++
			c.FailedPushes += max(g.Attempts-1, 0)
		default:
			c.FailedPushes += g.Attempts
		}
	}
	return c
}

// quietPullRequests names the applications of pull request writes that
// changed nothing: the request was already open, or the base branch
// already had the change.
func quietPullRequests(groups []writeback.GroupResult) map[target.AppRef]bool {
	quiet := map[target.AppRef]bool{}
	for _, g := range groups {
		if g.Err != nil || g.PullRequest == nil {
			continue
		}
		if s := g.PullRequest.State; s == writeback.PRStateOpen || s == writeback.PRStateNone {
			for _, d := range g.Applied {
				quiet[d.Target.App] = true
			}
		}
	}
	return quiet
}
