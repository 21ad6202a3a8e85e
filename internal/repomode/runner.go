package repomode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/git"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/verify"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// Runner runs update cycles against one repository.
type Runner struct {
	// RepoURL is the repository (URL or local path); Branch the branch to
	// read applications from ("" = the remote's default branch).
	RepoURL, Branch string
	// AppsPath limits the search for Application manifests to a directory.
	AppsPath string
	// SourceURLs are other addresses Applications use for this repository
	// (for example the https URL of a local checkout's origin).
	SourceURLs []string
	// Credentials for the repository.
	Credentials git.Credentials
	// Git, Registry and Resolver are the shared clients.
	Git      *git.Manager
	Registry *registry.Client
	Resolver *access.Resolver
	// Writer applies the updates (its DryRun makes a plan).
	Writer *writeback.GitWriter
	// AuthorEmail is imagepilot's commit e-mail, which tells its own commits
	// from people's when detecting rollbacks.
	AuthorEmail string
	// Concurrency bounds images checked at once.
	Concurrency int
	// PlanTimeout bounds the registry work of one cycle (0: none); images
	// not decided in time fail and the others are written.
	PlanTimeout time.Duration
	// Observe, when set, receives every cycle as it ends (metrics): when it
	// started and ended, its report and its error.
	Observe func(start, end time.Time, rep Report, err error)
	// OnWebhookEvent, when set, is told the source of every registry
	// webhook event WebhookSink receives (metrics).
	OnWebhookEvent func(source string)
	// Logger receives progress; nil discards.
	Logger *slog.Logger
	// Progress, when set, follows each cycle's images as they are checked
	// (the progress line on a terminal's stderr).
	Progress updater.Progress
	// Verify, when set, must accept an image before it is deployed (the
	// --cosign-key signature check); it applies to every image of the run.
	Verify policy.Verifier
	// SecretKeys maps the cosignKey Secrets ImageUpdater objects name to
	// public keys (--cosign-secret); an image whose block names an
	// unmapped key is not updated.
	SecretKeys SecretKeys

	// verifiers keeps one Verifier per key set across cycles.
	verifiers verify.Pool
}

// Report is the outcome of one cycle: the cycle's Result and what repo
// mode adds to it.
type Report struct {
	cycle.Result
	// Branch is the branch the applications were read from.
	Branch string
	// Skipped are configured applications whose sources live in other
	// repositories; they are not errors, but nobody manages them here.
	Skipped []SkippedApp
	// SkippedFiles are YAML files that were not read although they may hold
	// manifests (too large); templates are only logged, at debug level.
	SkippedFiles []SkippedFile
}

// RunOnce runs one cycle: read, plan, write.
func (r *Runner) RunOnce(ctx context.Context) (Report, error) {
	return r.RunFor(ctx, nil)
}

// RunFor runs one cycle limited to the targets only accepts (nil = all), as
// a registry webhook does for the repository that was pushed to.
func (r *Runner) RunFor(ctx context.Context, only func(target.Target) bool) (Report, error) {
	start := time.Now()
	rep, err := r.runFor(ctx, start, only)
	if r.Observe != nil {
		r.Observe(start, time.Now(), rep, err)
	}
	return rep, err
}

// runFor is RunFor without the observer.
func (r *Runner) runFor(ctx context.Context, start time.Time, only func(target.Target) bool) (Report, error) {
	// One lock on the working copy for the whole cycle (read, plan, write
	// back), against other goroutines and other imagepilot processes.
	ctx, release, err := r.Git.Lease(ctx, r.RepoURL)
	if err != nil {
		return Report{}, fmt.Errorf("opening repository %s: %w", RedactURL(r.RepoURL), redactError(err, r.RepoURL))
	}
	defer release()
	repo, err := r.open(ctx)
	if err != nil {
		return Report{}, err
	}
	var rep Report
	c := &cycle.Cycle{
		Start: start,
		Source: cycle.SourceFunc(func(ctx context.Context) (cycle.Collected, error) {
			l, err := r.load(ctx, repo)
			rep = l.rep
			if err != nil {
				repo.Close()
				return cycle.Collected{Problems: rep.Problems}, err
			}
			items := l.items
			if only != nil {
				items = slices.DeleteFunc(items, func(it updater.Item) bool { return !only(it.Target) })
			}
			items, verrs := applyVerification(items, r.Verify, r.SecretKeys, &r.verifiers)
			rep.Problems = append(rep.Problems, verrs...)
			for _, p := range verrs {
				r.logger().ErrorContext(ctx, "configuration problem", "error", p)
			}
			return cycle.Collected{Applications: rep.Applications, Items: items, Pins: l.holds, Problems: rep.Problems,
				Skipped: len(rep.Skipped), StartAttrs: []any{"repository", RedactURL(r.RepoURL), "branch", rep.Branch}}, nil
		}),
		Registry: access.NewView(r.Resolver, r.Registry.NewCycle()),
		Recheck:  r.rollbackCheck(repo),
		Writer: cycle.WriterFunc(func(ctx context.Context, ds []updater.Decision) cycle.Writes {
			repo.Close() // the writer opens the repository again, under the same lease
			// Every write goes to --repo, however the applications spell it.
			w := *r.Writer
			w.Repository = r.RepoURL
			return cycle.Writes{Git: w.Apply(ctx, ds)}
		}),
		Concurrency: r.Concurrency,
		Logger:      r.logger(),
		PlanTimeout: r.PlanTimeout,
		Progress:    r.Progress,
	}
	res, err := c.Run(ctx)
	rep.Result = res
	return rep, err
}

// rollbackCheck returns the planner's recheck: an image about to move
// whose value someone else wrote over imagepilot's is held. History is read
// for those images alone, with one git command for all their files. The
// planner plans held images again before logging anything, so each image
// is logged once, with its final outcome.
func (r *Runner) rollbackCheck(hist History) updater.Recheck {
	return func(ctx context.Context, ds []updater.Decision) []*updater.Hold {
		holds := make([]*updater.Hold, len(ds))
		files := make([]*writeback.File, len(ds))
		var paths []string
		for i, d := range ds {
			if !d.Current.Live {
				continue
			}
			_, file, found, err := r.Writer.Layout.Current(hist.Dir(), d.Target)
			if err != nil || !found {
				continue
			}
			files[i] = &file
			paths = append(paths, file.Path)
		}
		if len(paths) == 0 {
			return holds
		}
		logs, err := hist.LogPaths(ctx, paths, historyDepth)
		if err != nil {
			r.logger().WarnContext(ctx, "rollback check failed", "images", len(paths), "error", fmt.Errorf("reading history: %w", err))
			return holds
		}
		for i, d := range ds {
			if files[i] == nil {
				continue
			}
			hold, err := detectRollback(ctx, hist, d.Item, *files[i], logs[files[i].Path], r.AuthorEmail)
			if err != nil {
				r.logger().WarnContext(ctx, "rollback check failed", "application", d.Target.App.String(), "error", err)
				continue
			}
			holds[i] = hold
		}
		return holds
	}
}

// open opens the working copy; the error names the repository without its
// password.
func (r *Runner) open(ctx context.Context) (*git.Repo, error) {
	repo, err := r.Git.Open(ctx, r.RepoURL, r.Credentials)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", RedactURL(r.RepoURL), redactError(err, r.RepoURL))
	}
	return repo, nil
}

// loaded is what load read from a checkout.
type loaded struct {
	rep   Report
	items []updater.Item
	holds holds.Set
}

// load checks out the branch and builds the planner's items; the holds
// file is read but not applied (the cycle pins the items).
func (r *Runner) load(ctx context.Context, repo *git.Repo) (loaded, error) {
	var rep Report
	branch := r.Branch
	var err error
	if branch == "" || branch == "HEAD" {
		if branch, err = repo.DefaultBranch(ctx); err != nil {
			return loaded{rep: rep}, fmt.Errorf("default branch of %s: %w", RedactURL(r.RepoURL), redactError(err, r.RepoURL))
		}
	}
	rep.Branch = branch
	if err := repo.Checkout(ctx, branch); err != nil {
		return loaded{rep: rep}, fmt.Errorf("checking out %s: %w", branch, err)
	}
	manifests, errs := Load(repo.Dir(), r.AppsPath)
	for _, err := range errs {
		if errors.Is(err, ErrAppsPath) {
			return loaded{rep: rep}, err // nothing to do in this repository
		}
	}
	rep.Problems = append(rep.Problems, errs...)
	for _, f := range manifests.Skipped {
		if !f.Warn {
			r.logger().DebugContext(ctx, "file skipped", "file", f.File, "reason", f.Reason)
			continue
		}
		rep.SkippedFiles = append(rep.SkippedFiles, f)
		r.logger().WarnContext(ctx, "file skipped", "file", f.File, "reason", f.Reason)
	}
	urls := append([]string{r.RepoURL, repo.URL()}, r.SourceURLs...)
	items, skipped, errs := Items(repo.Dir(), manifests, urls, r.Writer.Layout)
	rep.Problems = append(rep.Problems, errs...)
	rep.Skipped = skipped
	for i := range items {
		if b := items[i].Target.Source.TargetRevision; b == "" || b == "HEAD" {
			items[i].Target.Source.TargetRevision = branch
		}
	}
	set, err := readHolds(repo.Dir())
	if err != nil {
		// Without the holds, any image might be pinned: move none.
		return loaded{rep: rep}, fmt.Errorf("%w (no image is updated until it is fixed)", err)
	}
	rep.Applications = countApps(items)
	for _, p := range rep.Problems {
		r.logger().ErrorContext(ctx, "configuration problem", "error", p)
	}
	for _, s := range rep.Skipped {
		r.logger().WarnContext(ctx, "application skipped: its source is another repository",
			"application", s.App.String(), "file", s.File, "sources", s.Sources, "reason", s.Reason)
	}
	return loaded{rep: rep, items: items, holds: set}, nil
}

func countApps(items []updater.Item) int {
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Target.App.String()] = true
	}
	return len(seen)
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
