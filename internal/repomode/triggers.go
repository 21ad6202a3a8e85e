package repomode

import (
	"context"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/cycle"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// WebhookSink runs, for each registry webhook event, a cycle limited to
// the pushed repository, taking turns on lock.
func (r *Runner) WebhookSink(lock *cycle.Lock) webhook.Sink {
	return webhook.SinkFunc(func(ctx context.Context, ev webhook.Event) {
		if r.OnWebhookEvent != nil {
			r.OnWebhookEvent(ev.Source)
		}
		logger := r.logger()
		if err := lock.LockContext(ctx); err != nil {
			logger.ErrorContext(ctx, "webhook-triggered cycle not run", "registry", ev.Registry, "repository", ev.Repository, "error", err)
			return
		}
		defer lock.Unlock()
		logger.InfoContext(ctx, "webhook: re-checking repository", "registry", ev.Registry, "repository", ev.Repository, "type", ev.Source)
		if _, err := r.RunFor(ctx, func(t target.Target) bool { return t.InRepository(ev.Registry, ev.Repository) }); err != nil {
			logger.ErrorContext(ctx, "webhook-triggered cycle failed", "error", err)
		}
	})
}

// Backend serves the trigger API (and the CLI's trigger, hold and release
// with --repo) from repo mode; checks, holds and releases take turns with
// the other cycles on lock.
func (r *Runner) Backend(lock *cycle.Lock) api.Backend {
	return api.NewBackend(api.CheckerFunc(func(ctx context.Context, req api.CheckRequest) (api.CheckResult, error) {
		return r.check(ctx, lock, req)
	}), r.Holds(lock))
}

// check runs a cycle limited to the request's application and image.
func (r *Runner) check(ctx context.Context, lock *cycle.Lock, req api.CheckRequest) (api.CheckResult, error) {
	if err := lock.LockContext(ctx); err != nil {
		return api.CheckResult{}, err
	}
	defer lock.Unlock()
	rep, err := r.RunFor(ctx, func(t target.Target) bool { return t.Named(req.Application, req.Image) })
	if err != nil {
		return api.CheckResult{}, err
	}
	res := api.ResultOf(rep.Result)
	for _, sk := range rep.Skipped { // says why a named application is not managed (then 404)
		if req.Application != "" && (req.Application == sk.App.Name || req.Application == sk.App.String()) {
			res.Problems = append(res.Problems, "skipped application "+sk.String())
		}
	}
	return res, api.NotFoundErr(req, res)
}
