package api

import (
	"net/http"
	"time"
)

// Limits bound what one connection to the trigger API may take: the same
// limits as the webhook server's.
type Limits struct {
	// ReadHeaderTimeout bounds reading the request headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the headers to the end
	// of the answer. A check runs inside it, so it matches the client's
	// five-minute timeout rather than the webhook server's 30 seconds.
	WriteTimeout time.Duration
	// IdleTimeout bounds an idle keep-alive connection.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request headers.
	MaxHeaderBytes int
}

// DefaultLimits are the limits NewHTTPServer applies.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      5 * time.Minute,
	IdleTimeout:       90 * time.Second,
	MaxHeaderBytes:    64 << 10,
}

// NewHTTPServer wraps h in an http.Server with DefaultLimits. Request bodies
// are capped by the Server itself (64 KiB).
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return newHTTPServer(addr, h, DefaultLimits)
}

func newHTTPServer(addr string, h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}
