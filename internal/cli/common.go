package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/credentials"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
)

// newLogger builds the process logger from --loglevel and --logformat.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "trace", "debug":
		lv = slog.LevelDebug
	case "", "info":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("--loglevel %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--logformat %q: want text or json", format)
}

// registryFlags are the registry settings several commands share.
type registryFlags struct {
	confPath  string
	rateLimit float64
	// confOptional: confPath is upstream's default path and may be absent.
	confOptional bool
}

// prepareConf notes whether the registries.conf path is the default, where
// a missing file means the built-in configuration (Docker Hub).
func (f *registryFlags) prepareConf(flags *pflag.FlagSet, env *envSource) {
	_, fromEnv := env.value("IMAGE_UPDATER_REGISTRIES_CONF_PATH")
	f.confOptional = f.confPath == defaultRegistriesConfPath && !flags.Changed("registries-conf-path") && !fromEnv
}

func (f *registryFlags) loadConf() (*registryconf.Config, error) {
	if f.confPath == "" {
		return &registryconf.Config{}, nil
	}
	if f.confOptional {
		if _, err := os.Stat(f.confPath); errors.Is(err, fs.ErrNotExist) {
			return &registryconf.Config{}, nil
		}
	}
	conf, err := registryconf.Load(f.confPath)
	if err != nil {
		return nil, fmt.Errorf("registries configuration: %w", err)
	}
	return conf, nil
}

// registryClients are what every mode needs to read registries.
type registryClients struct {
	resolver *access.Resolver
	client   *registry.Client
	metrics  *metrics.Metrics
}

// clients builds the resolver (Kubernetes Secrets through secrets, nil
// outside a cluster), the registry client and the metrics on reg.
func (f *registryFlags) clients(logger *slog.Logger, reg prometheus.Registerer, secrets credentials.SecretGetter) (registryClients, error) {
	conf, err := f.loadConf()
	if err != nil {
		return registryClients{}, err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return registryClients{}, err
	}
	client, err := registry.New(registry.WithResolver(f.lookup(conf)), registry.WithMetrics(m), registry.WithLogger(logger), registry.WithUserAgent(userAgent()))
	if err != nil {
		return registryClients{}, err
	}
	return registryClients{resolver: access.NewResolver(conf, secrets), client: client, metrics: m}, nil
}

// lookup finds a registry's settings in conf, with --rate-limit (when
// given) replacing the configured limit.
func (f *registryFlags) lookup(conf *registryconf.Config) func(host, repo string) registryconf.Registry {
	return func(host, repo string) registryconf.Registry {
		r := conf.Lookup(host, repo)
		if f.rateLimit > 0 {
			r.Limit = f.rateLimit
		}
		return r
	}
}

// userAgent identifies imagepilot to registries.
func userAgent() string { return "imagepilot/" + version }
