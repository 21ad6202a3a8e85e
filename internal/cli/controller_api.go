package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

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
// trigger API (--api-port) to the manager; like the reconciler they run on
// the leader only. Configuration errors (no token, a secret for an unknown
// type) are returned now.
func (o *controllerOptions) addControllerTriggers(mgr manager.Manager, engine *controller.Engine, legacy *controller.Legacy, logger *slog.Logger) error {
	if o.hooks != nil && o.hooks.enabled {
		sink := webhook.SinkFunc(func(ctx context.Context, ev webhook.Event) {
			logger.InfoContext(ctx, "webhook: re-checking repository", "registry", ev.Registry, "repository", ev.Repository, "type", ev.Source)
			if _, err := engine.RunFor(ctx, legacy, controller.Match(eventMatcher(ev))); err != nil {
				logger.ErrorContext(ctx, "webhook-triggered pass failed", "error", err)
			}
		})
		srv, err := webhook.NewServer(webhook.Config{Secrets: webhookSecrets(), AllowUnauthenticated: o.hooks.unauthenticated, Logger: logger}, sink)
		if err != nil {
			return withCode(ExitUsage, fmt.Errorf("webhook server: %w", err))
		}
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			go func() { _ = srv.Start(ctx) }()
			return serveUntilDone(ctx, "webhook server", o.hooks.port, srv, webhook.NewHTTPServer, logger)
		})); err != nil {
			return fmt.Errorf("adding webhook server: %w", err)
		}
	}
	if o.api != nil && o.api.port != 0 {
		h, err := api.NewServer(controllerBackend{engine: engine, legacy: legacy}, envOr("IMAGEPILOT_API_TOKEN", ""), logger)
		if err != nil {
			return withCode(ExitUsage, err)
		}
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			return serveUntilDone(ctx, "trigger API", o.api.port, h, api.NewHTTPServer, logger)
		})); err != nil {
			return fmt.Errorf("adding trigger API: %w", err)
		}
	}
	return nil
}

// serveUntilDone serves h on port until ctx ends.
func serveUntilDone(ctx context.Context, what string, port int, h http.Handler, newSrv func(string, http.Handler) *http.Server, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	srv := newSrv(ln.Addr().String(), h)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	logger.InfoContext(ctx, what+" listening", "address", ln.Addr().String())
	select {
	case err := <-done:
		return fmt.Errorf("%s: %w", what, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
