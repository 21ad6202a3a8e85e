package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/holds"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// controllerBackend serves the trigger API from the in-cluster controller;
// its passes and hold changes take turns with the reconciler (the engine's
// mutex).
type controllerBackend struct {
	engine *controller.Engine
	legacy *controller.Legacy
}

var _ api.Backend = controllerBackend{}

// Check runs a pass limited to the request's application and image.
func (b controllerBackend) Check(ctx context.Context, req api.CheckRequest) (api.CheckResult, error) {
	out, err := b.engine.RunFor(ctx, b.legacy, controller.Match(checkMatcher(req)))
	if err != nil && len(out.Decisions) == 0 {
		return api.CheckResult{}, err
	}
	res := outcomeResult(out)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	return res, nil
}

func outcomeResult(o controller.Outcome) api.CheckResult {
	problems := slices.Clone(o.Problems)
	for _, r := range o.ArgoCD {
		if r.Err != nil {
			problems = append(problems, r.Err)
		}
	}
	return apiCheckResult(o.Decisions, o.Git, problems)
}

// Holds lists the holds of the watched Applications.
func (b controllerBackend) Holds(ctx context.Context) (holds.Set, error) {
	return b.engine.Holds(ctx)
}

// Hold pins an image (annotation on the Application; a version is written
// back too).
func (b controllerBackend) Hold(ctx context.Context, h holds.Hold) error {
	return controllerNotFound(b.engine.Hold(ctx, b.legacy, h))
}

// Release removes a hold.
func (b controllerBackend) Release(ctx context.Context, application, image string) error {
	return controllerNotFound(b.engine.Release(ctx, application, image))
}

func controllerNotFound(err error) error {
	if errors.Is(err, controller.ErrNoSuchImage) {
		return fmt.Errorf("%w: %w", api.ErrNotFound, err)
	}
	return err
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
		h, err := api.NewServer(controllerBackend{engine: engine, legacy: legacy}, envOr("IMAGEPILOT_API_TOKEN", ""), logger)
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
