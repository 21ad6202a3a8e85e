package webhook

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultDebounceWindow     = 500 * time.Millisecond
	DefaultMaxBodyBytes       = 1 << 20
	DefaultRequestsPerSecond  = 10
	DefaultRateBurst          = 50
	DefaultFailedAuthPerSec   = 1
	DefaultFailedAuthBurst    = 10
	DefaultReplayCacheSize    = 4096
	DefaultReplayTTL          = 24 * time.Hour
	DefaultMaxConcurrentCalls = 4
	DefaultMaxQueuedRepos     = 10000
	DefaultCallTimeout        = 10 * time.Minute
	defaultMaxRateClients     = 10000
)

// Config configures a Server. The zero value plus Secrets is a usable
// production configuration.
type Config struct {
	// Secrets maps a webhook type ("docker.io", "harbor", ...) to its secret.
	// Keys must name registered types.
	Secrets map[string]string
	// AllowUnauthenticated lets types without a secret accept requests
	// without any credential. Types with a secret always check it.
	AllowUnauthenticated bool
	// HostAliases maps a registry host as a payload names it to the host
	// images are deployed by (e.g. "127.0.0.1:5000" -> "registry.example.com").
	HostAliases map[string]string
	// HostOverrides maps a webhook type to a registry host that replaces
	// whatever the payload says (e.g. "distribution" -> "registry.internal").
	HostOverrides map[string]string
	// DebounceWindow is how long events for one repository are collected
	// before the sink is called once; default 500ms.
	DebounceWindow time.Duration
	// MaxBodyBytes caps request bodies (413 beyond); default 1 MiB.
	MaxBodyBytes int64
	// RequestsPerSecond and RateBurst size the token bucket of each webhook
	// type and client address for authenticated requests (429 when empty);
	// defaults 10 and 50. A negative RequestsPerSecond disables it.
	// Requests that fail authentication never take from these buckets.
	RequestsPerSecond float64
	RateBurst         int
	// FailedAuthPerSecond and FailedAuthBurst size the separate, stricter
	// bucket of each client address for requests that fail authentication
	// (429 instead of 401 when empty); defaults 1 and 10. A negative
	// FailedAuthPerSecond disables it.
	FailedAuthPerSecond float64
	FailedAuthBurst     int
	// ClientIP names the client of a request for rate limiting; default the
	// TCP peer address. Set it when behind a trusted proxy.
	ClientIP func(*http.Request) string
	// ReplayCacheSize and ReplayTTL bound the memory of delivery ids;
	// defaults 4096 ids and 24h.
	ReplayCacheSize int
	ReplayTTL       time.Duration
	// MaxConcurrentCalls bounds concurrent Sink calls; default 4.
	MaxConcurrentCalls int
	// CallTimeout bounds each Sink call: its context ends then, and a call
	// still running gives its concurrency slot to the others; default 10m.
	CallTimeout time.Duration
	// MaxQueuedRepos bounds repositories waiting for a Sink call; default 10000.
	MaxQueuedRepos int
	// Parsers lists the accepted types; default DefaultParserSet().
	Parsers *ParserSet
	// Logger receives structured logs; default discards.
	Logger *slog.Logger
	// Clock is the time source; default RealClock().
	Clock Clock
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Parsers == nil {
		c.Parsers = DefaultParserSet()
	}
	for typ := range c.Secrets {
		if _, _, ok := c.Parsers.Lookup(typ); !ok {
			return c, fmt.Errorf("webhook config: secret for unknown type %q (known: %v)", typ, c.Parsers.Types())
		}
	}
	for typ := range c.HostOverrides {
		if _, _, ok := c.Parsers.Lookup(typ); !ok {
			return c, fmt.Errorf("webhook config: host override for unknown type %q", typ)
		}
	}
	if c.DebounceWindow < 0 || c.MaxBodyBytes < 0 || c.RateBurst < 0 || c.FailedAuthBurst < 0 || c.ReplayCacheSize < 0 ||
		c.ReplayTTL < 0 || c.MaxConcurrentCalls < 0 || c.MaxQueuedRepos < 0 || c.CallTimeout < 0 {
		return c, fmt.Errorf("webhook config: negative limits are not allowed")
	}
	c.DebounceWindow = orDefault(c.DebounceWindow, DefaultDebounceWindow)
	c.MaxBodyBytes = orDefault(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.RequestsPerSecond = orDefault(c.RequestsPerSecond, DefaultRequestsPerSecond)
	c.RateBurst = orDefault(c.RateBurst, DefaultRateBurst)
	c.FailedAuthPerSecond = orDefault(c.FailedAuthPerSecond, DefaultFailedAuthPerSec)
	c.FailedAuthBurst = orDefault(c.FailedAuthBurst, DefaultFailedAuthBurst)
	c.ReplayCacheSize = orDefault(c.ReplayCacheSize, DefaultReplayCacheSize)
	c.ReplayTTL = orDefault(c.ReplayTTL, DefaultReplayTTL)
	c.MaxConcurrentCalls = orDefault(c.MaxConcurrentCalls, DefaultMaxConcurrentCalls)
	c.MaxQueuedRepos = orDefault(c.MaxQueuedRepos, DefaultMaxQueuedRepos)
	c.CallTimeout = orDefault(c.CallTimeout, DefaultCallTimeout)
	aliases := make(map[string]string, len(c.HostAliases))
	for from, to := range c.HostAliases {
		aliases[normaliseHost(from)] = to
	}
	c.HostAliases = aliases
	if c.ClientIP == nil {
		c.ClientIP = peerIP
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = RealClock()
	}
	return c, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// peerIP is the host part of the TCP peer address.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
