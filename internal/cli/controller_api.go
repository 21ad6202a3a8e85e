package cli

import (
	"context"
	"fmt"
	"log/slog"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// controllerBackend serves the trigger API from the in-cluster controller;
// its passes and hold changes take turns with the reconciler (the engine's
// mutex).
func controllerBackend(engine *controller.Engine, legacy *controller.Legacy) api.Backend {
	return api.NewBackend(api.CheckerFunc(func(ctx context.Context, req api.CheckRequest) (api.CheckResult, error) {
		out, err := engine.RunFor(ctx, legacy, controller.Match(checkMatcher(req)))
		if err != nil && len(out.Decisions) == 0 {
			return api.CheckResult{}, err
		}
		res := api.ResultOf(out.Result)
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
		}
		return res, nil
	}), engine.Holds(legacy))
}

// addControllerTriggers adds the webhook server (--enable-webhook) and the
// trigger API (--api-port, --api-bind-address) to the manager; like the
// reconciler they run on the leader only. Configuration errors (no token,
// a secret for an unknown type, a bad TLS setting) are returned now.
func (o *controllerOptions) addControllerTriggers(mgr manager.Manager, engine *controller.Engine, legacy *controller.Legacy, logger *slog.Logger) error {
	runs, err := o.triggerRunnables(engine, legacy, logger)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if err := mgr.Add(manager.RunnableFunc(run)); err != nil {
			return fmt.Errorf("adding trigger server: %w", err)
		}
	}
	return nil
}

// triggerRunnables builds the webhook server and the trigger API the flags
// ask for, each as a function serving until its context ends.
func (o *controllerOptions) triggerRunnables(engine *controller.Engine, legacy *controller.Legacy, logger *slog.Logger) ([]func(context.Context) error, error) {
	var runs []func(context.Context) error
	if o.hooks != nil && o.hooks.enabled && o.hooks.address() != "" {
		sink := webhook.SinkFunc(func(ctx context.Context, ev webhook.Event) {
			logger.InfoContext(ctx, "webhook: re-checking repository", "registry", ev.Registry, "repository", ev.Repository, "type", ev.Source)
			if _, err := engine.RunFor(ctx, legacy, controller.Match(eventMatcher(ev))); err != nil {
				logger.ErrorContext(ctx, "webhook-triggered pass failed", "error", err)
			}
		})
		srv, hs, err := o.hooks.newServer(logger, sink)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		runs = append(runs, func(ctx context.Context) error {
			go func() { _ = srv.Start(ctx) }()
			return hs.serve(ctx, logger)
		})
	}
	if o.api != nil && o.api.address() != "" {
		h, err := api.NewServer(controllerBackend(engine, legacy), envOr("IMAGEPILOT_API_TOKEN", ""), logger)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		hs, err := newHTTPServer("trigger API", o.api.address(), api.NewHTTPServer("", h), false, webhook.TLSOptions{})
		if err != nil {
			return nil, err
		}
		runs = append(runs, func(ctx context.Context) error { return hs.serve(ctx, logger) })
	}
	return runs, nil
}
