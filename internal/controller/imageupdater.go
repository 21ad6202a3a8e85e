package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// selectImageUpdater collects the applications and targets an ImageUpdater
// acts on (an application another ImageUpdater also selects goes to the
// first by name).
func (e *Engine) selectImageUpdater(ctx context.Context, iu *v1alpha1.ImageUpdater) (selection, error) {
	apps, err := e.listApplications(ctx, iu.Namespace)
	if err != nil {
		return selection{}, err
	}
	matches, problems := target.MatchApplications(&iu.Spec, apps)
	// Conflicts matter only for the applications this one selects: match
	// the other ImageUpdaters against those alone.
	selected := make([]argocd.Application, 0, len(matches))
	for _, m := range matches {
		selected = append(selected, *m.App)
	}
	owners, err := e.claims(ctx, iu, selected)
	if err != nil {
		return selection{}, err
	}
	sel := selection{apps: map[target.AppRef]*argocd.Application{}, matched: len(matches), problems: problems}
	if len(problems) > 0 {
		sel.stalled = errors.Join(problems...)
	}
	var transient []error
	keys := e.keyReader(iu.Namespace)
	for _, m := range matches {
		ref := target.AppRef{Namespace: m.App.Namespace, Name: m.App.Name}
		if others := owners[ref]; len(others) > 0 {
			sel.conflicts = append(sel.conflicts, fmt.Sprintf("application %s is also selected by ImageUpdater %s", ref, others[0]))
			if others[0] < key(iu.Namespace, iu.Name) {
				continue // the first by name acts
			}
		}
		sel.apps[ref] = m.App
		var ts []target.Target
		var errs []error
		if len(problems) > 0 {
			// An invalid applicationRef: act on none (see
			// target.FromImageUpdater).
			errs = target.RefsBlocked([]target.Match{m}, problems)
		} else {
			ts, errs = target.TargetsFor(&iu.Spec, m.RefIndex, m.App)
			if len(errs) == 0 {
				ts, errs = e.resolveVerification(ctx, keys, ref, ts)
				for _, err := range errs {
					if !errors.Is(err, target.ErrConfig) {
						transient = append(transient, err)
					}
				}
			}
		}
		sel.targets = append(sel.targets, ts...)
		sel.problems = append(sel.problems, errs...)
		if len(errs) > 0 {
			if sel.blocked == nil {
				sel.blocked = map[target.AppRef][]error{}
			}
			sel.blocked[ref] = errs
		}
	}
	sel.transient = errors.Join(transient...)
	return sel, nil
}

func key(ns, name string) string { return ns + "/" + name }

// namespaces returns the namespaces whose Applications an ImageUpdater in
// ns may select (nil = all).
func (e *Engine) namespaces(ns string) []string {
	if len(e.WatchNamespaces) == 0 {
		return []string{ns}
	}
	if slices.Contains(e.WatchNamespaces, "*") {
		return nil
	}
	return e.WatchNamespaces
}

// passApps memoises Application lists for one RunOnce pass, so every
// ImageUpdater of the pass shares one list per namespace set (the manager
// reads from its cache anyway).
type passApps struct {
	mu    sync.Mutex
	lists map[string][]argocd.Application
}

type passAppsKey struct{}

func withPassApps(ctx context.Context) context.Context {
	return context.WithValue(ctx, passAppsKey{}, &passApps{lists: map[string][]argocd.Application{}})
}

func (e *Engine) listApplications(ctx context.Context, ns string) ([]argocd.Application, error) {
	memo, _ := ctx.Value(passAppsKey{}).(*passApps)
	if memo == nil {
		return e.listApplicationsUncached(ctx, ns)
	}
	key := strings.Join(e.namespaces(ns), ",") + "|" + fmt.Sprint(e.namespaces(ns) == nil)
	memo.mu.Lock()
	defer memo.mu.Unlock()
	if apps, ok := memo.lists[key]; ok {
		return slices.Clone(apps), nil
	}
	apps, err := e.listApplicationsUncached(ctx, ns)
	if err == nil {
		memo.lists[key] = apps
	}
	return slices.Clone(apps), err
}

func (e *Engine) listApplicationsUncached(ctx context.Context, ns string) ([]argocd.Application, error) {
	var out []argocd.Application
	err := e.forNamespaces(e.namespaces(ns), func(opts ...client.ListOption) error {
		items, err := e.listApplicationPages(ctx, opts...)
		out = append(out, items...)
		return err
	})
	return out, err
}

func (e *Engine) forNamespaces(nss []string, list func(...client.ListOption) error) error {
	if nss == nil {
		return list()
	}
	for _, ns := range nss {
		if err := list(client.InNamespace(ns)); err != nil {
			return err
		}
	}
	return nil
}

// claims maps each application to the other ImageUpdaters (namespace/name,
// sorted) that select it.
func (e *Engine) claims(ctx context.Context, self *v1alpha1.ImageUpdater, apps []argocd.Application) (map[target.AppRef][]string, error) {
	// Without watched namespaces an ImageUpdater sees only its own
	// namespace; with them, one anywhere may select the same applications.
	nss := []string{self.Namespace}
	if len(e.WatchNamespaces) > 0 {
		nss = nil
	}
	var ius []v1alpha1.ImageUpdater
	err := e.forNamespaces(nss, func(opts ...client.ListOption) error {
		var list v1alpha1.ImageUpdaterList
		if err := e.Client.List(ctx, &list, opts...); err != nil {
			return fmt.Errorf("listing image updaters: %w", err)
		}
		ius = append(ius, list.Items...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[target.AppRef][]string{}
	for i := range ius {
		other := &ius[i]
		if other.Namespace == self.Namespace && other.Name == self.Name {
			continue
		}
		matches, _ := target.MatchApplications(&other.Spec, apps)
		for _, m := range matches {
			ref := target.AppRef{Namespace: m.App.Namespace, Name: m.App.Name}
			out[ref] = append(out[ref], key(other.Namespace, other.Name))
		}
	}
	for ref := range out {
		slices.Sort(out[ref])
	}
	return out, nil
}

// RunOnce reconciles every ImageUpdater (in any namespace; --watch-namespaces
// limits the Applications they select) once, with a fresh registry cycle,
// through the same outer and inner reconcile as the manager. The error
// joins what kept passes from running or status from being written;
// ImageUpdaters stalled on their own configuration are reported in their
// status (and the log), not in the error.
func (e *Engine) RunOnce(ctx context.Context) error {
	e.init()
	e.cycles.fresh()
	ctx = withPassApps(ctx)
	var list v1alpha1.ImageUpdaterList
	if err := e.Client.List(ctx, &list); err != nil {
		return fmt.Errorf("listing image updaters: %w", err)
	}
	var errs []error
	for i := range list.Items {
		iu := &list.Items[i]
		if _, err := e.ReconcileImageUpdater(ctx, iu); err != nil && !isTerminal(err) {
			errs = append(errs, fmt.Errorf("imageupdater %s: %w", key(iu.Namespace, iu.Name), err))
		}
	}
	return joinErrs(errs)
}

func (e *Engine) recordMetrics(iu *v1alpha1.ImageUpdater, o Outcome, images int) {
	if e.Metrics == nil {
		return
	}
	updated, _, errored := o.Counts()
	e.Metrics.SetApplicationsWatched(iu.Name, iu.Namespace, o.Applications)
	e.Metrics.SetImagesWatched(iu.Name, iu.Namespace, images)
	if !e.DryRun {
		e.Metrics.AddImagesUpdated(iu.Name, iu.Namespace, updated)
	}
	e.Metrics.AddImageErrors(iu.Name, iu.Namespace, errored)
}
