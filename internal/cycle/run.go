package cycle

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Collected is what a Source found: the targets with what is deployed.
type Collected struct {
	// Applications counts the applications managed.
	Applications int
	// Items are the targets with their deployed state.
	Items []updater.Item
	// Pins tells the held images (nil: none).
	Pins holds.Pins
	// Problems are configuration errors found while collecting.
	Problems []error
	// Skipped counts the applications the Source left out (repo mode: those
	// whose source is another repository).
	Skipped int
	// StartAttrs say what the Source read, for the cycle-start line (repo
	// mode: the repository and branch).
	StartAttrs []any
}

// Source collects the targets of a cycle and where they are deployed:
// repo mode from the manifests and files of a checkout, the controller
// from the Applications in the cluster.
type Source interface {
	Collect(ctx context.Context) (Collected, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) (Collected, error)

// Collect calls f.
func (f SourceFunc) Collect(ctx context.Context) (Collected, error) { return f(ctx) }

// Writes are the results of applying a cycle's updates.
type Writes struct {
	ArgoCD []writeback.AppResult
	Git    []writeback.GroupResult
	// Problems are updates that could not be written for want of
	// configuration (no git write-back set up).
	Problems []error
}

// Writer applies the update decisions, grouped by destination (one commit
// per repository and branch, one patch per application).
type Writer interface {
	Write(ctx context.Context, decisions []updater.Decision) Writes
}

// WriterFunc adapts a function to Writer.
type WriterFunc func(ctx context.Context, decisions []updater.Decision) Writes

// Write calls f.
func (f WriterFunc) Write(ctx context.Context, decisions []updater.Decision) Writes {
	return f(ctx, decisions)
}

// Reporter receives the result of a cycle before its summary is logged
// (the controller's Events, metrics and status; nothing in repo mode, whose
// caller prints the Result).
type Reporter interface {
	Report(ctx context.Context, res Result)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(ctx context.Context, res Result)

// Report calls f.
func (f ReporterFunc) Report(ctx context.Context, res Result) { f(ctx, res) }

// Cycle is one update cycle with what a mode plugs in.
type Cycle struct {
	// Source collects the targets.
	Source Source
	// Registry is the cycle's registry view: each repository is listed
	// once however many targets ask.
	Registry updater.Registry
	// Recheck, when set, may hold a planned update (repo mode's rollback
	// detection); see updater.Planner.
	Recheck updater.Recheck
	// Writer applies the updates.
	Writer Writer
	// Reporter, when set, receives the result.
	Reporter Reporter
	// Concurrency bounds the images checked at once.
	Concurrency int
	// PlanTimeout bounds the cycle's registry work (0: none); see
	// updater.Planner.Timeout.
	PlanTimeout time.Duration
	// Logger receives the cycle-start line, one line per image and the
	// summary; nil discards.
	Logger *slog.Logger
	// SummaryAttrs are added to the cycle-start and summary lines (which
	// selection, which trigger).
	SummaryAttrs []any
	// Progress, when set, follows the planning of the images (a terminal's
	// progress line); see updater.Planner.Progress.
	Progress updater.Progress
	// Start is when the cycle began, for its Duration (zero: when Run is
	// called); repo mode counts the wait for its working copy.
	Start time.Time
}

// Run runs the cycle: collect, pin, log the cycle-start line with the
// counts, plan (one logged decision per image), write, report, and log the
// summary. A Source error stops the cycle before
// anything is planned; every other failure is in the Result.
func (c *Cycle) Run(ctx context.Context) (Result, error) {
	start := c.Start
	if start.IsZero() {
		start = time.Now()
	}
	col, err := c.Source.Collect(ctx)
	if err != nil {
		return Result{Applications: col.Applications, Problems: col.Problems}, err
	}
	if col.Pins != nil {
		holds.Apply(col.Items, col.Pins)
	}
	c.logStart(ctx, col)
	planner := &updater.Planner{Registry: c.Registry, Concurrency: c.Concurrency, Logger: c.Logger, Recheck: c.Recheck, Timeout: c.PlanTimeout, Progress: c.Progress}
	res := Result{Applications: col.Applications, Decisions: planner.Plan(ctx, col.Items)}
	w := c.Writer.Write(ctx, res.Decisions)
	res.ArgoCD, res.Git = w.ArgoCD, w.Git
	res.Problems = append(append(col.Problems, w.Problems...), res.Problems...)
	res.Duration = time.Since(start)
	if c.Reporter != nil {
		c.Reporter.Report(ctx, res)
	}
	res.LogSummary(ctx, c.Logger, c.SummaryAttrs...)
	return res, nil
}

// StartMessage is the message of the cycle-start line.
const StartMessage = "cycle started"

// logStart logs the cycle-start line: what the cycle covers (the Source's
// StartAttrs, then SummaryAttrs), how many applications and images it
// checks, how many images are held before planning (pins), the
// configuration problems found while collecting and the applications the
// Source skipped.
func (c *Cycle) logStart(ctx context.Context, col Collected) {
	if c.Logger == nil {
		return
	}
	held := 0
	for _, it := range col.Items {
		if it.Current.Hold != nil {
			held++
		}
	}
	attrs := append(append(slices.Clone(col.StartAttrs), c.SummaryAttrs...),
		"applications", col.Applications, "images", len(col.Items), "held", held,
		"problems", len(col.Problems), "skippedApplications", col.Skipped)
	c.Logger.InfoContext(ctx, StartMessage, attrs...)
}
