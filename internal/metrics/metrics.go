package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Request kinds used as the kind label of imagepilot_registry_requests_total.
const (
	KindPing     = "ping"
	KindToken    = "token"
	KindTags     = "tags"
	KindManifest = "manifest"
	KindBlob     = "blob"
	// KindReferrers is an OCI referrers API request.
	KindReferrers = "referrers"
	KindOther     = "other"
)

// CodeError is the code label of a request that got no HTTP response.
const CodeError = "error"

// Metrics holds every metric imagepilot exports. The fields are exported for
// packages that need a metric this type has no helper for; prefer the methods.
type Metrics struct {
	// ApplicationsWatched is argocd_image_updater_applications_watched_total.
	ApplicationsWatched *prometheus.GaugeVec
	// ImagesWatched is argocd_image_updater_images_watched_total.
	ImagesWatched *prometheus.GaugeVec
	// ImagesUpdated is argocd_image_updater_images_updated_total.
	ImagesUpdated *prometheus.CounterVec
	// ImagesErrors is argocd_image_updater_images_errors_total.
	ImagesErrors *prometheus.CounterVec
	// RegistryRequests is argocd_image_updater_registry_requests_total.
	RegistryRequests *prometheus.CounterVec
	// RegistryRequestsFailed is argocd_image_updater_registry_requests_failed_total.
	RegistryRequestsFailed *prometheus.CounterVec
	// RegistryRequestsByKind is imagepilot_registry_requests_total.
	RegistryRequestsByKind *prometheus.CounterVec
	// ApplicationsWatchedGauge is imagepilot_applications_watched, the
	// same value as ApplicationsWatched under a gauge's name.
	ApplicationsWatchedGauge *prometheus.GaugeVec
	// ImagesWatchedGauge is imagepilot_images_watched, the same value as
	// ImagesWatched under a gauge's name.
	ImagesWatchedGauge *prometheus.GaugeVec
	// PullRequests is imagepilot_pull_requests_total: pull requests
	// opened, closed (superseded) and failed, by provider.
	PullRequests *prometheus.CounterVec
	// Ops, when set, also receives registry request durations
	// (imagepilot_registry_request_duration_seconds). Set it before the
	// first request.
	Ops *Ops
}

// crLabels are the labels upstream v1 puts on its per-ImageUpdater metrics.
var crLabels = []string{"image_updater_cr_name", "image_updater_cr_namespace"}

// New creates the metrics and registers them with reg. A nil reg creates
// unregistered metrics (useful in tests and for callers that do not export).
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		ApplicationsWatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "argocd_image_updater_applications_watched_total",
			Help: "Applications currently selected by an ImageUpdater object.",
		}, crLabels),
		ImagesWatched: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "argocd_image_updater_images_watched_total",
			Help: "Images currently considered for update by an ImageUpdater object.",
		}, crLabels),
		ImagesUpdated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "argocd_image_updater_images_updated_total",
			Help: "Images updated on behalf of an ImageUpdater object.",
		}, crLabels),
		ImagesErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "argocd_image_updater_images_errors_total",
			Help: "Errors while updating images of an ImageUpdater object.",
		}, crLabels),
		RegistryRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "argocd_image_updater_registry_requests_total",
			Help: "HTTP requests sent to a container registry.",
		}, []string{"registry"}),
		RegistryRequestsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "argocd_image_updater_registry_requests_failed_total",
			Help: "HTTP requests to a container registry that failed (no response or status >= 400).",
		}, []string{"registry"}),
		RegistryRequestsByKind: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_registry_requests_total",
			Help: "HTTP requests sent to a container registry by kind (ping, token, tags, manifest, blob, other) and status code.",
		}, []string{"registry", "kind", "code"}),
		ApplicationsWatchedGauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imagepilot_applications_watched",
			Help: "Applications currently selected by an ImageUpdater object (argocd_image_updater_applications_watched_total under a gauge's name).",
		}, crLabels),
		ImagesWatchedGauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "imagepilot_images_watched",
			Help: "Images currently considered for update by an ImageUpdater object (argocd_image_updater_images_watched_total under a gauge's name).",
		}, crLabels),
		PullRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imagepilot_pull_requests_total",
			Help: "Pull (merge) requests by provider (github, gitlab, gitea) and outcome: opened, closed (superseded by a newer one) or failed (an API call failed).",
		}, []string{"provider", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.ApplicationsWatched, m.ImagesWatched, m.ImagesUpdated, m.ImagesErrors,
		m.RegistryRequests, m.RegistryRequestsFailed, m.RegistryRequestsByKind,
		m.ApplicationsWatchedGauge, m.ImagesWatchedGauge, m.PullRequests,
	}
}

// RegistryRequest records one finished registry request. code is the HTTP
// status code, or 0 when no response arrived. A nil *Metrics records nothing.
func (m *Metrics) RegistryRequest(registry, kind string, code int) {
	if m == nil {
		return
	}
	m.RegistryRequests.WithLabelValues(registry).Inc()
	label := CodeError
	if code > 0 {
		label = fmt.Sprint(code)
	}
	if code == 0 || code >= 400 {
		m.RegistryRequestsFailed.WithLabelValues(registry).Inc()
	}
	m.RegistryRequestsByKind.WithLabelValues(registry, kind, label).Inc()
}

// PullRequest counts one pull request outcome (opened, closed, failed) of a
// provider. A nil *Metrics records nothing.
func (m *Metrics) PullRequest(provider, outcome string) {
	if m == nil {
		return
	}
	m.PullRequests.WithLabelValues(provider, outcome).Inc()
}

// ObserveRegistryRequest records one finished registry request as
// RegistryRequest does, and its duration d in m.Ops.
func (m *Metrics) ObserveRegistryRequest(registry, kind string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.RegistryRequest(registry, kind, code)
	m.Ops.ObserveRegistryRequest(registry, kind, d)
}

// SetApplicationsWatched sets how many applications the ImageUpdater object
// namespace/name selects.
func (m *Metrics) SetApplicationsWatched(name, namespace string, n int) {
	if m != nil {
		m.ApplicationsWatched.WithLabelValues(name, namespace).Set(float64(n))
		m.ApplicationsWatchedGauge.WithLabelValues(name, namespace).Set(float64(n))
	}
}

// SetImagesWatched sets how many images the ImageUpdater object considers.
func (m *Metrics) SetImagesWatched(name, namespace string, n int) {
	if m != nil {
		m.ImagesWatched.WithLabelValues(name, namespace).Set(float64(n))
		m.ImagesWatchedGauge.WithLabelValues(name, namespace).Set(float64(n))
	}
}

// AddImagesUpdated counts n images updated for the ImageUpdater object.
func (m *Metrics) AddImagesUpdated(name, namespace string, n int) {
	if m != nil {
		m.ImagesUpdated.WithLabelValues(name, namespace).Add(float64(n))
	}
}

// AddImageErrors counts n image update errors for the ImageUpdater object.
func (m *Metrics) AddImageErrors(name, namespace string, n int) {
	if m != nil {
		m.ImagesErrors.WithLabelValues(name, namespace).Add(float64(n))
	}
}

// ForgetImageUpdater removes the series of a deleted ImageUpdater object.
func (m *Metrics) ForgetImageUpdater(name, namespace string) {
	if m == nil {
		return
	}
	m.ApplicationsWatched.DeleteLabelValues(name, namespace)
	m.ImagesWatched.DeleteLabelValues(name, namespace)
	m.ImagesUpdated.DeleteLabelValues(name, namespace)
	m.ImagesErrors.DeleteLabelValues(name, namespace)
	m.ApplicationsWatchedGauge.DeleteLabelValues(name, namespace)
	m.ImagesWatchedGauge.DeleteLabelValues(name, namespace)
}
