package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/imagepilot/imagepilot/internal/holds"
)

// maxBody caps request bodies.
const maxBody = 64 << 10

// Server serves the trigger API.
type Server struct {
	backend Backend
	token   [32]byte
	logger  *slog.Logger
	mux     *http.ServeMux
	now     func() time.Time
	// requestTimeout bounds the work of one request.
	requestTimeout time.Duration
}

// NewServer returns the API handler; a token is required.
func NewServer(backend Backend, token string, logger *slog.Logger) (*Server, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("the trigger API needs a token (IMAGEPILOT_API_TOKEN)")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{backend: backend, token: sha256.Sum256([]byte(token)), logger: logger, mux: http.NewServeMux(), now: time.Now,
		requestTimeout: DefaultLimits.WriteTimeout - 10*time.Second}
	s.mux.HandleFunc("POST /api/v1/check", s.check)
	s.mux.HandleFunc("GET /api/v1/holds", s.listHolds)
	s.mux.HandleFunc("POST /api/v1/holds", s.hold)
	s.mux.HandleFunc("DELETE /api/v1/holds", s.release)
	return s, nil
}

// ServeHTTP authenticates, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		// The body is never read: answer and close the connection at
		// once rather than wait for it (net/http would otherwise read on
		// until ReadTimeout before closing).
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusUnauthorized, "unauthorized")
		rc := http.NewResponseController(w)
		_ = rc.Flush()
		_ = rc.SetReadDeadline(time.Now()) // stop waiting for the body
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	// The work ends when the answer could no longer be written.
	ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
	defer cancel()
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

// authorized compares the bearer token in constant time (hashes of equal
// length, so the token's length does not leak either).
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.token[:]) == 1
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	var req CheckRequest
	if !decode(w, r, &req) {
		return
	}
	s.logger.InfoContext(r.Context(), "trigger API: check", "application", req.Application, "image", req.Image)
	res, err := s.backend.Check(r.Context(), req)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	if err := NotFoundErr(req, res); err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listHolds(w http.ResponseWriter, r *http.Request) {
	set, err := s.backend.Holds(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	if set.Holds == nil {
		set.Holds = []holds.Hold{}
	}
	writeJSON(w, http.StatusOK, set)
}

func (s *Server) hold(w http.ResponseWriter, r *http.Request) {
	var h holds.Hold
	if !decode(w, r, &h) {
		return
	}
	if err := h.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if h.Since.IsZero() {
		// Set here, so that the answer carries the time the backend stores.
		h.Since = s.now().UTC().Truncate(time.Second)
	}
	s.logger.InfoContext(r.Context(), "trigger API: hold", "application", h.Application, "image", h.Image, "version", h.Version, "by", h.By)
	if err := s.backend.Hold(r.Context(), h); err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, h)
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	app, image := r.URL.Query().Get("application"), r.URL.Query().Get("image")
	if app == "" || image == "" {
		writeError(w, http.StatusBadRequest, "application and image are required")
		return
	}
	s.logger.InfoContext(r.Context(), "trigger API: release", "application", app, "image", image)
	if err := s.backend.Release(r.Context(), app, image); err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"released": app + " " + image})
}

// NotFoundErr returns an error wrapping ErrNotFound when a check that names
// an application or image matched nothing managed, nil otherwise.
func NotFoundErr(req CheckRequest, res CheckResult) error {
	if (req.Application == "" && req.Image == "") || len(res.Decisions) > 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotFound, notManaged(req, res.Problems))
}

// notManaged says that a check matched nothing, with the configuration
// problems that may be the reason.
func notManaged(req CheckRequest, problems []string) string {
	what := "no managed image"
	if req.Image != "" {
		what += fmt.Sprintf(" %q", req.Image)
	}
	if req.Application != "" {
		what += fmt.Sprintf(" of application %q", req.Application)
	}
	if len(problems) > 0 {
		what += " (configuration problems: " + strings.Join(problems, "; ") + ")"
	}
	return what
}

// ErrNotFound marks a request naming nothing the backend manages.
var ErrNotFound = errors.New("not found")

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, holds.ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One value only: what follows it would otherwise be ignored.
		var extra json.RawMessage
		if err = dec.Decode(&extra); errors.Is(err, io.EOF) {
			err = nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return false
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("malformed JSON: %v", err))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
