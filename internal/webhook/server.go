package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Server is the webhook endpoint: POST /webhook?type=<type> (or header
// X-Registry-Type) and GET /healthz. Requests are authenticated, parsed and
// answered at once; their events reach the Sink through the debouncer once
// Start runs.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	limiter *ipLimiter // authenticated requests, per type and client
	// failLimiter counts failed authentications per client.
	failLimiter *ipLimiter
	replays     *replayCache
	debounce    *debouncer
	dispatch    *dispatcher
}

var _ http.Handler = (*Server)(nil)

// NewServer checks cfg, applies defaults and returns a server that feeds sink.
func NewServer(cfg Config, sink Sink) (*Server, error) {
	if sink == nil {
		return nil, fmt.Errorf("webhook server: sink is required")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		mux:      http.NewServeMux(),
		replays:  newReplayCache(cfg.ReplayCacheSize, cfg.ReplayTTL),
		dispatch: newDispatcher(sink, cfg.Logger, cfg.MaxConcurrentCalls, cfg.MaxQueuedRepos, cfg.CallTimeout),
	}
	if cfg.RequestsPerSecond > 0 {
		s.limiter = newIPLimiter(cfg.RequestsPerSecond, cfg.RateBurst, defaultMaxRateClients)
	}
	if cfg.FailedAuthPerSecond > 0 {
		s.failLimiter = newIPLimiter(cfg.FailedAuthPerSecond, cfg.FailedAuthBurst, defaultMaxRateClients)
	}
	s.debounce = newDebouncer(cfg.Clock, cfg.DebounceWindow, s.dispatch.submit)
	s.mux.HandleFunc("/webhook", s.handleWebhook)
	s.mux.HandleFunc("/healthz", handleHealthz)
	return s, nil
}

// ServeHTTP routes /webhook and /healthz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Start delivers events to the sink until ctx ends, then drops events still
// waiting in a debounce window and returns once running sink calls have
// returned; from then on /webhook answers 503 so senders retry later. Call
// it once. It fits controller-runtime's manager.Runnable.
func (s *Server) Start(ctx context.Context) error {
	s.dispatch.run(ctx)
	s.debounce.stop()
	return nil
}

// NewHTTPServer wraps h in an http.Server with timeouts suited to webhooks.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

func handleHealthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		reply(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	reply(w, http.StatusOK, "ok")
}

func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		reply(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	client := s.cfg.ClientIP(r)
	typ := webhookType(r)
	parser, verifier, ok := s.cfg.Parsers.Lookup(typ)
	if !ok {
		s.refuse(w, client, http.StatusBadRequest, "unknown webhook type")
		return
	}
	log := s.cfg.Logger.With("type", typ, "client", client)
	body, status := s.readBody(w, r)
	if status != 0 {
		log.Debug("webhook body rejected", "status", status)
		s.refuse(w, client, status, http.StatusText(status))
		return
	}
	// Authentication comes first, so that requests nobody signed spend
	// only their own (stricter) budget, never that of real senders who
	// share the address (behind an ingress, every sender does).
	if !s.authorized(typ, verifier, body, r) {
		if s.refuse(w, client, http.StatusUnauthorized, "unauthorized") {
			log.Warn("webhook request unauthorized")
		}
		return
	}
	if s.limiter != nil && !s.limiter.allow(typ+"\x00"+client, s.cfg.Clock.Now()) {
		log.Warn("webhook rate limit reached")
		tooMany(w)
		return
	}
	if s.debounce.isStopped() {
		reply(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	events, err := parser.Parse(body, r)
	if err != nil {
		log.Info("webhook payload rejected", "error", err)
		status, msg := parseErrorStatus(err)
		reply(w, status, msg)
		return
	}
	if s.isReplay(typ, parser, body, r) {
		log.Info("webhook delivery replayed, dropped")
		reply(w, http.StatusOK, "duplicate delivery ignored")
		return
	}
	s.accept(log, typ, events)
	if len(events) == 0 {
		reply(w, http.StatusOK, "no push event")
		return
	}
	reply(w, http.StatusAccepted, "accepted")
}

// webhookType reads ?type=, then the X-Registry-Type header.
func webhookType(r *http.Request) string {
	if t := r.URL.Query().Get("type"); t != "" {
		return t
	}
	return r.Header.Get("X-Registry-Type")
}

// readBody reads at most MaxBodyBytes; a non-zero status means failure.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge
	case err != nil:
		return nil, http.StatusBadRequest
	}
	return body, 0
}

// authorized applies the type's verifier; a type without a secret passes only
// when unauthenticated requests are allowed.
func (s *Server) authorized(typ string, v Verifier, body []byte, r *http.Request) bool {
	secret := s.cfg.Secrets[typ]
	if secret == "" {
		return s.cfg.AllowUnauthenticated
	}
	return v.Verify(secret, body, r)
}

// isReplay records the delivery id, if the payload has one, and reports
// whether it had been seen before.
func (s *Server) isReplay(typ string, p Parser, body []byte, r *http.Request) bool {
	ider, ok := p.(DeliveryIDer)
	if !ok {
		return false
	}
	id := ider.DeliveryID(body, r)
	if id == "" {
		return false
	}
	return s.replays.remember(typ+"\x00"+id, s.cfg.Clock.Now())
}

// accept applies host mapping, logs and debounces each event.
func (s *Server) accept(log *slog.Logger, typ string, events []Event) {
	for i := range events {
		ev := s.mapHost(typ, events[i])
		events[i] = ev
		opened := s.debounce.add(ev)
		log.Info("webhook event accepted", "registry", ev.Registry, "repository", ev.Repository,
			"tag", ev.Tag, "digest", ev.Digest, "debounced", !opened)
	}
}

func (s *Server) mapHost(typ string, ev Event) Event {
	if host, ok := s.cfg.HostOverrides[typ]; ok && host != "" {
		ev.Registry = normaliseHost(host)
	} else if host, ok := s.cfg.HostAliases[ev.Registry]; ok && host != "" {
		ev.Registry = normaliseHost(host)
	}
	return ev
}

// refuse answers a request that did not authenticate (or could not be
// read): with status while the client's failure budget lasts, then with
// 429. It reports whether the budget lasted.
func (s *Server) refuse(w http.ResponseWriter, client string, status int, msg string) bool {
	if s.failLimiter != nil && !s.failLimiter.allow(client, s.cfg.Clock.Now()) {
		tooMany(w)
		return false
	}
	reply(w, status, msg)
	return true
}

func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	reply(w, http.StatusTooManyRequests, "too many requests")
}

func parseErrorStatus(err error) (int, string) {
	if errors.Is(err, ErrUnsupportedMediaType) {
		return http.StatusUnsupportedMediaType, "unsupported media type"
	}
	return http.StatusBadRequest, "invalid payload"
}

// reply writes a short plain-text answer.
func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}
