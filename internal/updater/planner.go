package updater

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Registry is what the planner needs from the registry layer for one cycle.
// Implementations list each repository once per cycle however many targets
// ask.
type Registry interface {
	// Tags lists the repository's tags; a partial listing is an error.
	Tags(ctx context.Context, img imagespec.Spec, pullSecret string) ([]string, error)
	// Metadata answers per-tag questions for strategies that need them.
	Metadata(ctx context.Context, img imagespec.Spec, pullSecret string) (policy.Metadata, error)
}

// Planner decides what moves.
type Planner struct {
	// Registry is the cycle's registry view.
	Registry Registry
	// Concurrency bounds the targets planned at once (default 10).
	Concurrency int
	// Logger receives one line per final decision; nil discards.
	Logger *slog.Logger
	// Timeout bounds a whole Plan call (registry work of every item); 0
	// means no bound beyond the caller's context. When it passes, the items
	// not decided yet fail with ErrPlanTimeout, and the ones decided keep
	// their decisions.
	Timeout time.Duration
	// Recheck, when set, looks at the planned updates before they are
	// final (repo mode's rollback detection); a hold it returns plans the
	// item again with that hold. It is called once per Plan, with every
	// planned update, so it can read what it needs in one go.
	Recheck Recheck
	// Progress, when set, follows each Plan call as its items are decided
	// (a terminal's progress line); nil follows nothing.
	Progress Progress
}

// Progress follows a Plan call. Begin is called once with the number of
// items, Decided once per item as its first decision is reached (from
// several goroutines at once; a hold Recheck finds later is not reported
// again), and End once every item is decided.
type Progress interface {
	// Begin starts a Plan call of total items.
	Begin(total int)
	// Decided reports one item's decision.
	Decided(d Decision)
	// End closes the Plan call.
	End()
}

// ErrPlanTimeout marks the decisions of items a Plan call could not finish
// within Planner.Timeout.
var ErrPlanTimeout = errors.New("cycle time limit reached")

// Recheck returns, for each planned update, a hold when it must not
// happen (nil when it may); the result is aligned with updates (a shorter
// result holds nothing beyond its end). It reports its own failures; the
// planner never fails an item because of it.
type Recheck func(ctx context.Context, updates []Decision) []*Hold

// Plan returns one final decision per item, in the items' order: holds
// (those on the items and those Recheck finds) are applied before anything
// is logged, so each image is logged once, with its outcome and reason.
func (p *Planner) Plan(ctx context.Context, items []Item) []Decision {
	// The time limit bounds registry work only: Recheck reads local history
	// under the caller's context, so a rollback is never missed because
	// the registries were slow.
	rctx := ctx
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeoutCause(ctx, p.Timeout, fmt.Errorf("%w (%v)", ErrPlanTimeout, p.Timeout))
		defer cancel()
	}
	if ex, ok := p.Registry.(Expecter); ok {
		ex.Expect(rctx, expectedImages(items))
	}
	if p.Progress != nil {
		p.Progress.Begin(len(items))
	}
	out := p.decideAll(rctx, items, p.Progress)
	if p.Progress != nil {
		p.Progress.End()
	}
	if p.Recheck != nil {
		var updates []Decision
		var pos []int
		for i, d := range out {
			if d.Action == ActionUpdate {
				updates, pos = append(updates, d), append(pos, i)
			}
		}
		var held []Item
		var at []int
		if len(updates) > 0 {
			for j, hold := range p.Recheck(ctx, updates) {
				if hold != nil && j < len(updates) {
					it := updates[j].Item
					it.Current.Hold = hold
					held, at = append(held, it), append(at, pos[j])
				}
			}
		}
		// The cycle's registry answers are memoised: planning again costs
		// no registry request, so it runs under the caller's context (an
		// update decided in time and then held is a hold, not a time-out).
		for j, d := range p.decideAll(ctx, held, nil) {
			out[at[j]] = d
		}
	}
	for _, d := range out {
		p.log(ctx, d)
	}
	return out
}

// decideAll decides every item, Concurrency at a time, without logging;
// progress (when not nil) is told of each decision as it is reached.
func (p *Planner) decideAll(ctx context.Context, items []Item, progress Progress) []Decision {
	out := make([]Decision, len(items))
	limit := p.Concurrency
	if limit <= 0 {
		limit = 10
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			// Out of time (or cancelled) before this item started.
			out[i] = p.timedOut(ctx, Decision{Item: items[i]}.fail(context.Cause(ctx)))
			if progress != nil {
				progress.Decided(out[i])
			}
			wg.Done()
			continue
		}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = p.timedOut(ctx, p.decide(ctx, items[i]))
			if progress != nil {
				progress.Decided(out[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// timedOut makes a failure caused by the plan's time limit say so: the
// registry error it surfaced as ("context deadline exceeded") does not tell
// the operator that the cycle ran out of time.
func (p *Planner) timedOut(ctx context.Context, d Decision) Decision {
	cause := context.Cause(ctx)
	if d.Action != ActionError || !errors.Is(cause, ErrPlanTimeout) || errors.Is(d.Err, ErrPlanTimeout) {
		return d
	}
	return d.fail(fmt.Errorf("%w: %w", cause, d.Err))
}

func (p *Planner) decide(ctx context.Context, it Item) Decision {
	d := Decision{Item: it}
	t := it.Target
	pol, err := policy.Compile(t.Policy)
	if err != nil {
		return d.fail(fmt.Errorf("image %s: %w", t.Image.Key(), err))
	}
	d.Target.Policy.Strategy = pol.Strategy() // canonical: aliases and case resolved
	if reason := unsupportedSource(t); reason != "" {
		return d.skip("%s", reason)
	}
	if !it.Current.Live && !t.ForceUpdate {
		return d.skip("image %s is not live in application %s (not in its running images; set force-update to update it anyway)", t.Image.FullName(), t.App)
	}
	tags, err := p.Registry.Tags(ctx, t.Image, t.PullSecret)
	if err != nil {
		return d.fail(fmt.Errorf("listing tags of %s: %w", t.Image.FullName(), err))
	}
	var md policy.Metadata
	if pol.NeedsMetadata() {
		if md, err = p.Registry.Metadata(ctx, t.Image, t.PullSecret); err != nil {
			return d.fail(fmt.Errorf("registry metadata for %s: %w", t.Image.FullName(), err))
		}
	}
	res, err := pol.ChooseFrom(ctx, it.Current.Tag, tags, md)
	if err != nil {
		return d.fail(fmt.Errorf("choosing a tag for %s: %w", t.Image.FullName(), err))
	}
	d.Verdicts = res.Verdicts
	if !res.Found {
		return noteUnverified(d.skip("no tag of %s is eligible (%d listed)", t.Image.FullName(), len(tags)), res.Verdicts)
	}
	d.NewTag, d.NewDigest = res.Tag, res.Digest
	d = noteUnverified(compare(d, pol), res.Verdicts)
	if d.Action == ActionUpdate {
		d.NewLabels = registryLabels{reg: p.Registry, img: t.Image, pullSecret: t.PullSecret, tag: d.NewTag, platforms: pol.Platforms()}
	}
	return d
}

// unsupportedSource explains why a target's source cannot take an image
// update ("" when it can): a plain directory of manifests with no Helm,
// Kustomize or plugin manifest target and no kustomization or Helm values
// file to write would get Helm parameters that Argo CD never applies to
// it. Argo CD Image Updater ignores such applications; both modes skip the
// image and say why, before asking the registry.
func unsupportedSource(t target.Target) string {
	if t.Source.Kind != "directory" || t.Manifest.Kind != "" || t.Manifest.KustomizeName != "" {
		return ""
	}
	if t.WriteBack.Method == target.MethodGit && (strings.HasPrefix(t.WriteBack.Target, "kustomization") || strings.HasPrefix(t.WriteBack.Target, "helmvalues")) {
		return ""
	}
	return fmt.Sprintf("application %s has a plain directory source (path %q): only Helm, Kustomize and plugin sources take image updates; use one, or name the file to write (write-back-target kustomization or helmvalues)", t.App, t.Source.Path)
}

// compare decides between update and skip once a tag is chosen.
func compare(d Decision, pol *policy.Policy) Decision {
	cur := d.Current
	if cur.Hold != nil {
		if cur.Hold.Pinned || !ranksAbove(pol, d.NewTag, d.NewDigest, cur.Hold.Until) {
			d = d.skip("held at %s: %s", orUnknown(cur.Tag), cur.Hold.Reason)
			d.Held = true
			return d
		}
	}
	if cur.Tag == "" {
		return d.update("no current tag known; setting %s", d.NewValue())
	}
	switch pol.Strategy() {
	case policy.StrategyDigest:
		if cur.Digest == d.NewDigest {
			return d.skip("%s is already at digest %s", cur.Tag, cur.Digest)
		}
		return d.update("%s -> %s", displayVersion(cur.Tag, cur.Digest), d.NewValue())
	case policy.StrategyNewestBuild:
		sameImage := cur.Digest == "" || d.NewDigest == "" || cur.Digest == d.NewDigest
		if d.NewTag == cur.Tag && sameImage {
			return d.skip("%s is already the newest build", cur.Tag)
		}
		return d.update("%s -> %s", displayVersion(cur.Tag, cur.Digest), d.NewValue())
	}
	newer, err := pol.IsNewer(d.NewTag, cur.Tag)
	if err != nil {
		// The deployed tag does not fit the strategy (say "latest" under
		// semver): move to the chosen tag, which does.
		return d.update("%s -> %s (current tag %q is not comparable: %v)", cur.Tag, d.NewTag, cur.Tag, err)
	}
	if !newer {
		if d.NewTag == cur.Tag {
			return d.skip("%s is already the newest eligible tag", cur.Tag)
		}
		return d.skip("current %s ranks at or above the newest eligible tag %s (no downgrade)", cur.Tag, d.NewTag)
	}
	return d.update("%s -> %s", cur.Tag, d.NewTag)
}

// ranksAbove reports whether the candidate ends a rollback hold set at until.
func ranksAbove(pol *policy.Policy, tag, digest, until string) bool {
	if until == "" {
		return false
	}
	newer, err := pol.IsNewer(tag, until)
	if errors.Is(err, policy.ErrNotComparable) {
		return tag != until && digest != until
	}
	return err == nil && newer
}

func (d Decision) update(format string, args ...any) Decision {
	d.Action, d.Reason = ActionUpdate, fmt.Sprintf(format, args...)
	return d
}

func (d Decision) skip(format string, args ...any) Decision {
	d.Action, d.Reason = ActionSkip, fmt.Sprintf(format, args...)
	return d
}

func (d Decision) fail(err error) Decision {
	d.Action, d.Err, d.Reason = ActionError, err, err.Error()
	return d
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func displayVersion(tag, digest string) string {
	if digest == "" {
		return tag
	}
	return tag + "@" + digest
}

func (p *Planner) log(ctx context.Context, d Decision) {
	if p.Logger == nil {
		return
	}
	attrs := []any{"application", d.Target.App.String(), "image", d.Target.Image.Key(), "action", string(d.Action), "reason", d.Reason}
	switch d.Action {
	case ActionError:
		p.Logger.ErrorContext(ctx, "image check failed", attrs...)
	case ActionUpdate:
		p.Logger.InfoContext(ctx, "image update planned", attrs...)
	case ActionSkip:
		if d.Held {
			// A hold is a person's decision (or a rollback): say so where
			// operators look, not only at debug level.
			p.Logger.InfoContext(ctx, "image held", attrs...)
			return
		}
		fallthrough
	default:
		p.Logger.DebugContext(ctx, "image skipped", attrs...)
	}
}
