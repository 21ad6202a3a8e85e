package registry

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/registryconf"
)

// Resolver returns the registries.conf entry for an image's registry host
// and repository path; (*registryconf.Config).Lookup has this shape.
type Resolver func(host, repository string) registryconf.Registry

// Clock tells the time; tests replace it to expire caches.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Option configures a Client.
type Option func(*options) error

type options struct {
	resolver          Resolver
	metrics           *metrics.Metrics
	logger            *slog.Logger
	clock             Clock
	metadataCacheSize int
	digestTTL         time.Duration
	pageSize          int
	retry             RetryPolicy
	userAgent         string
	requestTimeout    time.Duration
	stallTimeout      time.Duration
	operationTimeout  time.Duration
}

// Defaults of a Client.
const (
	DefaultPageSize          = 1000
	DefaultDigestTTL         = time.Hour
	DefaultMetadataCacheSize = 10000
	// DefaultRequestTimeout bounds one HTTP exchange, body included.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultStallTimeout bounds the wait for the next byte of a body.
	DefaultStallTimeout = 20 * time.Second
	// DefaultOperationTimeout bounds one operation of a cycle: a whole
	// (paged) tag listing, a digest, an image's metadata.
	DefaultOperationTimeout = 5 * time.Minute
)

func defaultOptions() options {
	var none *registryconf.Config
	return options{
		resolver:          none.Lookup,
		logger:            slog.New(slog.DiscardHandler),
		clock:             systemClock{},
		metadataCacheSize: DefaultMetadataCacheSize,
		digestTTL:         DefaultDigestTTL,
		pageSize:          DefaultPageSize,
		retry:             DefaultRetryPolicy(),
		userAgent:         "imagepilot",
		requestTimeout:    DefaultRequestTimeout,
		stallTimeout:      DefaultStallTimeout,
		operationTimeout:  DefaultOperationTimeout,
	}
}

// WithResolver sets how a registry host and repository map to their
// registries.conf entry (API URL, TLS, rate limit). The default knows only
// Docker Hub and https://<host>.
func WithResolver(r Resolver) Option {
	return func(o *options) error {
		if r == nil {
			return fmt.Errorf("registry: nil resolver")
		}
		o.resolver = r
		return nil
	}
}

// WithMetrics counts every request in m. Without it nothing is counted.
func WithMetrics(m *metrics.Metrics) Option {
	return func(o *options) error { o.metrics = m; return nil }
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("registry: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithClock sets the clock used for cache expiry and Retry-After dates.
func WithClock(c Clock) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("registry: nil clock")
		}
		o.clock = c
		return nil
	}
}

// WithMetadataCacheSize bounds the image information cache (entries keyed
// by manifest digest and platform set). Default 10000.
func WithMetadataCacheSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("registry: metadata cache size %d, want at least 1", n)
		}
		o.metadataCacheSize = n
		return nil
	}
}

// WithDigestTTL sets how long a tag's digest learnt for Created is trusted
// across cycles (default 1h). Digest always asks once per cycle.
func WithDigestTTL(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("registry: negative digest TTL %s", d)
		}
		o.digestTTL = d
		return nil
	}
}

// WithPageSize sets the n= of tag listing requests (default 1000).
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("registry: page size %d, want at least 1", n)
		}
		o.pageSize = n
		return nil
	}
}

// WithRetryPolicy sets the retry policy for GET and HEAD requests.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxAttempts < 1 || p.InitialBackoff <= 0 || p.MaxBackoff < p.InitialBackoff || p.MaxTotal <= 0 {
			return fmt.Errorf("registry: invalid retry policy %+v", p)
		}
		o.retry = p
		return nil
	}
}

// WithUserAgent sets the User-Agent prefix of requests.
func WithUserAgent(ua string) Option {
	return func(o *options) error { o.userAgent = ua; return nil }
}

// WithTimeouts bounds registry requests: request is the longest one HTTP
// exchange (one attempt, body included) may take, stall the longest wait
// for the next byte of a body, operation the longest a tag listing (all
// pages), a digest or an image's metadata may take, retries included.
// Defaults: 60s, 20s, 5m. A registry that times out is not asked again for
// the rest of the cycle (its other repositories fail at once with
// ErrTimeout), so it cannot hold up the others.
func WithTimeouts(request, stall, operation time.Duration) Option {
	return func(o *options) error {
		if request <= 0 || stall <= 0 || operation <= 0 {
			return fmt.Errorf("registry: timeouts must be positive (request %s, stall %s, operation %s)", request, stall, operation)
		}
		o.requestTimeout, o.stallTimeout, o.operationTimeout = request, stall, operation
		return nil
	}
}
