package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/client-go/rest"
)

func TestKubeAPICountsRequestsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusOK)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	k, err := NewKubeAPI(reg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{Host: srv.URL}
	k.Instrument(cfg)
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url              string
		requests, errors float64
	}{
		{srv.URL + "/ok", 1, 0},
		{srv.URL + "/missing", 2, 1},
		{srv.URL + "/broken", 3, 2},
		{"http://127.0.0.1:1/unreachable", 4, 3}, // no response
	} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, tc.url, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
		if got := testutil.ToFloat64(k.Requests); got != tc.requests {
			t.Errorf("%s: requests = %v, want %v", tc.url, got, tc.requests)
		}
		if got := testutil.ToFloat64(k.Errors); got != tc.errors {
			t.Errorf("%s: errors = %v, want %v", tc.url, got, tc.errors)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = f.GetType().String() == "COUNTER" && len(f.GetMetric()[0].GetLabel()) == 0
	}
	for _, n := range []string{"argocd_image_updater_k8s_api_requests_total", "argocd_image_updater_k8s_api_errors_total"} {
		if !names[n] {
			t.Errorf("%s missing or not an unlabelled counter: %v", n, names)
		}
	}
	var nilK *KubeAPI
	nilK.Instrument(cfg) // no panic, no change
}
