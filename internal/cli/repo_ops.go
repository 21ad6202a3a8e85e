package cli

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/pflag"

	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/repomode"
)

// repoOps are the metrics and probe servers of `run --repo`: the
// controller's --metrics-bind-address and --health-probe-bind-address,
// served over plain HTTP (there is no API server to authenticate scrapers).
type repoOps struct {
	metricsAddr, healthAddr string
	registry                *prometheus.Registry
	ops                     *metrics.Ops
}

// newRepoOps reads the server flags of repo mode. Both servers are off
// unless their address was given (flag or environment variable), so local
// runs bind no port; --metrics-secure=true given explicitly is refused
// (repo mode has no cluster to check callers with). once turns both off: a
// single cycle has nothing to scrape.
func newRepoOps(f *pflag.FlagSet, env *envSource, c *controllerOptions, once bool) (*repoOps, error) {
	given := func(flag, envKey string) bool {
		_, fromEnv := env.value(envKey)
		return f.Changed(flag) || fromEnv
	}
	if f.Changed("metrics-secure") && c.metricsSecure {
		return nil, withCode(ExitUsage, fmt.Errorf("--metrics-secure needs a cluster to authenticate scrapers; repo mode (--repo) serves /metrics over plain HTTP: drop --metrics-secure, and protect the port with the network"))
	}
	o := &repoOps{registry: prometheus.NewRegistry()}
	if given("metrics-bind-address", "IMAGE_UPDATER_METRICS_BIND_ADDRESS") && !once {
		o.metricsAddr = c.metricsAddr
	}
	if given("health-probe-bind-address", "IMAGE_UPDATER_HEALTH_PROBE_BIND_ADDRESS") && !once {
		o.healthAddr = c.healthProbeAddr
	}
	ops, err := metrics.NewOps(o.registry, metrics.BuildInfo{Version: version, Commit: buildCommit()})
	if err != nil {
		return nil, err
	}
	o.ops = ops
	if err := o.registry.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register Go metrics: %w", err)
	}
	if err := o.registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process metrics: %w", err)
	}
	return o, nil
}

// serve starts the servers that are on and logs the start line; the
// returned stop ends them.
func (o *repoOps) serve(ctx context.Context, logger *slog.Logger, r *repomode.Runner, interval time.Duration, once, dryRun bool) (func(), error) {
	srv, err := metrics.Serve(ctx, metrics.ServeOptions{MetricsAddr: o.metricsAddr, HealthAddr: o.healthAddr, Gatherer: o.registry, Ready: o.ops.Ready, Logger: logger})
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("%w (--metrics-bind-address / --health-probe-bind-address)", err))
	}
	attrs := []any{"version", version, "mode", metrics.ModeRepo, "repository", repomode.RedactURL(r.RepoURL), "branch", r.Branch, "interval", interval.String(), "once", once, "dryRun", dryRun}
	if srv.MetricsAddr != "" {
		attrs = append(attrs, "metrics", srv.MetricsAddr)
	}
	if srv.HealthAddr != "" {
		attrs = append(attrs, "probes", srv.HealthAddr)
	}
	logger.InfoContext(ctx, "starting imagepilot", attrs...)
	return func() { _ = srv.Stop() }, nil
}

// buildCommit is the commit the binary was built from, as version prints it.
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
