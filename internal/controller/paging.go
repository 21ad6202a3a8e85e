package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
)

// DefaultPageSize is the number of Applications per list request when
// they are read from the API server rather than an informer cache.
const DefaultPageSize = 500

// listApplicationPages lists Applications: from the cache in one call, or
// from the API server PageSize at a time (limit/continue), never in one
// unbounded response. Each item is reduced to what the controller reads
// (StripApplication), so a large list holds no more than the cache would.
func (e *Engine) listApplicationPages(ctx context.Context, opts ...client.ListOption) ([]argocd.Application, error) {
	if e.CachedReads {
		var list argocd.ApplicationList
		if err := e.Client.List(ctx, &list, opts...); err != nil {
			return nil, fmt.Errorf("listing applications: %w", err)
		}
		return list.Items, nil
	}
	size := e.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	if e.Streamer != nil {
		if lo := (&client.ListOptions{}).ApplyOptions(opts); lo.LabelSelector == nil && lo.FieldSelector == nil {
			return e.streamApplications(ctx, lo.Namespace, size)
		}
	}
	var out []argocd.Application
	cont := ""
	for page := 1; ; page++ {
		var list argocd.ApplicationList
		pageOpts := append([]client.ListOption{client.Limit(size), client.Continue(cont)}, opts...)
		if err := e.Client.List(ctx, &list, pageOpts...); err != nil {
			return nil, fmt.Errorf("listing applications (page %d of %d per page): %w", page, size, err)
		}
		for i := range list.Items {
			stripApplication(&list.Items[i])
		}
		out = append(out, list.Items...)
		if cont = list.Continue; cont == "" {
			return out, nil
		}
	}
}

// streamApplications lists through the Streamer, page by page.
func (e *Engine) streamApplications(ctx context.Context, ns string, size int64) ([]argocd.Application, error) {
	var out []argocd.Application
	cont := ""
	for page := 1; ; page++ {
		next, err := e.Streamer.Page(ctx, ns, size, cont, func(app *argocd.Application) { out = append(out, *app) })
		if err != nil {
			return nil, fmt.Errorf("listing applications (page %d of %d per page): %w", page, size, err)
		}
		if cont = next; cont == "" {
			return out, nil
		}
	}
}
