package cli

import (
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
func (o *controllerOptions) triggerRunnables(engine *controller.Engine, legacy *controller.Legacy, logger *slog.Logger) ([]httpserve.Runnable, error) {
	return triggerServers(o.hooks, o.api, func() webhook.Sink { return engine.WebhookSink(legacy) }, func() api.Backend { return engine.Backend(legacy) }, logger)
}

// triggerServers builds the servers the flags turn on (either may be nil):
// the registry webhook server, delivering to sink, and the trigger API,
// served by backend; each runs until its context ends. Configuration
// errors (no token, a secret for an unknown type, a bad TLS setting, a
// taken port) are returned now, as usage errors.
func triggerServers(hooks *webhookFlags, apiF *apiFlags, sink func() webhook.Sink, backend func() api.Backend, logger *slog.Logger) ([]httpserve.Runnable, error) {
	var runs []httpserve.Runnable
	if hooks != nil && hooks.enabled && hooks.address() != "" {
		run, err := httpserve.Webhook(hooks.options(logger), sink(), logger)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		runs = append(runs, run)
	}
	if apiF != nil && apiF.address() != "" {
		run, err := httpserve.API(apiF.address(), envOr("IMAGEPILOT_API_TOKEN", ""), backend(), logger)
		if err != nil {
			return nil, withCode(ExitUsage, err)
		}
		runs = append(runs, run)
	}
	return runs, nil
}
