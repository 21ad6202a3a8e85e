package cli

import (
	"context"
	"fmt"
	"log/slog"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/httpserve"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

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
	return triggerServers(o.hooks, o.api, func() webhook.Sink { return engine.WebhookSink(legacy) }, func() api.Backend { return engine.Backend(legacy) }, logger)
}

// triggerServers builds the servers the flags turn on (either may be nil):
// the registry webhook server, delivering to sink, and the trigger API,
// served by backend; each runs until its context ends. Configuration
// errors (no token, a secret for an unknown type, a bad TLS setting, a
// taken port) are returned now, as usage errors.
func triggerServers(hooks *webhookFlags, apiF *apiFlags, sink func() webhook.Sink, backend func() api.Backend, logger *slog.Logger) ([]func(context.Context) error, error) {
	var runs []func(context.Context) error
	if hooks != nil && hooks.enabled && hooks.address() != "" {
		srv, hs, err := hooks.newServer(logger, sink())
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		runs = append(runs, func(ctx context.Context) error {
			go func() { _ = srv.Start(ctx) }()
			return hs.Serve(ctx, logger)
		})
	}
	if apiF != nil && apiF.address() != "" {
		h, err := api.NewServer(backend(), envOr("IMAGEPILOT_API_TOKEN", ""), logger)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		hs, err := httpserve.Listen("trigger API", apiF.address(), api.NewHTTPServer("", h), false, webhook.TLSOptions{})
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		runs = append(runs, func(ctx context.Context) error { return hs.Serve(ctx, logger) })
	}
	return runs, nil
}
