package controller

import (
	"context"
	"fmt"
	"path"
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/target"
)

// Legacy selects applications the v0.x way: every Application with an
// image-list annotation, narrowed by name globs and a label selector.
type Legacy struct {
	// NamePatterns are path.Match globs (--match-application-name); empty
	// matches every name.
	NamePatterns []string
	// Labels is a label selector (--match-application-label); nil matches
	// everything.
	Labels labels.Selector
}

// NewLegacy validates the legacy selection flags.
func NewLegacy(namePatterns []string, labelSelector string) (*Legacy, error) {
	for _, p := range namePatterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--match-application-name %q: %w", p, err)
		}
	}
	l := &Legacy{NamePatterns: namePatterns}
	if labelSelector != "" {
		sel, err := labels.Parse(labelSelector)
		if err != nil {
			return nil, fmt.Errorf("--match-application-label %q: %w", labelSelector, err)
		}
		l.Labels = sel
	}
	return l, nil
}

// Matches reports whether the legacy selection takes app.
func (l *Legacy) Matches(app *argocd.Application) bool {
	if !target.HasImageList(app.Annotations) {
		return false
	}
	if l.Labels != nil && !l.Labels.Matches(labels.Set(app.Labels)) {
		return false
	}
	if len(l.NamePatterns) == 0 {
		return true
	}
	for _, p := range l.NamePatterns {
		if ok, _ := path.Match(p, app.Name); ok {
			return true
		}
	}
	return false
}

// RunLegacy runs one pass over the applications the legacy selection takes
// in the watched namespaces (all when none are set).
func (e *Engine) RunLegacy(ctx context.Context, l *Legacy) (Outcome, error) {
	e.init()
	e.passMu.Lock()
	defer e.passMu.Unlock()
	sel, err := e.selectLegacy(ctx, l)
	if err != nil {
		return Outcome{}, err
	}
	out := e.pass(ctx, sel, func(ctx context.Context, res cycle.Result) {
		for _, p := range res.Problems {
			e.Logger.ErrorContext(ctx, "configuration problem", "error", p)
		}
	}, "mode", "legacy-annotations")
	return out, nil
}

// selectLegacy collects the applications and targets the legacy selection
// takes.
func (e *Engine) selectLegacy(ctx context.Context, l *Legacy) (selection, error) {
	// With no watched namespaces, "" lists every namespace.
	apps, err := e.listApplications(ctx, "")
	if err != nil {
		return selection{}, err
	}
	claimed, err := e.imageUpdaterClaims(ctx, apps)
	if err != nil {
		return selection{}, err
	}
	sel := selection{apps: map[target.AppRef]*argocd.Application{}}
	for i := range apps {
		app := &apps[i]
		if !l.Matches(app) {
			continue
		}
		if owner, ok := claimed[target.AppRef{Namespace: app.Namespace, Name: app.Name}]; ok {
			// The ImageUpdater decides, even when its settings are broken:
			// never fall back to the annotations.
			e.Logger.DebugContext(ctx, "legacy annotations ignored: an ImageUpdater selects the application", "application", key(app.Namespace, app.Name), "imageupdater", owner)
			continue
		}
		ref := target.AppRef{Namespace: app.Namespace, Name: app.Name}
		sel.apps[ref] = app
		ts, errs := target.FromAnnotations(ref, app.Annotations)
		ts, perrs := target.Place(app, ts)
		errs = append(errs, perrs...)
		sel.targets = append(sel.targets, ts...)
		sel.problems = append(sel.problems, errs...)
	}
	sel.matched = len(sel.apps)
	return sel, nil
}

// imageUpdaterClaims maps every application an ImageUpdater (in any
// namespace) selects to the first such ImageUpdater by name.
func (e *Engine) imageUpdaterClaims(ctx context.Context, apps []argocd.Application) (map[target.AppRef]string, error) {
	var list v1alpha1.ImageUpdaterList
	if err := e.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing image updaters: %w", err)
	}
	out := map[target.AppRef]string{}
	for i := range list.Items {
		iu := &list.Items[i]
		// An ImageUpdater selects applications of its own namespace, or of
		// the watched ones.
		var candidates []argocd.Application
		nss := e.namespaces(iu.Namespace)
		for _, a := range apps {
			if nss == nil || slices.Contains(nss, a.Namespace) {
				candidates = append(candidates, a)
			}
		}
		owner := key(iu.Namespace, iu.Name)
		for _, ref := range target.Selected(iu, candidates) {
			if prev, ok := out[ref]; !ok || owner < prev {
				out[ref] = owner
			}
		}
	}
	return out, nil
}
