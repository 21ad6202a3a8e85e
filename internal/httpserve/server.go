package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/imagepilot/imagepilot/internal/webhook"
)

// Server is an HTTP or HTTPS server bound to its listener.
type Server struct {
	what string
	srv  *http.Server
	ln   net.Listener
	tls  bool
	cert webhook.CertSource
}

// Listen listens on addr for srv and, with useTLS, configures HTTPS
// (a self-signed certificate when o names none); what names the server in
// errors and logs. Errors are configuration errors.
func Listen(what, addr string, srv *http.Server, useTLS bool, o webhook.TLSOptions) (*Server, error) {
	hs := &Server{what: what, srv: srv, tls: useTLS}
	if useTLS {
		src, err := webhook.ConfigureTLS(srv, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		hs.cert = src
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	hs.ln = ln
	srv.Addr = ln.Addr().String()
	return hs, nil
}

// Serve serves until ctx ends (or the server fails), then shuts down
// within 10 s.
func (hs *Server) Serve(ctx context.Context, logger *slog.Logger) error {
	// net/http's own messages (TLS handshake failures) go to our log.
	hs.srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelInfo)
	done := make(chan error, 1)
	go func() {
		if hs.tls {
			done <- hs.srv.ServeTLS(hs.ln, "", "")
		} else {
			done <- hs.srv.Serve(hs.ln)
		}
	}()
	scheme := "http"
	if hs.tls {
		scheme = "https"
	}
	logger.InfoContext(ctx, hs.what+" listening", "address", hs.ln.Addr().String(), "scheme", scheme, "certificate", string(hs.cert))
	select {
	case err := <-done:
		return fmt.Errorf("%s: %w", hs.what, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.srv.Shutdown(shutdownCtx)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", hs.what, err)
	}
	return nil
}
