package controller

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cycle"
)

// scope is one ImageUpdater's selection, or the legacy selection (iu nil).
type scope struct {
	iu  *v1alpha1.ImageUpdater
	sel selection
}

func (s scope) name() string {
	if s.iu == nil {
		return "legacy-annotations"
	}
	return key(s.iu.Namespace, s.iu.Name)
}

// scopes collects the selection of every ImageUpdater (in any namespace)
// and, when legacy is set, of the legacy selection. An ImageUpdater whose
// selection fails is left out and reported in the error.
func (e *Engine) scopes(ctx context.Context, legacy *Legacy) ([]scope, error) {
	var list v1alpha1.ImageUpdaterList
	if err := e.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing image updaters: %w", err)
	}
	var out []scope
	var errs []error
	for i := range list.Items {
		iu := &list.Items[i]
		if !iu.DeletionTimestamp.IsZero() {
			continue
		}
		sel, err := e.selectImageUpdater(ctx, iu)
		if err != nil {
			errs = append(errs, fmt.Errorf("imageupdater %s: %w", key(iu.Namespace, iu.Name), err))
			continue
		}
		out = append(out, scope{iu: iu, sel: sel})
	}
	if legacy != nil {
		sel, err := e.selectLegacy(ctx, legacy)
		if err != nil {
			errs = append(errs, fmt.Errorf("legacy selection: %w", err))
		} else {
			out = append(out, scope{sel: sel})
		}
	}
	return out, joinErrs(errs)
}

// RunFor runs one pass over the targets match accepts, among every
// ImageUpdater's applications and (when legacy is set) the legacy
// selection, with fresh tag listings of those targets' repositories (later
// passes of the interval reuse the fresh listings, never older ones).
// Webhooks and the trigger API call it. Updates are added to each
// ImageUpdater's status.recentUpdates; conditions and counts are left to
// the full passes. The error reports selections that could not be read;
// the Outcome holds what ran.
func (e *Engine) RunFor(ctx context.Context, legacy *Legacy, match Match) (Outcome, error) {
	e.init()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	all, err := e.scopes(ctx, legacy)
	var repos []string
	for i := range all {
		all[i].sel = all[i].sel.filter(match)
		for _, t := range all[i].sel.targets {
			if k := repoKey(t.Image); !slices.Contains(repos, k) {
				repos = append(repos, k)
			}
		}
	}
	e.cycles.refresh(repos)
	var total Outcome
	for _, s := range all {
		if len(s.sel.targets) == 0 {
			continue
		}
		out := e.pass(ctx, s.sel, func(ctx context.Context, res cycle.Result) {
			for _, p := range res.Problems {
				e.Logger.ErrorContext(ctx, "configuration problem", "selection", s.name(), "error", p)
			}
		}, "selection", s.name(), "trigger", true)
		if s.iu != nil {
			e.recordTriggeredMetrics(s.iu, out)
			if perr := e.patchRecent(ctx, s.iu, out); perr != nil {
				out.Problems = append(out.Problems, perr)
			}
		}
		total.Merge(out.Result)
	}
	return total, err
}

func (e *Engine) recordTriggeredMetrics(iu *v1alpha1.ImageUpdater, o Outcome) {
	if e.Metrics == nil {
		return
	}
	updated, _, errored := o.Counts()
	if !e.DryRun {
		e.Metrics.AddImagesUpdated(iu.Name, iu.Namespace, updated)
	}
	e.Metrics.AddImageErrors(iu.Name, iu.Namespace, errored)
}

// patchRecent adds a triggered pass's updates to the ImageUpdater's
// status.recentUpdates (read fresh, so no full pass's entries are lost).
func (e *Engine) patchRecent(ctx context.Context, iu *v1alpha1.ImageUpdater, o Outcome) error {
	now := metav1.NewTime(e.Now())
	recent := recentUpdates(o, now)
	if len(recent) == 0 || e.DryRun {
		return nil
	}
	var cur v1alpha1.ImageUpdater
	if err := e.direct().Get(ctx, types.NamespacedName{Namespace: iu.Namespace, Name: iu.Name}, &cur); err != nil {
		return fmt.Errorf("reading %s: %w", key(iu.Namespace, iu.Name), err)
	}
	orig := cur.DeepCopy()
	cur.Status.LastUpdatedAt = &now
	cur.Status.RecentUpdates = append(recent, cur.Status.RecentUpdates...)
	if len(cur.Status.RecentUpdates) > maxRecentUpdates {
		cur.Status.RecentUpdates = cur.Status.RecentUpdates[:maxRecentUpdates]
	}
	if err := e.direct().Status().Patch(ctx, &cur, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("patching status of %s: %w", key(iu.Namespace, iu.Name), err)
	}
	return nil
}
