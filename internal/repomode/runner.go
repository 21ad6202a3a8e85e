package repomode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/git"
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
	// Logger receives progress; nil discards.
	Logger *slog.Logger
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

// Report is the outcome of one cycle.
type Report struct {
	// Branch is the branch the applications were read from.
	Branch string
	// Applications counts the applications managed from this repository.
	Applications int
	// Decisions holds one decision per image.
	Decisions []updater.Decision
	// Groups holds one result per written repository and branch.
	Groups []writeback.GroupResult
	// Problems are configuration errors found while loading.
	Problems []error
	// Skipped are configured applications whose sources live in other
	// repositories; they are not errors, but nobody manages them here.
	Skipped []SkippedApp
	// SkippedFiles are YAML files that were not read although they may hold
	// manifests (too large); templates are only logged, at debug level.
	SkippedFiles []SkippedFile
	// Duration is the cycle's wall time.
	Duration time.Duration
}

// Counts returns the numbers of images updated, skipped and in error.
func (r Report) Counts() (updated, skipped, errored int) {
	failed := writeback.FailedApps(r.Groups)
	for _, d := range r.Decisions {
		switch {
		case d.Action == updater.ActionError:
			errored++
		case d.Action == updater.ActionSkip:
			skipped++
		case failed[d.Target.App]:
			errored++ // planned, but the write-back failed
		default:
			updated++
		}
	}
	return updated, skipped, errored + len(r.Problems)
}

// Err summarises the cycle's failures (nil when everything worked).
func (r Report) Err() error {
	var errs []error
	errs = append(errs, r.Problems...)
	for _, d := range r.Decisions {
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	for _, g := range r.Groups {
		if g.Err != nil {
			errs = append(errs, g.Err)
		}
	}
	return errors.Join(errs...)
}

// RunOnce runs one cycle: read, plan, write.
func (r *Runner) RunOnce(ctx context.Context) (Report, error) {
	return r.RunFor(ctx, nil)
}

// RunFor runs one cycle limited to the targets only accepts (nil = all), as
// a registry webhook does for the repository that was pushed to.
func (r *Runner) RunFor(ctx context.Context, only func(target.Target) bool) (Report, error) {
	start := time.Now()
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
	rep, items, err := r.load(ctx, repo)
	if err != nil {
		repo.Close()
		return rep, err
	}
	if only != nil {
		items = slices.DeleteFunc(items, func(it updater.Item) bool { return !only(it.Target) })
	}
	items, verrs := applyVerification(items, r.Verify, r.SecretKeys, &r.verifiers)
	rep.Problems = append(rep.Problems, verrs...)
	for _, p := range verrs {
		r.logger().ErrorContext(ctx, "configuration problem", "error", p)
	}
	planner := &updater.Planner{
		Registry:    access.NewView(r.Resolver, r.Registry.NewCycle()),
		Concurrency: r.Concurrency,
		Logger:      r.Logger,
	}
	rep.Decisions = planner.Plan(ctx, items)
	rep.Decisions = r.honourRollbacks(ctx, repo, planner, rep.Decisions)
	repo.Close() // the writer opens the repository again, under the same lease
	// Every write goes to --repo, however the applications spell it.
	w := *r.Writer
	w.Repository = r.RepoURL
	rep.Groups = w.Apply(ctx, rep.Decisions)
	rep.Duration = time.Since(start)
	r.logSummary(ctx, rep)
	return rep, nil
}

// honourRollbacks looks for rollbacks only where an image is about to move
// (history is read for those alone) and plans held images again: the cycle's
// registry answers are memoised, so this costs no registry request.
func (r *Runner) honourRollbacks(ctx context.Context, hist History, planner *updater.Planner, decisions []updater.Decision) []updater.Decision {
	var held []updater.Item
	var at []int
	for i, d := range decisions {
		if d.Action != updater.ActionUpdate || !d.Current.Live {
			continue
		}
		_, file, found, err := r.Writer.Layout.Current(hist.Dir(), d.Target)
		if err != nil || !found {
			continue
		}
		hold, err := detectRollback(ctx, hist, d.Item, file, r.AuthorEmail)
		if err != nil {
			r.logger().WarnContext(ctx, "rollback check failed", "application", d.Target.App.String(), "error", err)
			continue
		}
		if hold != nil {
			it := d.Item
			it.Current.Hold = hold
			held, at = append(held, it), append(at, i)
		}
	}
	for j, d := range planner.Plan(ctx, held) {
		decisions[at[j]] = d
	}
	return decisions
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

// load checks out the branch and builds the planner's items.
func (r *Runner) load(ctx context.Context, repo *git.Repo) (Report, []updater.Item, error) {
	var rep Report
	branch := r.Branch
	var err error
	if branch == "" || branch == "HEAD" {
		if branch, err = repo.DefaultBranch(ctx); err != nil {
			return rep, nil, fmt.Errorf("default branch of %s: %w", RedactURL(r.RepoURL), redactError(err, r.RepoURL))
		}
	}
	rep.Branch = branch
	if err := repo.Checkout(ctx, branch); err != nil {
		return rep, nil, fmt.Errorf("checking out %s: %w", branch, err)
	}
	manifests, errs := Load(repo.Dir(), r.AppsPath)
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
		return rep, nil, fmt.Errorf("%w (no image is updated until it is fixed)", err)
	}
	applyHolds(items, set)
	rep.Applications = countApps(items)
	for _, p := range rep.Problems {
		r.logger().ErrorContext(ctx, "configuration problem", "error", p)
	}
	for _, s := range rep.Skipped {
		r.logger().WarnContext(ctx, "application skipped: its source is another repository",
			"application", s.App.String(), "file", s.File, "sources", s.Sources, "reason", s.Reason)
	}
	return rep, items, nil
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

func (r *Runner) logSummary(ctx context.Context, rep Report) {
	updated, skipped, errored := rep.Counts()
	r.logger().InfoContext(ctx, fmt.Sprintf("Processing results: applications=%d images_considered=%d images_skipped=%d images_updated=%d errors=%d",
		rep.Applications, len(rep.Decisions), skipped, updated, errored), "duration", rep.Duration.Round(time.Millisecond))
}
