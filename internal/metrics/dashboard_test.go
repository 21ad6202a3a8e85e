package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// dashboardPath is the Grafana dashboard shipped in the repository.
var dashboardPath = filepath.Join("..", "..", "deploy", "grafana", "imagepilot.json")

// registeredNames returns the metric names every collector of the binary
// describes (repo mode and controller), histograms with their _bucket,
// _sum and _count series.
func registeredNames(t *testing.T) map[string]bool {
	t.Helper()
	m, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOps(nil, BuildInfo{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKubeAPI(nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := append(append(m.collectors(), o.Collectors()...), k.Requests, k.Errors)
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for _, c := range cs {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		_, histogram := c.(*prometheus.HistogramVec)
		for d := range ch {
			match := fq.FindStringSubmatch(d.String())
			if match == nil {
				t.Fatalf("no name in %s", d)
			}
			names[match[1]] = true
			if histogram {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					names[match[1]+s] = true
				}
			}
		}
	}
	return names
}

// exprs returns every "expr" and templating "query" string in v.
func exprs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && (k == "expr" || k == "definition") {
				out = append(out, s)
			}
			out = append(out, exprs(val)...)
		}
	case []any:
		for _, val := range x {
			out = append(out, exprs(val)...)
		}
	}
	return out
}

// promqlWords are the snake_case words of PromQL and of our label names,
// which are not metric names.
var promqlWords = map[string]bool{
	"histogram_quantile": true, "label_values": true, "label_replace": true, "count_values": true,
	"image_updater_cr_name": true, "image_updater_cr_namespace": true,
	"rate_interval": true, // $__rate_interval
}

// metricNames returns the words of expr that name metrics: snake_case
// identifiers outside strings and label matchers, not PromQL functions.
func metricNames(expr string) []string {
	noStrings := regexp.MustCompile(`"[^"]*"`).ReplaceAllString(expr, `""`)
	words := regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`).FindAllString(noStrings, -1)
	var out []string
	for _, w := range words {
		w = strings.TrimLeft(w, "_")
		if !strings.Contains(w, "_") || promqlWords[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`sum by (result) (rate(imagepilot_cycles_total{job=~"$job"}[$__rate_interval]))`, []string{"imagepilot_cycles_total"}},
		{`histogram_quantile(0.95, sum by (le, registry) (rate(x_seconds_bucket[5m])))`, []string{"x_seconds_bucket"}},
		{`sum by (image_updater_cr_name) (a_b) / c_d{kind="tags_list"}`, []string{"a_b", "c_d"}},
		{`label_values(imagepilot_build_info, job)`, []string{"imagepilot_build_info"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

// TestDashboardUsesOnlyRegisteredMetrics: every query of the shipped
// Grafana dashboard names only metrics the binary registers, and the
// dashboard shows each of imagepilot's own metric families at least once.
func TestDashboardUsesOnlyRegisteredMetrics(t *testing.T) {
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	names := registeredNames(t)
	used := map[string]bool{}
	all := exprs(dash)
	if len(all) < 10 {
		t.Fatalf("only %d queries found", len(all))
	}
	for _, e := range all {
		for _, n := range metricNames(e) {
			used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			if !names[n] {
				t.Errorf("query %q uses %s, which the binary does not register", e, n)
			}
		}
	}
	for n := range names {
		if strings.HasSuffix(n, "_bucket") || strings.HasSuffix(n, "_sum") || strings.HasSuffix(n, "_count") {
			continue
		}
		// The inherited *_watched_total gauges are shown under their
		// imagepilot_ names.
		if !used[n] && !strings.HasSuffix(n, "_watched_total") {
			t.Errorf("dashboard shows nothing of %s", n)
		}
	}
}
