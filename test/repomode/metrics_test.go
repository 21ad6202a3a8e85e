package repomode_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// scrape GETs url and returns status and body ("" when unreachable).
func scrape(url string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample returns the value of the series named exactly series (name and
// labels as printed) in a Prometheus text exposition, or -1.
func sample(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestRunRepoServesMetricsAndProbes runs `run --repo` against the real
// registry and git server with --metrics-bind-address and
// --health-probe-bind-address: /readyz turns ready after the first cycle,
// and /metrics counts the cycle, its commit and push, the registry
// requests' latency and the build.
func TestRunRepoServesMetricsAndProbes(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1", "v2")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", infra.GitFreePort(t))
	probeAddr := fmt.Sprintf("127.0.0.1:%d", infra.GitFreePort(t))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut infra.SyncBuffer
	go func() {
		done <- cli.Execute(ctx, append([]string{"run", "--interval", "1h", "--metrics-bind-address", metricsAddr, "--health-probe-bind-address", probeAddr}, e.flags()...), &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("run exited %d: %s", code, errOut.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("imagepilot did not stop")
		}
	}()
	waitFor(t, 60*time.Second, func() bool {
		code, _ := scrape("http://" + probeAddr + "/readyz")
		return code == http.StatusOK
	})
	if code, _ := scrape("http://" + probeAddr + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d", code)
	}
	if !strings.Contains(errOut.String(), "starting imagepilot") || !strings.Contains(errOut.String(), "mode=repo") || !strings.Contains(errOut.String(), "interval=1h0m0s") {
		t.Errorf("no start line naming mode and interval:\n%s", errOut.String())
	}
	if !regexp.MustCompile(`msg="cycle started" repository=\S+ branch=main applications=1 images=1 held=0`).MatchString(errOut.String()) {
		t.Errorf("no cycle-start line with the counts:\n%s", errOut.String())
	}
	code, body := scrape("http://" + metricsAddr + "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics %d", code)
	}
	for series, want := range map[string]float64{
		`imagepilot_cycles_total{mode="repo",result="success"}`:                       1,
		`imagepilot_git_commits_total{mode="repo"}`:                                   1,
		`imagepilot_git_pushes_total{mode="repo",result="success"}`:                   1,
		`imagepilot_cycle_duration_seconds_count{mode="repo"}`:                        1,
		`argocd_image_updater_registry_requests_total{registry="` + e.reg.Host + `"}`: -2, // > 0
	} {
		got := sample(body, series)
		if (want == -2 && got <= 0) || (want != -2 && got != want) {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if !regexp.MustCompile(`imagepilot_registry_request_duration_seconds_count\{kind="tags",registry="[^"]+"\} [1-9]`).MatchString(body) {
		t.Errorf("no registry latency for tags requests:\n%s", grep(body, "imagepilot_registry_request_duration"))
	}
	if !regexp.MustCompile(`imagepilot_last_successful_cycle_timestamp_seconds\{mode="repo"\} 1\.[0-9.e+]+`).MatchString(body) {
		t.Errorf("no last success time:\n%s", grep(body, "last_successful"))
	}
	if !strings.Contains(body, "imagepilot_build_info{") {
		t.Error("no imagepilot_build_info")
	}
}

// TestRunRepoMetricsFlagsErrors: --metrics-secure cannot be honoured
// without a cluster, and a port in use is a usage error naming it.
func TestRunRepoMetricsFlagsErrors(t *testing.T) {
	e := setup(t, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")
	code, _, errOut := e.imagepilot(t, "run", "--metrics-bind-address", "127.0.0.1:0", "--metrics-secure")
	if code != 2 || !strings.Contains(errOut, "--metrics-secure needs a cluster") {
		t.Errorf("--metrics-secure in repo mode: exit %d, %s", code, errOut)
	}
	busy := strings.TrimPrefix(e.git.URL, "http://") // the git server's port is taken
	code, _, errOut = e.imagepilot(t, "run", "--interval", "1h", "--health-probe-bind-address", busy)
	if code != 2 || !strings.Contains(errOut, busy) {
		t.Errorf("address in use: exit %d, %s", code, errOut)
	}
}

func grep(s, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
