package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/imagepilot/imagepilot/internal/controller"
	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/httpserve"
	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/internal/metrics"
	"github.com/imagepilot/imagepilot/internal/writeback"
)

// controllerOptions configure the in-cluster controller (`run` without
// --repo) and the in-cluster webhook command. The run command fills common,
// once, dryRun and interval from its own flags; registerControllerFlags adds
// the controller-only ones.
type controllerOptions struct {
	// common carries the flags shared with repo mode: registries.conf,
	// git, logging, --argocd-namespace, --max-concurrent-apps.
	common   *repoOptions
	once     bool
	dryRun   bool
	interval time.Duration

	kubeconfig        string
	watchNamespaces   []string
	disableKubeEvents bool
	legacyAnnotations bool
	matchAppNames     []string
	matchAppLabel     string
	kubeQPS           float32
	kubeBurst         int

	healthProbeAddr         string
	metricsAddr             string
	metricsSecure           bool
	leaderElection          bool
	leaderElectionNamespace string
	maxConcurrentReconciles int
	warmupCache             bool
	// ownNamespace is the controller's namespace (set by restConfig).
	ownNamespace string

	// hooks and api are the --enable-webhook/--webhook-* and --api-port
	// flags (nil: off).
	hooks *webhookFlags
	api   *apiFlags
}

// registerClusterFlags registers the flags of every in-cluster command.
func registerClusterFlags(f *pflag.FlagSet, env *envSource, o *controllerOptions) {
	f.StringVar(&o.kubeconfig, "kubeconfig", env.str("", "KUBECONFIG"), "kubeconfig file (default: in-cluster configuration)")
	f.StringSliceVar(&o.watchNamespaces, "watch-namespaces", env.list("IMAGE_UPDATER_WATCH_NAMESPACES"), "namespaces whose Applications ImageUpdaters may select (* = all; default: the ImageUpdater's own; env IMAGE_UPDATER_WATCH_NAMESPACES)")
	f.BoolVar(&o.disableKubeEvents, "disable-kube-events", env.boolean("disable-kube-events", "IMAGE_UPDATER_KUBE_EVENTS", false), "do not record ImagesUpdated Events on Applications (env IMAGE_UPDATER_KUBE_EVENTS=true, as upstream, disables them)")
	f.BoolVar(&o.legacyAnnotations, "legacy-annotations", false, "also manage every Application with an image-list annotation (v0.x mode)")
	f.StringSliceVar(&o.matchAppNames, "match-application-name", nil, "legacy mode: only Applications whose name matches one of these globs")
	f.StringVar(&o.matchAppLabel, "match-application-label", "", "legacy mode: only Applications matching this label selector")
	f.Float32Var(&o.kubeQPS, "kube-api-qps", 50, "Kubernetes API requests per second")
	f.IntVar(&o.kubeBurst, "kube-api-burst", 100, "Kubernetes API request burst")
}

// registerControllerFlags registers the controller's flags on f.
func registerControllerFlags(f *pflag.FlagSet, env *envSource, o *controllerOptions) {
	registerClusterFlags(f, env, o)
	f.StringVar(&o.healthProbeAddr, "health-probe-bind-address", env.str(":8081", "IMAGE_UPDATER_HEALTH_PROBE_BIND_ADDRESS"), "address serving /healthz and /readyz (0 disables)")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", env.str("0", "IMAGE_UPDATER_METRICS_BIND_ADDRESS"), "address serving /metrics, e.g. :8443 (0 disables, as upstream)")
	f.BoolVar(&o.metricsSecure, "metrics-secure", true, "serve /metrics over HTTPS to callers the API server authenticates and authorizes (RBAC nonResourceURL /metrics, verb get); false serves plain HTTP to anyone")
	f.BoolVar(&o.leaderElection, "leader-election", env.boolean("leader-election", "IMAGE_UPDATER_LEADER_ELECTION", true), "elect a leader among replicas (a Lease in --leader-election-namespace)")
	f.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the controller's own namespace, from the pod or the kubeconfig context)")
	f.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", env.number("max-concurrent-reconciles", "MAX_CONCURRENT_RECONCILES", 1, 1, 10), "ImageUpdater objects reconciled at once, 1 to 10 (env MAX_CONCURRENT_RECONCILES)")
	f.BoolVar(&o.warmupCache, "warmup-cache", true, "before reconciling, list the tags of every managed repository once; until then /readyz fails on the leader")
}

// validate checks the flags that env.check cannot.
func (o *controllerOptions) validate() error {
	if o.maxConcurrentReconciles < 1 || o.maxConcurrentReconciles > 10 {
		return withCode(ExitUsage, fmt.Errorf("--max-concurrent-reconciles %d: want 1 to 10", o.maxConcurrentReconciles))
	}
	return nil
}

// runController runs the in-cluster controller until ctx ends, or one pass
// over every ImageUpdater (and, in legacy mode, annotated Application) with
// --once.
func runController(ctx context.Context, o *controllerOptions, stdout, stderr io.Writer) error {
	if o.common == nil {
		o.common = &repoOptions{}
	}
	if err := o.validate(); err != nil {
		return err
	}
	logOut, prog := logOutput(stderr, o.common.logformat)
	logger, err := newLogger(logOut, o.common.loglevel, o.common.logformat)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	// controller-runtime logs through its process-wide logger: ours.
	crlog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	kube.RouteKlog(logger)
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
		return withCode(ExitUsage, err)
	}
	engine.Progress = prog
	// imagepilot_build_info and registry latency (repo_ops.go has the rest).
	ops, err := metrics.NewOps(reg, metrics.BuildInfo{Version: version, Commit: buildCommit()})
	if err != nil {
		return err
	}
	if engine.Metrics != nil {
		engine.Metrics.Ops = ops
	}
	legacy, err := o.legacy()
	if err != nil {
		return err
	}
	leaderNS := o.leaderElectionNamespace
	if leaderNS == "" {
		leaderNS = o.ownNamespace
	}
	logger.InfoContext(ctx, "starting controller", "version", version, "mode", metrics.ModeController, "interval", o.interval, "once", o.once, "dryRun", o.dryRun, "watchNamespaces", o.watchNamespaces,
		"legacyAnnotations", o.legacyAnnotations, "argocdNamespace", o.common.namespace, "leaderElection", o.leaderElection, "leaderElectionNamespace", leaderNS)
	if o.once {
		return o.runOnce(ctx, cfg, engine, legacy, stdout)
	}
	mgr, err := controller.NewManager(cfg, engine, controller.ManagerOptions{
		HealthProbeBindAddress: o.healthProbeAddr, MetricsBindAddress: o.metricsAddr,
		MetricsSecure: o.metricsSecure, EnableHTTP2: o.hooks != nil && o.hooks.tls.EnableHTTP2,
		LeaderElection: o.leaderElection, LeaderElectionNamespace: leaderNS,
		MaxConcurrentReconciles: o.maxConcurrentReconciles, WarmUpCache: o.warmupCache,
		DisableEvents: o.disableKubeEvents, Legacy: legacy,
	})
	if err != nil {
		return err
	}
	if err := o.addControllerTriggers(mgr, engine, legacy, logger); err != nil {
		return err
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return nil
}

func (o *controllerOptions) legacy() (*controller.Legacy, error) {
	if !o.legacyAnnotations {
		return nil, nil
	}
	l, err := controller.NewLegacy(o.matchAppNames, o.matchAppLabel)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return l, nil
}

// runClusterWebhook serves registry webhooks for the cluster until ctx
// ends: each push runs a pass limited to the pushed repository over what
// the ImageUpdaters (and, in legacy mode, the annotations) select; nothing
// polls.
func runClusterWebhook(ctx context.Context, o *controllerOptions, stderr io.Writer) error {
	logger, err := newLogger(stderr, o.common.loglevel, o.common.logformat)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	kube.RouteKlog(logger)
	cfg, err := o.restConfig()
	if err != nil {
		return err
	}
	engine, err := o.engine(cfg, logger, prometheus.NewRegistry())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	legacy, err := o.legacy()
	if err != nil {
		return err
	}
	if !o.disableKubeEvents {
		stop, err := controller.DirectEvents(cfg, engine)
		if err != nil {
			return err
		}
		defer stop()
	}
	runs, err := o.triggerRunnables(engine, legacy, logger)
	if err != nil {
		return err
	}
	return httpserve.RunAll(ctx, runs)
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

// restConfig loads the cluster configuration and resolves the controller's
// own namespace (as upstream: POD_NAMESPACE, else the pod's service account
// namespace, else the kubeconfig context's), which --argocd-namespace
// defaults to.
func (o *controllerOptions) restConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("no --repo given and no Kubernetes cluster to work in (%w): give --repo URL to work on a GitOps repository, or --kubeconfig FILE (or KUBECONFIG) to work in a cluster", err))
	}
	cfg.QPS, cfg.Burst = o.kubeQPS, o.kubeBurst
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, withCode(ExitUsage, fmt.Errorf("own namespace: %w (set --argocd-namespace or ARGOCD_NAMESPACE)", err))
		}
	}
	o.ownNamespace = ns
	if o.common.namespace == "" {
		o.common.namespace = ns
	}
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
	// provider: references with serviceAccount= federate that account's
	// TokenRequest token (needs create on serviceaccounts/token).
	rc.resolver.UseServiceAccountTokens(&kube.ServiceAccountTokens{Client: direct})
	gitMgr, err := o.common.git.manager(logger, 0)
	if err != nil {
		return nil, err
	}
	gw, err := o.common.git.writer(gitMgr, &kube.GitCredentials{Reader: direct, Namespace: o.common.namespace, Apps: &forge.AppTokens{}}, logger, o.dryRun)
	if err != nil {
		return nil, err
	}
	gw.Layout = writeback.Layout{ControllerNamespace: o.common.namespace}
	gw.PullRequests = rc.metrics
	streamer, err := controller.NewAppStreamer(cfg)
	if err != nil {
		return nil, err
	}
	return &controller.Engine{
		Client:          direct,
		Streamer:        streamer,
		Direct:          direct,
		Resolver:        rc.resolver,
		Registry:        rc.client,
		ArgoCD:          &writeback.ArgoCDWriter{Client: direct, DryRun: o.dryRun, Logger: logger},
		Git:             gw,
		Metrics:         rc.metrics,
		Interval:        o.interval,
		WatchNamespaces: o.watchNamespaces,
		Concurrency:     o.common.concurrency,
		PlanTimeout:     o.common.cycleTimeout,
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
