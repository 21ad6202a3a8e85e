package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPerImageUpdaterSeries shows gauges take the last value, counters add
// up, and forgetting one ImageUpdater removes its series alone, counters
// included.
func TestPerImageUpdaterSeries(t *testing.T) {
	m, err := New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, iu := range []string{"web", "db"} {
		m.SetImagesWatched(iu, "argocd", 9)
		m.SetImagesWatched(iu, "argocd", 4)
		m.SetApplicationsWatched(iu, "argocd", 2)
		m.AddImagesUpdated(iu, "argocd", 2)
		m.AddImagesUpdated(iu, "argocd", 3)
		m.AddImageErrors(iu, "argocd", 1)
	}
	tests := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{name: "images watched is the last value", c: m.ImagesWatched.WithLabelValues("db", "argocd"), want: 4},
		{name: "the imagepilot gauge agrees", c: m.ImagesWatchedGauge.WithLabelValues("db", "argocd"), want: 4},
		{name: "images updated adds up", c: m.ImagesUpdated.WithLabelValues("db", "argocd"), want: 5},
		{name: "errors add up", c: m.ImagesErrors.WithLabelValues("db", "argocd"), want: 1},
	}
	for _, tt := range tests {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	m.ForgetImageUpdater("web", "argocd")
	for name, c := range map[string]prometheus.Collector{
		"applications watched": m.ApplicationsWatched, "images watched": m.ImagesWatched, "images updated": m.ImagesUpdated,
		"image errors": m.ImagesErrors, "applications gauge": m.ApplicationsWatchedGauge, "images gauge": m.ImagesWatchedGauge,
	} {
		if n := testutil.CollectAndCount(c); n != 1 {
			t.Errorf("%s: %d series after forgetting web, want db's alone", name, n)
		}
	}
	var nilMetrics *Metrics
	nilMetrics.AddImagesUpdated("a", "b", 1)
	nilMetrics.ForgetImageUpdater("a", "b")
}
