package metrics

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Modes are the mode label of the cycle metrics.
const (
	ModeRepo       = "repo"
	ModeController = "controller"
)

// Results are the result label of cycles and pushes.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// BuildInfo names the running binary in imagepilot_build_info.
type BuildInfo struct {
	Version, Commit string
}

// Ops holds the metrics of running imagepilot: update cycles, Git commits
// and pushes, webhook events, registry latency and the build. Create it
// with NewOps; a nil *Ops records nothing.
type Ops struct {
	// CycleDuration is imagepilot_cycle_duration_seconds (histogram; mode).
	CycleDuration *prometheus.HistogramVec
	// Cycles is imagepilot_cycles_total (counter; mode, result).
	Cycles *prometheus.CounterVec
	// LastSuccess is imagepilot_last_successful_cycle_timestamp_seconds
	// (gauge; mode): Unix time of the end of the last cycle without errors.
	LastSuccess *prometheus.GaugeVec
	// Commits is imagepilot_git_commits_total (counter; mode).
	Commits *prometheus.CounterVec
	// Pushes is imagepilot_git_pushes_total (counter; mode, result).
	Pushes *prometheus.CounterVec
	// WebhookEvents is imagepilot_webhook_events_total (counter; type):
	// registry events accepted by the webhook server.
	WebhookEvents *prometheus.CounterVec
	// RegistryLatency is imagepilot_registry_request_duration_seconds
	// (histogram; registry, kind).
	RegistryLatency *prometheus.HistogramVec
	// Build is imagepilot_build_info (gauge, always 1; version, commit,
	// goversion).
	Build *prometheus.GaugeVec

	cycles atomic.Int64
}

// NewOps creates the metrics, sets imagepilot_build_info from build and
// registers them with reg (nil: unregistered).
func NewOps(reg prometheus.Registerer, build BuildInfo) (*Ops, error) {
	o := &Ops{
		CycleDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "imagepilot_cycle_duration_seconds",
			Help:    "Duration of update cycles (reading the repository or cluster, asking the registries, writing back).",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"mode"}),
		Cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_cycles_total",
			Help: "Update cycles run, by result (failure: the cycle failed or had errors).",
		}, []string{"mode", "result"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imagepilot_last_successful_cycle_timestamp_seconds",
			Help: "Unix time at which the last update cycle without errors ended.",
		}, []string{"mode"}),
		Commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_git_commits_total",
			Help: "Commits made and pushed with image updates.",
		}, []string{"mode"}),
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_git_pushes_total",
			Help: "Push attempts, by result (an attempt rejected because the branch moved is retried and counted again).",
		}, []string{"mode", "result"}),
		WebhookEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_webhook_events_total",
			Help: "Registry events accepted by the webhook server, by registry type.",
		}, []string{"type"}),
		RegistryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "imagepilot_registry_request_duration_seconds",
			Help:    "Duration of HTTP requests to container registries, until the response headers.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"registry", "kind"}),
		Build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imagepilot_build_info",
			Help: "Always 1; the labels name the running build.",
		}, []string{"version", "commit", "goversion"}),
	}
	o.Build.WithLabelValues(build.Version, build.Commit, runtime.Version()).Set(1)
	if reg == nil {
		return o, nil
	}
	for _, c := range o.Collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return o, nil
}

// Collectors returns every collector of o.
func (o *Ops) Collectors() []prometheus.Collector {
	return []prometheus.Collector{o.CycleDuration, o.Cycles, o.LastSuccess, o.Commits, o.Pushes, o.WebhookEvents, o.RegistryLatency, o.Build}
}

// Cycle is what one update cycle did, for ObserveCycle.
type Cycle struct {
	// Mode is ModeRepo or ModeController.
	Mode string
	// Start and End bound the cycle.
	Start, End time.Time
	// OK is true when the cycle ran without errors.
	OK bool
	// Commits counts the commits it pushed.
	Commits int
	// PushAttempts and FailedPushes count its push attempts and those that
	// ended in a failure.
	PushAttempts, FailedPushes int
}

// ObserveCycle records one finished cycle.
func (o *Ops) ObserveCycle(c Cycle) {
	if o == nil {
		return
	}
	o.CycleDuration.WithLabelValues(c.Mode).Observe(c.End.Sub(c.Start).Seconds())
	result := ResultFailure
	if c.OK {
		result = ResultSuccess
		o.LastSuccess.WithLabelValues(c.Mode).Set(float64(c.End.UnixNano()) / 1e9)
	}
	o.Cycles.WithLabelValues(c.Mode, result).Inc()
	o.Commits.WithLabelValues(c.Mode).Add(float64(c.Commits))
	o.Pushes.WithLabelValues(c.Mode, ResultFailure).Add(float64(c.FailedPushes))
	o.Pushes.WithLabelValues(c.Mode, ResultSuccess).Add(float64(max(c.PushAttempts-c.FailedPushes, 0)))
	o.cycles.Add(1)
}

// WebhookEvent counts one accepted webhook event of registry type typ.
func (o *Ops) WebhookEvent(typ string) {
	if o != nil {
		o.WebhookEvents.WithLabelValues(typ).Inc()
	}
}

// ObserveRegistryRequest records the duration of one registry request.
func (o *Ops) ObserveRegistryRequest(registry, kind string, d time.Duration) {
	if o != nil {
		o.RegistryLatency.WithLabelValues(registry, kind).Observe(d.Seconds())
	}
}

// errNoCycle is Ready's answer before the first cycle ended.
var errNoCycle = errors.New("no update cycle has finished yet")

// Ready reports whether a cycle has finished (with or without errors): the
// readiness of repo mode.
func (o *Ops) Ready() error {
	if o == nil || o.cycles.Load() == 0 {
		return errNoCycle
	}
	return nil
}
