package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
)

// KubeAPI counts the requests imagepilot's Kubernetes clients send, under
// the names upstream exports (no labels, as upstream):
// argocd_image_updater_k8s_api_requests_total and
// argocd_image_updater_k8s_api_errors_total.
type KubeAPI struct {
	// Requests counts every request sent to the API server.
	Requests prometheus.Counter
	// Errors counts requests that got no response or an HTTP status of 400
	// or more.
	Errors prometheus.Counter
}

// NewKubeAPI creates the Kubernetes API counters and registers them with
// reg (nil: unregistered).
func NewKubeAPI(reg prometheus.Registerer) (*KubeAPI, error) {
	k := &KubeAPI{
		Requests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "argocd_image_updater_k8s_api_requests_total",
			Help: "Requests sent to the Kubernetes API server.",
		}),
		Errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "argocd_image_updater_k8s_api_errors_total",
			Help: "Requests to the Kubernetes API server that got no response or an HTTP status >= 400.",
		}),
	}
	if reg == nil {
		return k, nil
	}
	for _, c := range []prometheus.Collector{k.Requests, k.Errors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register Kubernetes API metrics: %w", err)
		}
	}
	return k, nil
}

// Instrument makes every client built from cfg (after this call) count its
// requests. A nil *KubeAPI leaves cfg alone.
func (k *KubeAPI) Instrument(cfg *rest.Config) {
	if k == nil {
		return
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &countingTransport{next: rt, k: k} })
}

type countingTransport struct {
	next http.RoundTripper
	k    *KubeAPI
}

// RoundTrip counts the request and, when it fails, the error.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.k.Requests.Inc()
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode >= 400 {
		t.k.Errors.Inc()
	}
	return resp, err
}
