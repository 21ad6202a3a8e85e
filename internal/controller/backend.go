package controller

import (
	"context"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// Backend serves the trigger API from the controller: a check is a
// filtered pass (RunFor) over every ImageUpdater and, when legacy is set,
// the legacy selection; holds live in the Applications' annotations.
// Passes and hold changes take turns with the reconciler.
func (e *Engine) Backend(legacy *Legacy) api.Backend {
	return api.NewBackend(api.CheckerFunc(func(ctx context.Context, req api.CheckRequest) (api.CheckResult, error) {
		out, err := e.RunFor(ctx, legacy, func(t target.Target) bool { return t.Named(req.Application, req.Image) })
		if err != nil && len(out.Decisions) == 0 {
			return api.CheckResult{}, err
		}
		res := api.ResultOf(out.Result)
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
		}
		return res, nil
	}), e.Holds(legacy))
}

// WebhookSink runs, for each registry webhook event, a filtered pass over
// the images of the pushed repository.
func (e *Engine) WebhookSink(legacy *Legacy) webhook.Sink {
	return webhook.SinkFunc(func(ctx context.Context, ev webhook.Event) {
		e.init()
		if e.Metrics != nil {
			e.Metrics.Ops.WebhookEvent(ev.Source)
		}
		e.Logger.InfoContext(ctx, "webhook: re-checking repository", "registry", ev.Registry, "repository", ev.Repository, "type", ev.Source)
		if _, err := e.RunFor(ctx, legacy, func(t target.Target) bool { return t.InRepository(ev.Registry, ev.Repository) }); err != nil {
			e.Logger.ErrorContext(ctx, "webhook-triggered pass failed", "error", err)
		}
	})
}
