package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// controllerOptions configure the in-cluster controller (`run` without
// --repo). The run command fills common, once, dryRun and interval from its
// own flags; registerControllerFlags adds the controller-only ones.
type controllerOptions struct {
	// common carries the flags shared with repo mode: registries.conf,
	// git, logging, --argocd-namespace, --max-concurrent-apps.
	common   *repoOptions
	once     bool
	dryRun   bool
	interval time.Duration

	kubeconfig        string
	watchNamespaces   []string
	healthProbeAddr   string
	metricsAddr       string
	leaderElection    bool
	disableKubeEvents bool
	legacyAnnotations bool
	matchAppNames     []string
	matchAppLabel     string
	kubeQPS           float32
	kubeBurst         int

	// hooks and api are run's --enable-webhook/--webhook-* and --api-port
	// flags (nil: off).
	hooks *webhookFlags
	api   *apiFlags
}

// registerControllerFlags registers the controller-only flags on f.
func registerControllerFlags(f *pflag.FlagSet, o *controllerOptions) {
	f.StringVar(&o.kubeconfig, "kubeconfig", envOr("KUBECONFIG", ""), "kubeconfig file (default: in-cluster configuration)")
	f.StringSliceVar(&o.watchNamespaces, "watch-namespaces", controllerEnvList("IMAGE_UPDATER_WATCH_NAMESPACES"), "namespaces whose Applications ImageUpdaters may select (* = all; default: the ImageUpdater's own)")
	f.StringVar(&o.healthProbeAddr, "health-probe-bind-address", envOr("IMAGE_UPDATER_HEALTH_PROBE_BIND_ADDRESS", ":8081"), "address serving /healthz and /readyz (0 disables)")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", envOr("IMAGE_UPDATER_METRICS_BIND_ADDRESS", ":8080"), "address serving /metrics (0 disables)")
	f.BoolVar(&o.leaderElection, "leader-election", envOr("IMAGE_UPDATER_LEADER_ELECTION", "") == "true", "elect a leader among replicas")
	f.BoolVar(&o.disableKubeEvents, "disable-kube-events", envOr("IMAGE_UPDATER_KUBE_EVENTS", "") == "false", "do not record ImagesUpdated Events on Applications")
	f.BoolVar(&o.legacyAnnotations, "legacy-annotations", false, "also manage every Application with an image-list annotation (v0.x mode)")
	f.StringSliceVar(&o.matchAppNames, "match-application-name", nil, "legacy mode: only Applications whose name matches one of these globs")
	f.StringVar(&o.matchAppLabel, "match-application-label", "", "legacy mode: only Applications matching this label selector")
	f.Float32Var(&o.kubeQPS, "kube-api-qps", 50, "Kubernetes API requests per second")
	f.IntVar(&o.kubeBurst, "kube-api-burst", 100, "Kubernetes API request burst")
}

// controllerEnvList reads a comma-separated list from the environment.
func controllerEnvList(key string) []string {
	var out []string
	for _, p := range strings.Split(envOr(key, ""), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// runController runs the in-cluster controller until ctx ends, or one pass
// over every ImageUpdater (and, in legacy mode, annotated Application) with
// --once.
func runController(ctx context.Context, o *controllerOptions, stdout, stderr io.Writer) error {
	if o.common == nil {
		o.common = &repoOptions{}
	}
	logger, err := newLogger(stderr, o.common.loglevel, o.common.logformat)
	if err != nil {
		return err
	}
	cfg, err := o.restConfig()
	if err != nil {
		return err
	}
	reg := &scopedRegisterer{Registerer: crmetrics.Registry}
	defer reg.unregisterAll()
	kubeMetrics, err := metrics.NewKubeAPI(reg)
	if err != nil {
		return err
	}
	kubeMetrics.Instrument(cfg)
	engine, err := o.engine(cfg, logger, reg)
	if err != nil {
		return err
	}
	var legacy *controller.Legacy
	if o.legacyAnnotations {
		if legacy, err = controller.NewLegacy(o.matchAppNames, o.matchAppLabel); err != nil {
			return err
		}
	}
	if o.once {
		return o.runOnce(ctx, cfg, engine, legacy, stdout)
	}
	mgr, err := controller.NewManager(cfg, engine, controller.ManagerOptions{
		HealthProbeBindAddress: o.healthProbeAddr, MetricsBindAddress: o.metricsAddr,
		LeaderElection: o.leaderElection, LeaderElectionNamespace: o.common.namespace,
		DisableEvents: o.disableKubeEvents, Legacy: legacy,
	})
	if err != nil {
		return err
	}
	if err := o.addControllerTriggers(mgr, engine, legacy, logger); err != nil {
		return err
	}
	logger.InfoContext(ctx, "starting controller", "interval", o.interval, "dryRun", o.dryRun, "watchNamespaces", o.watchNamespaces, "legacyAnnotations", o.legacyAnnotations)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return nil
}

// runOnce runs one pass with uncached reads and exits.
func (o *controllerOptions) runOnce(ctx context.Context, cfg *rest.Config, engine *controller.Engine, legacy *controller.Legacy, stdout io.Writer) error {
	if !o.disableKubeEvents {
		stop, err := controller.DirectEvents(cfg, engine)
		if err != nil {
			return err
		}
		defer stop()
	}
	var errs []error
	if err := engine.RunOnce(ctx); err != nil {
		errs = append(errs, err)
	}
	if legacy != nil {
		out, err := engine.RunLegacy(ctx, legacy)
		if err != nil {
			errs = append(errs, err)
		}
		updated, skipped, errored := out.Counts()
		fmt.Fprintf(stdout, "legacy annotations: %d application(s), %d image(s) updated, %d skipped, %d errors\n", out.Applications, updated, skipped, errored)
	}
	if err := errors.Join(errs...); err != nil {
		return withCode(ExitFailedCycle, err)
	}
	return nil
}

func (o *controllerOptions) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes configuration: %w", err)
	}
	cfg.QPS, cfg.Burst = o.kubeQPS, o.kubeBurst
	return cfg, nil
}

// engine builds the controller's engine: registry access with Kubernetes
// secrets, argocd and git writers over an uncached client (the manager
// replaces Client with its cached one for reads of ImageUpdaters and
// Applications).
func (o *controllerOptions) engine(cfg *rest.Config, logger *slog.Logger, reg prometheus.Registerer) (*controller.Engine, error) {
	scheme, err := controller.Scheme()
	if err != nil {
		return nil, err
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	rc, err := o.common.clients(logger, reg, kube.SecretGetter{Reader: direct})
	if err != nil {
		return nil, err
	}
	gitMgr, err := o.common.git.manager(logger, 0)
	if err != nil {
		return nil, err
	}
	gw, err := o.common.git.writer(gitMgr, &kube.GitCredentials{Reader: direct, Namespace: o.common.namespace}, logger, o.dryRun)
	if err != nil {
		return nil, err
	}
	gw.Layout = writeback.Layout{ControllerNamespace: o.common.namespace}
	return &controller.Engine{
		Client:          direct,
		Direct:          direct,
		Resolver:        rc.resolver,
		Registry:        rc.client,
		ArgoCD:          &writeback.ArgoCDWriter{Client: direct, DryRun: o.dryRun, Logger: logger},
		Git:             gw,
		Metrics:         rc.metrics,
		Interval:        o.interval,
		WatchNamespaces: o.watchNamespaces,
		Concurrency:     o.common.concurrency,
		DryRun:          o.dryRun,
		Logger:          logger,
	}, nil
}

// scopedRegisterer registers metrics for one controller run and removes
// them when it ends, so a process can run the controller more than once
// (tests, restarts) on controller-runtime's registry.
type scopedRegisterer struct {
	prometheus.Registerer
	registered []prometheus.Collector
}

// Register registers c and remembers it.
func (s *scopedRegisterer) Register(c prometheus.Collector) error {
	if err := s.Registerer.Register(c); err != nil {
		return err
	}
	s.registered = append(s.registered, c)
	return nil
}

// MustRegister registers cs, panicking on errors as prometheus does.
func (s *scopedRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := s.Register(c); err != nil {
			panic(err)
		}
	}
}

func (s *scopedRegisterer) unregisterAll() {
	for _, c := range s.registered {
		s.Registerer.Unregister(c)
	}
	s.registered = nil
}
