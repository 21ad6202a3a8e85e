package controller

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
)

// imageUpdatersFor maps an Application to the ImageUpdaters that select
// it: those of the namespaces that may select it (its own without watched
// namespaces; every namespace when its namespace is watched), read from
// the cache and matched with their applicationRefs. A failed list maps to
// none (the interval's pass still comes).
func (e *Engine) imageUpdatersFor(ctx context.Context, obj client.Object) []reconcile.Request {
	app, ok := obj.(*argocd.Application)
	if !ok {
		return nil
	}
	e.init()
	var opts []client.ListOption
	switch {
	case len(e.WatchNamespaces) == 0:
		opts = append(opts, client.InNamespace(app.Namespace))
	case slices.Contains(e.WatchNamespaces, "*") || slices.Contains(e.WatchNamespaces, app.Namespace):
		// ImageUpdaters anywhere select Applications of watched namespaces.
	default:
		return nil
	}
	var list v1alpha1.ImageUpdaterList
	if err := e.Client.List(ctx, &list, opts...); err != nil {
		e.Logger.WarnContext(ctx, "could not map an Application change to ImageUpdaters", "application", key(app.Namespace, app.Name), "error", err)
		return nil
	}
	apps := []argocd.Application{*app}
	var out []reconcile.Request
	for i := range list.Items {
		iu := &list.Items[i]
		if matches, _ := target.MatchApplications(&iu.Spec, apps); len(matches) > 0 {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: iu.Namespace, Name: iu.Name}})
		}
	}
	return out
}

// ApplicationChangePredicate passes the Application events that matter to
// a pass: creation and deletion, and updates of its image-updater
// annotations (argocd-image-updater.argoproj.io/*, imagepilot.io/*), its
// labels (selection), spec.source or spec.sources, or the live images
// (status.summary.images). Sync and health status churn is dropped.
func ApplicationChangePredicate() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(ev event.UpdateEvent) bool {
			old, ok1 := ev.ObjectOld.(*argocd.Application)
			cur, ok2 := ev.ObjectNew.(*argocd.Application)
			if !ok1 || !ok2 {
				return false
			}
			return applicationChanged(old, cur)
		},
	}
}

// applicationChanged reports whether cur differs from old in what a pass
// reads.
func applicationChanged(old, cur *argocd.Application) bool {
	return !equality.Semantic.DeepEqual(keptAnnotations(old.Annotations), keptAnnotations(cur.Annotations)) ||
		!equality.Semantic.DeepEqual(old.Labels, cur.Labels) ||
		!equality.Semantic.DeepEqual(old.Spec.Source, cur.Spec.Source) ||
		!equality.Semantic.DeepEqual(old.Spec.Sources, cur.Spec.Sources) ||
		!slices.Equal(old.Status.Summary.Images, cur.Status.Summary.Images)
}
