package controller

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crcontroller "sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// EventReason is the reason of Events recorded on updated Applications.
const EventReason = "ImagesUpdated"

// Scheme returns a scheme with the core types, ImageUpdater and
// Application.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, argocd.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building scheme: %w", err)
		}
	}
	return s, nil
}

// ManagerOptions configure the controller-runtime manager.
type ManagerOptions struct {
	// HealthProbeBindAddress serves /healthz and /readyz ("0" disables).
	HealthProbeBindAddress string
	// MetricsBindAddress serves controller-runtime's metrics ("0"
	// disables).
	MetricsBindAddress string
	// MetricsSecure serves metrics over HTTPS to callers the API server
	// authenticates and authorizes (controller-runtime's
	// filters.WithAuthenticationAndAuthorization).
	MetricsSecure bool
	// EnableHTTP2 offers HTTP/2 on the HTTPS metrics server (off: rapid
	// reset attacks).
	EnableHTTP2 bool
	// MaxConcurrentReconciles bounds ImageUpdaters reconciled at once
	// (0: controller-runtime's default of 1).
	MaxConcurrentReconciles int
	// WarmUpCache lists every managed repository's tags once on the
	// leader before it reconciles; /readyz fails until then.
	WarmUpCache bool
	// LeaderElection enables leader election in LeaderElectionNamespace.
	LeaderElection          bool
	LeaderElectionNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election
	// (zero: controller-runtime's defaults of 15 s, 10 s and 2 s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// DisableEvents turns off ImagesUpdated Events.
	DisableEvents bool
	// Legacy, when set, also runs the v0.x annotation selection every
	// interval.
	Legacy *Legacy
}

// CacheOptions is the informer cache the manager reads through:
// Applications only in the watched namespaces (ImageUpdaters in every
// namespace), reduced to what the controller reads of them
// (StripApplication); no object keeps its managedFields. With a streamer,
// a cluster-wide Application informer's lists (its first list, and any
// after a watch expires, when the API server does not stream them as a
// watch-list) are decoded one Application at a time.
func CacheOptions(watchNamespaces []string, streamer *AppStreamer) cache.Options {
	appCache := cache.ByObject{Transform: StripApplication}
	clusterWide := true
	if len(watchNamespaces) > 0 && !slices.Contains(watchNamespaces, "*") {
		byNS := map[string]cache.Config{}
		for _, ns := range watchNamespaces {
			byNS[ns] = cache.Config{}
		}
		appCache.Namespaces = byNS
		clusterWide = false
	}
	opts := cache.Options{
		ByObject:         map[client.Object]cache.ByObject{&argocd.Application{}: appCache},
		DefaultTransform: cache.TransformStripManagedFields(),
	}
	if streamer != nil && clusterWide {
		opts.NewInformer = streamer.newInformer
	}
	return opts
}

// NewManager builds a manager running the ImageUpdater reconciler with
// engine (whose Client and Events it sets).
func NewManager(cfg *rest.Config, engine *Engine, o ManagerOptions) (manager.Manager, error) {
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	mo := manager.Options{
		Scheme:                  scheme,
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		Metrics:                 metricsOptions(o),
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "imagepilot-controller",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		LeaseDuration:           nonZero(o.LeaseDuration),
		RenewDeadline:           nonZero(o.RenewDeadline),
		RetryPeriod:             nonZero(o.RetryPeriod),
	}
	streamer, err := NewAppStreamer(cfg)
	if err != nil {
		return nil, err
	}
	mo.Cache = CacheOptions(engine.WatchNamespaces, streamer)
	mgr, err := ctrl.NewManager(cfg, mo)
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	engine.Client = mgr.GetClient()
	engine.CachedReads = true
	if !o.DisableEvents {
		rec, err := NewEventRecorder(cfg, engine.Logger)
		if err != nil {
			return nil, err
		}
		rec.Attach(engine)
		// The manager stops it (flushing queued Events) on shutdown.
		if err := mgr.Add(rec); err != nil {
			return nil, fmt.Errorf("adding event recorder: %w", err)
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	warm := newWarmer(engine, o.Legacy, o.WarmUpCache)
	if o.WarmUpCache {
		if err := mgr.Add(warm); err != nil {
			return nil, fmt.Errorf("adding cache warm-up: %w", err)
		}
	}
	if err := mgr.AddReadyzCheck("readyz", warm.ready); err != nil {
		return nil, fmt.Errorf("adding ready check: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		// Status patches do not change the generation: they requeue nothing.
		For(&v1alpha1.ImageUpdater{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// An Application change that matters to a pass requeues the
		// ImageUpdaters selecting it; sync and health churn does not.
		Watches(&argocd.Application{}, handler.EnqueueRequestsFromMapFunc(engine.imageUpdatersFor),
			builder.WithPredicates(ApplicationChangePredicate())).
		WithOptions(crcontroller.Options{
			// A process may build more than one manager (tests, restarts).
			SkipNameValidation:      ptr(true),
			MaxConcurrentReconciles: o.MaxConcurrentReconciles,
			RateLimiter:             newRateLimiter(engine.interval()),
		}).
		Complete(&Reconciler{Engine: engine, warm: warm})
	if err != nil {
		return nil, fmt.Errorf("creating ImageUpdater controller: %w", err)
	}
	if o.Legacy != nil {
		if err := mgr.Add(&legacyLoop{engine: engine, legacy: o.Legacy, warm: warm}); err != nil {
			return nil, fmt.Errorf("adding legacy loop: %w", err)
		}
	}
	return mgr, nil
}

// Reconciler reconciles ImageUpdaters through the engine: the outer
// reconcile (Engine.reconcileRequest) reads the object, defers its one
// status patch and schedules the next pass after the interval; the inner
// one selects the applications and runs the pass.
type Reconciler struct {
	Engine *Engine
	// warm, when set, is waited for before the first reconcile.
	warm *warmer
}

// Reconcile runs one pass for the requested ImageUpdater.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	if r.warm != nil {
		if err := r.warm.wait(ctx); err != nil {
			return reconcile.Result{}, err
		}
	}
	return r.Engine.reconcileRequest(ctx, req.NamespacedName)
}

// Backoff of a failing reconcile: from minBackoff, doubling up to the
// interval, so a failing pass never hammers registries or the API server.
const minBackoff = 2 * time.Second

// newRateLimiter returns the per-ImageUpdater backoff of failing passes:
// minBackoff doubling up to ceiling (at least minBackoff).
func newRateLimiter(ceiling time.Duration) workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](minBackoff, max(minBackoff, ceiling))
}

// legacyLoop runs the legacy selection every interval (leader only).
type legacyLoop struct {
	engine *Engine
	legacy *Legacy
	warm   *warmer
}

func (l *legacyLoop) NeedLeaderElection() bool { return true }

// Start runs passes until ctx ends.
func (l *legacyLoop) Start(ctx context.Context) error {
	l.engine.init()
	if err := l.warm.wait(ctx); err != nil {
		return nil
	}
	t := time.NewTicker(l.engine.cycles.interval)
	defer t.Stop()
	for {
		if _, err := l.engine.RunLegacy(ctx, l.legacy); err != nil {
			l.engine.Logger.ErrorContext(ctx, "legacy pass failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func ptr[T any](v T) *T { return &v }

// metricsOptions configures the metrics server: plain, or HTTPS with a
// self-signed certificate and authentication and authorization through
// the API server.
func metricsOptions(o ManagerOptions) metricsserver.Options {
	m := metricsserver.Options{BindAddress: o.MetricsBindAddress, SecureServing: o.MetricsSecure}
	if o.MetricsSecure {
		m.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if !o.EnableHTTP2 {
		m.TLSOpts = []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
	}
	return m
}

// nonZero returns a pointer to d, or nil (the default) when d is zero.
func nonZero(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}
