package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/repomode"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// webhookFlags configure the registry webhook server.
type webhookFlags struct {
	enabled         bool
	port            int
	unauthenticated bool
}

func (w *webhookFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&w.enabled, "enable-webhook", envOr("ENABLE_WEBHOOK", "") == "true", "serve registry webhooks: a push re-checks the pushed repository at once")
	f.IntVar(&w.port, "webhook-port", envInt("WEBHOOK_PORT", 8082), "port of the webhook server (POST /webhook?type=TYPE)")
	f.BoolVar(&w.unauthenticated, "webhook-allow-unauthenticated", false, "accept webhook types that have no secret configured (unsafe)")
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(envOr(key, "")); err == nil {
		return n
	}
	return def
}

// webhookSecretEnv names the environment variable holding each type's secret
// (the names Argo CD Image Updater uses, plus ours).
var webhookSecretEnv = map[string]string{
	"docker.io":    "DOCKER_WEBHOOK_SECRET",
	"ghcr.io":      "GHCR_WEBHOOK_SECRET",
	"quay.io":      "QUAY_WEBHOOK_SECRET",
	"harbor":       "HARBOR_WEBHOOK_SECRET",
	"acr":          "ACR_WEBHOOK_SECRET",
	"aliyun-acr":   "ALIYUN_ACR_WEBHOOK_SECRET",
	"cloudevents":  "CLOUDEVENTS_WEBHOOK_SECRET",
	"gitlab":       "GITLAB_WEBHOOK_SECRET",
	"distribution": "DISTRIBUTION_WEBHOOK_SECRET",
}

func webhookSecrets() map[string]string {
	secrets := map[string]string{}
	for typ, env := range webhookSecretEnv {
		if v := os.Getenv(env); v != "" {
			secrets[typ] = v
		}
	}
	return secrets
}

// serveWebhooks runs the webhook server until ctx ends; each event runs a
// cycle limited to the pushed repository, one cycle at a time.
func serveWebhooks(ctx context.Context, w *webhookFlags, r *repomode.Runner, cycleMu *cycleLock) (func() error, error) {
	sink := webhook.SinkFunc(func(ctx context.Context, ev webhook.Event) {
		if err := cycleMu.LockContext(ctx); err != nil {
			r.Logger.ErrorContext(ctx, "webhook-triggered cycle not run", "registry", ev.Registry, "repository", ev.Repository, "error", err)
			return
		}
		defer cycleMu.Unlock()
		r.Logger.InfoContext(ctx, "webhook: re-checking repository", "registry", ev.Registry, "repository", ev.Repository, "type", ev.Source)
		if _, err := r.RunFor(ctx, eventMatcher(ev)); err != nil {
			r.Logger.ErrorContext(ctx, "webhook-triggered cycle failed", "error", err)
		}
	})
	srv, err := webhook.NewServer(webhook.Config{Secrets: webhookSecrets(), AllowUnauthenticated: w.unauthenticated, Logger: r.Logger}, sink)
	if err != nil {
		return nil, fmt.Errorf("webhook server: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(w.port)))
	if err != nil {
		return nil, fmt.Errorf("webhook server: %w", err)
	}
	httpSrv := webhook.NewHTTPServer(ln.Addr().String(), srv)
	go func() { _ = srv.Start(ctx) }()
	done := make(chan error, 1)
	go func() {
		err := httpSrv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	r.Logger.InfoContext(ctx, "webhook server listening", "address", ln.Addr().String())
	stop := func() error {
		_ = httpSrv.Shutdown(context.Background())
		return <-done
	}
	return stop, nil
}

// eventMatcher accepts the images of the event's repository.
func eventMatcher(ev webhook.Event) func(target.Target) bool {
	return func(t target.Target) bool {
		return t.Image.Registry == ev.Registry && t.Image.Repository == ev.Repository
	}
}
