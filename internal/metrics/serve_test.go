package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	reg := prometheus.NewRegistry()
	ops, err := NewOps(reg, BuildInfo{Version: "v9"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		metricsAddr, health    string
		wantMetrics, wantProbe bool
	}{
		{"both on their own ports", "127.0.0.1:0", "127.0.0.1:0", true, true},
		{"metrics only", "127.0.0.1:0", "0", true, false},
		{"probes only", "", "127.0.0.1:0", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Serve(context.Background(), ServeOptions{MetricsAddr: tt.metricsAddr, HealthAddr: tt.health, Gatherer: reg, Ready: ops.Ready})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop()
			if (s.MetricsAddr != "") != tt.wantMetrics || (s.HealthAddr != "") != tt.wantProbe {
				t.Fatalf("serving metrics %q, probes %q", s.MetricsAddr, s.HealthAddr)
			}
			if tt.wantMetrics {
				code, body := get(t, "http://"+s.MetricsAddr+"/metrics")
				if code != 200 || !strings.Contains(body, `imagepilot_build_info{`) || !strings.Contains(body, `version="v9"`) {
					t.Errorf("/metrics %d:\n%s", code, body)
				}
			}
			if tt.wantProbe {
				if code, _ := get(t, "http://"+s.HealthAddr+"/healthz"); code != 200 {
					t.Errorf("/healthz %d", code)
				}
			}
		})
	}
}

func TestServeReadiness(t *testing.T) {
	reg := prometheus.NewRegistry()
	ops, err := NewOps(reg, BuildInfo{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Serve(context.Background(), ServeOptions{MetricsAddr: "127.0.0.1:0", HealthAddr: "127.0.0.1:0", Gatherer: reg, Ready: ops.Ready})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if code, body := get(t, "http://"+s.HealthAddr+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "no update cycle") {
		t.Errorf("/readyz before a cycle: %d %q", code, body)
	}
	ops.ObserveCycle(Cycle{Mode: ModeRepo, OK: true})
	if code, _ := get(t, "http://"+s.HealthAddr+"/readyz"); code != 200 {
		t.Errorf("/readyz after a cycle: %d", code)
	}
}

func TestServeSameAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	reg := prometheus.NewRegistry()
	s, err := Serve(context.Background(), ServeOptions{MetricsAddr: addr, HealthAddr: addr, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		if code, _ := get(t, "http://"+addr+p); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
}

func TestServeAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Serve(context.Background(), ServeOptions{MetricsAddr: "127.0.0.1:0", HealthAddr: l.Addr().String(), Gatherer: prometheus.NewRegistry()})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("address in use: %v", err)
	}
	if _, err := Serve(context.Background(), ServeOptions{}); err == nil {
		t.Error("no gatherer: no error")
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Serve(ctx, ServeOptions{MetricsAddr: "127.0.0.1:0", Gatherer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := s.Stop(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("stop: %v", err)
	}
	if _, err := http.Get("http://" + s.MetricsAddr + "/metrics"); err == nil {
		t.Error("still serving after the context ended")
	}
}
