package httpserve

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/imagepilot/imagepilot/internal/api"
	"github.com/imagepilot/imagepilot/internal/webhook"
)

// Runnable serves until its context ends; an error means it stopped
// early.
type Runnable func(ctx context.Context) error

// WebhookOptions configure the registry webhook server.
type WebhookOptions struct {
	// Addr is host:port to listen on.
	Addr string
	// Config is the webhook handler's configuration (secrets per type,
	// rate limits).
	Config webhook.Config
	// TLS serves HTTPS with TLSOptions (a self-signed certificate when
	// they name none); false serves plain HTTP.
	TLS        bool
	TLSOptions webhook.TLSOptions
}

// Webhook builds the registry webhook server delivering to sink and
// listens on o.Addr now, so a bad secret, TLS setting or a taken port is
// an error here; the Runnable serves it (and runs the handler's
// debouncing) until its context ends. A server that will refuse every
// request, or lets requests through unauthenticated, is logged as a
// warning.
func Webhook(o WebhookOptions, sink webhook.Sink, logger *slog.Logger) (Runnable, error) {
	if len(o.Config.Secrets) == 0 && !o.Config.AllowUnauthenticated {
		logger.Warn("webhook server has no secret for any type: every request will be refused; set a --<type>-webhook-secret (or its environment variable) or --webhook-require-secret=false")
	}
	if o.Config.AllowUnauthenticated {
		logger.Warn("webhook types without a secret accept unauthenticated requests (--webhook-require-secret=false)")
	}
	srv, err := webhook.NewServer(o.Config, sink)
	if err != nil {
		return nil, fmt.Errorf("webhook server: %w", err)
	}
	hs, err := Listen("webhook server", o.Addr, webhook.NewHTTPServer("", srv), o.TLS, o.TLSOptions)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		go func() { _ = srv.Start(ctx) }()
		return hs.Serve(ctx, logger)
	}, nil
}

// API builds the trigger API served by backend, authenticating callers
// with the bearer token, and listens on addr now (plain HTTP); the
// Runnable serves it until its context ends. An empty token is an error.
func API(addr, token string, backend api.Backend, logger *slog.Logger) (Runnable, error) {
	h, err := api.NewServer(backend, token, logger)
	if err != nil {
		return nil, err
	}
	hs, err := Listen("trigger API", addr, api.NewHTTPServer("", h), false, webhook.TLSOptions{})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return hs.Serve(ctx, logger) }, nil
}

// RunAll runs every runnable until ctx ends; the first one to fail stops
// the others, and its error is returned once all have returned.
func RunAll(ctx context.Context, runs []Runnable) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(runs))
	for _, run := range runs {
		go func() { errs <- run(ctx) }()
	}
	var first error
	for range runs {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}
