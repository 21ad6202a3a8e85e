package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServeOptions says what Serve serves, and where.
type ServeOptions struct {
	// MetricsAddr serves /metrics (plain HTTP); "" or "0" serves nothing.
	MetricsAddr string
	// HealthAddr serves /healthz and /readyz; "" or "0" serves nothing.
	// When both addresses are the same, one server serves all three paths.
	HealthAddr string
	// Gatherer is what /metrics exports.
	Gatherer prometheus.Gatherer
	// Ready answers /readyz: nil is ready (200), an error is not (503,
	// with the error's text). Nil Ready is always ready.
	Ready func() error
	// Logger receives serving errors.
	Logger *slog.Logger
}

// Server is the running metrics and probe servers.
type Server struct {
	// MetricsAddr and HealthAddr are the addresses listened on ("" when
	// off), with the port chosen for ":0".
	MetricsAddr, HealthAddr string

	servers  []*http.Server
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// disabled reports whether addr turns a server off.
func disabled(addr string) bool { return addr == "" || addr == "0" }

// Serve listens on the addresses of o (an address in use is an error,
// returned at once) and serves until ctx ends or Stop is called.
func Serve(ctx context.Context, o ServeOptions) (*Server, error) {
	if o.Gatherer == nil {
		return nil, errors.New("metrics: no gatherer")
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	muxes := map[string]*http.ServeMux{}
	mux := func(addr string) *http.ServeMux {
		if m, ok := muxes[addr]; ok {
			return m
		}
		m := http.NewServeMux()
		muxes[addr] = m
		return m
	}
	if !disabled(o.MetricsAddr) {
		mux(o.MetricsAddr).Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{logger}}))
	}
	if !disabled(o.HealthAddr) {
		m := mux(o.HealthAddr)
		m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
		m.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
			if o.Ready != nil {
				if err := o.Ready(); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
			}
			_, _ = w.Write([]byte("ok\n"))
		})
	}
	s := &Server{done: make(chan error, len(muxes))}
	var lc net.ListenConfig
	listeners := map[string]net.Listener{}
	for addr := range muxes {
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		listeners[addr] = l
	}
	for addr, l := range listeners {
		if addr == o.MetricsAddr {
			s.MetricsAddr = l.Addr().String()
		}
		if addr == o.HealthAddr {
			s.HealthAddr = l.Addr().String()
		}
		srv := &http.Server{Handler: muxes[addr], ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go func() {
			err := srv.Serve(l)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			if err != nil {
				logger.Error("metrics/probe server stopped", "address", l.Addr().String(), "error", err)
			}
			s.done <- err
		}()
	}
	go func() {
		<-ctx.Done()
		s.shutdown()
	}()
	return s, nil
}

// Stop stops the servers and waits for them; later calls return the
// first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.shutdown()
		var errs []error
		for range s.servers {
			errs = append(errs, <-s.done)
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

func (s *Server) shutdown() {
	for _, srv := range s.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(ctx)
		cancel()
	}
}

// slogPrinter adapts a slog.Logger to promhttp's logger.
type slogPrinter struct{ l *slog.Logger }

// Println logs v at error level.
func (p slogPrinter) Println(v ...any) { p.l.Error(fmt.Sprint(v...)) }
