package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRegistryRequestCounts(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		wantFailed float64
		wantCode   string
	}{
		{"ok", 200, 0, "200"},
		{"unauthorized", 401, 1, "401"},
		{"rate limited", 429, 1, "429"},
		{"no response", 0, 1, CodeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			m.RegistryRequest("reg.example", KindTags, tt.code)
			if got := testutil.ToFloat64(m.RegistryRequests.WithLabelValues("reg.example")); got != 1 {
				t.Errorf("requests = %v, want 1", got)
			}
			if got := testutil.ToFloat64(m.RegistryRequestsFailed.WithLabelValues("reg.example")); got != tt.wantFailed {
				t.Errorf("failed = %v, want %v", got, tt.wantFailed)
			}
			if got := testutil.ToFloat64(m.RegistryRequestsByKind.WithLabelValues("reg.example", KindTags, tt.wantCode)); got != 1 {
				t.Errorf("by kind = %v, want 1", got)
			}
		})
	}
}

func TestUpstreamNamesTypesAndLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.SetApplicationsWatched("iu", "argocd", 3)
	m.SetImagesWatched("iu", "argocd", 5)
	m.AddImagesUpdated("iu", "argocd", 2)
	m.AddImageErrors("iu", "argocd", 1)
	m.RegistryRequest("r", KindPing, 200)
	want := map[string]string{
		"argocd_image_updater_applications_watched_total":     "GAUGE",
		"argocd_image_updater_images_watched_total":           "GAUGE",
		"argocd_image_updater_images_updated_total":           "COUNTER",
		"argocd_image_updater_images_errors_total":            "COUNTER",
		"argocd_image_updater_registry_requests_total":        "COUNTER",
		"argocd_image_updater_registry_requests_failed_total": "COUNTER",
		"imagepilot_registry_requests_total":                  "COUNTER",
		"imagepilot_applications_watched":                     "GAUGE",
		"imagepilot_images_watched":                           "GAUGE",
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		typ, ok := want[f.GetName()]
		if !ok {
			t.Errorf("unexpected metric %s", f.GetName())
			continue
		}
		if f.GetType().String() != typ {
			t.Errorf("%s type = %s, want %s", f.GetName(), f.GetType(), typ)
		}
		if !strings.Contains(f.GetName(), "registry") {
			labels := f.GetMetric()[0].GetLabel()
			if len(labels) != 2 || labels[0].GetName() != "image_updater_cr_name" || labels[1].GetName() != "image_updater_cr_namespace" {
				t.Errorf("%s labels = %v", f.GetName(), labels)
			}
		}
		delete(want, f.GetName())
	}
	// The failed counter has no sample yet (the request succeeded).
	delete(want, "argocd_image_updater_registry_requests_failed_total")
	if len(want) != 0 {
		t.Errorf("missing metrics: %v", want)
	}
	if got := testutil.ToFloat64(m.ApplicationsWatchedGauge.WithLabelValues("iu", "argocd")); got != 3 {
		t.Errorf("imagepilot_applications_watched = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.ImagesWatchedGauge.WithLabelValues("iu", "argocd")); got != 5 {
		t.Errorf("imagepilot_images_watched = %v, want 5", got)
	}
	m.ForgetImageUpdater("iu", "argocd")
	for _, g := range []prometheus.Collector{m.ImagesWatched, m.ApplicationsWatched, m.ImagesWatchedGauge, m.ApplicationsWatchedGauge} {
		if n := testutil.CollectAndCount(g); n != 0 {
			t.Errorf("series after forget = %d", n)
		}
	}
}

func TestNilMetricsIsSafe(t *testing.T) {
	var m *Metrics
	m.RegistryRequest("r", KindTags, 200)
	m.SetImagesWatched("a", "b", 1)
	m.PullRequest("github", "opened")
}

func TestPullRequestCounts(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.PullRequest("github", "opened")
	m.PullRequest("github", "opened")
	m.PullRequest("gitea", "failed")
	for _, tc := range []struct {
		provider, outcome string
		want              float64
	}{{"github", "opened", 2}, {"gitea", "failed", 1}, {"gitlab", "closed", 0}} {
		if got := testutil.ToFloat64(m.PullRequests.WithLabelValues(tc.provider, tc.outcome)); got != tc.want {
			t.Errorf("%s/%s = %v, want %v", tc.provider, tc.outcome, got, tc.want)
		}
	}
}

func TestNewTwiceOnOneRegistryFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg); err == nil {
		t.Fatal("want duplicate registration error")
	}
}
