package metrics

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewOpsRegistersEveryMetric(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if _, err := NewOps(reg, BuildInfo{Version: "v1.2.3", Commit: "abc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewOps(reg, BuildInfo{}); err == nil {
		t.Error("second NewOps on one registry: no error")
	}
	want := `
# HELP imagepilot_build_info Always 1; the labels name the running build.
# TYPE imagepilot_build_info gauge
imagepilot_build_info{commit="abc",goversion="` + runtime.Version() + `",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "imagepilot_build_info"); err != nil {
		t.Error(err)
	}
}

func TestObserveCycle(t *testing.T) {
	start := time.Unix(1700000000, 0)
	tests := []struct {
		name               string
		cycles             []Cycle
		success, failure   float64
		commits            float64
		pushOK, pushFailed float64
		lastSuccess        float64
		observations       uint64
	}{
		{
			name:    "one good cycle with a commit after one rejected push",
			cycles:  []Cycle{{Mode: ModeRepo, Start: start, End: start.Add(3 * time.Second), OK: true, Commits: 1, PushAttempts: 2, FailedPushes: 1}},
			success: 1, commits: 1, pushOK: 1, pushFailed: 1, lastSuccess: 1700000003, observations: 1,
		},
		{
			name: "a failed cycle keeps the last success",
			cycles: []Cycle{
				{Mode: ModeRepo, Start: start, End: start.Add(time.Second), OK: true},
				{Mode: ModeRepo, Start: start.Add(time.Minute), End: start.Add(time.Minute + time.Second), OK: false, PushAttempts: 1, FailedPushes: 1},
			},
			success: 1, failure: 1, pushFailed: 1, lastSuccess: 1700000001, observations: 2,
		},
		{
			name:    "no success yet",
			cycles:  []Cycle{{Mode: ModeRepo, Start: start, End: start, OK: false}},
			failure: 1, observations: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewOps(nil, BuildInfo{})
			if err != nil {
				t.Fatal(err)
			}
			if o.Ready() == nil {
				t.Error("ready before a cycle")
			}
			for _, c := range tt.cycles {
				o.ObserveCycle(c)
			}
			if err := o.Ready(); err != nil {
				t.Errorf("not ready after a cycle: %v", err)
			}
			checks := []struct {
				name      string
				got, want float64
			}{
				{"success", testutil.ToFloat64(o.Cycles.WithLabelValues(ModeRepo, ResultSuccess)), tt.success},
				{"failure", testutil.ToFloat64(o.Cycles.WithLabelValues(ModeRepo, ResultFailure)), tt.failure},
				{"commits", testutil.ToFloat64(o.Commits.WithLabelValues(ModeRepo)), tt.commits},
				{"push ok", testutil.ToFloat64(o.Pushes.WithLabelValues(ModeRepo, ResultSuccess)), tt.pushOK},
				{"push failed", testutil.ToFloat64(o.Pushes.WithLabelValues(ModeRepo, ResultFailure)), tt.pushFailed},
				{"last success", testutil.ToFloat64(o.LastSuccess.WithLabelValues(ModeRepo)), tt.lastSuccess},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if n := testutil.CollectAndCount(o.CycleDuration); n != 1 {
				t.Errorf("%d duration series", n)
			}
		})
	}
}

func TestNilOpsRecordsNothing(t *testing.T) {
	var o *Ops
	o.ObserveCycle(Cycle{Mode: ModeRepo})
	o.WebhookEvent("docker.io")
	o.ObserveRegistryRequest("r", KindTags, time.Second)
	if o.Ready() == nil {
		t.Error("nil Ops ready")
	}
}

func TestWebhookAndRegistryLatency(t *testing.T) {
	o, err := NewOps(nil, BuildInfo{})
	if err != nil {
		t.Fatal(err)
	}
	o.WebhookEvent("ghcr.io")
	o.WebhookEvent("ghcr.io")
	o.WebhookEvent("quay.io")
	if got := testutil.ToFloat64(o.WebhookEvents.WithLabelValues("ghcr.io")); got != 2 {
		t.Errorf("ghcr.io events %v", got)
	}
	o.ObserveRegistryRequest("ghcr.io", KindTags, 30*time.Millisecond)
	o.ObserveRegistryRequest("ghcr.io", KindManifest, 2*time.Second)
	if n := testutil.CollectAndCount(o.RegistryLatency); n != 2 {
		t.Errorf("%d latency series, want 2", n)
	}
}

func TestMetricsObserveRegistryRequestFeedsOps(t *testing.T) {
	tests := []struct {
		name     string
		withOps  bool
		wantHist int
	}{
		{"with Ops", true, 1},
		{"without Ops", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(nil)
			if err != nil {
				t.Fatal(err)
			}
			o, err := NewOps(nil, BuildInfo{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.withOps {
				m.Ops = o
			}
			m.ObserveRegistryRequest("ghcr.io", KindTags, 200, 20*time.Millisecond)
			if got := testutil.ToFloat64(m.RegistryRequestsByKind.WithLabelValues("ghcr.io", KindTags, "200")); got != 1 {
				t.Errorf("requests by kind %v", got)
			}
			if n := testutil.CollectAndCount(o.RegistryLatency); n != tt.wantHist {
				t.Errorf("%d latency series, want %d", n, tt.wantHist)
			}
		})
	}
	var m *Metrics
	m.ObserveRegistryRequest("r", KindTags, 200, time.Second)
}
