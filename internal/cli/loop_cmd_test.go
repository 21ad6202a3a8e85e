package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// freePort is a loopback address nothing listens on at the moment.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// get fetches url (with the bearer token, when given) once the server is
// up, and returns the status and body.
func get(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunRepoServesTriggersAndMetrics: run --repo without --once serves
// the webhook server, the trigger API, /metrics and the probes the flags
// turn on, and exits 0 when its context ends.
func TestRunRepoServesTriggersAndMetrics(t *testing.T) {
	p := newPlayground(t)
	hooks, apiAddr, metricsAddr, probes := freePort(t), freePort(t), freePort(t), freePort(t)
	cleanEnv(t, map[string]string{"IMAGEPILOT_API_TOKEN": "t0ken", "DOCKER_WEBHOOK_SECRET": "s3cret"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer // read once the command has returned
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, append([]string{"run", "--interval", "1h", "--enable-webhook", "--disable-tls", "--webhook-bind-address", hooks,
			"--api-bind-address", apiAddr, "--metrics-bind-address", metricsAddr, "--metrics-secure=false", "--health-probe-bind-address", probes}, p.repoArgs...), &out, &errOut)
	}()
	if code, body := get(t, http.MethodGet, "http://"+apiAddr+"/api/v1/holds", "t0ken", ""); code != http.StatusOK || !strings.Contains(body, `"holds":[]`) {
		t.Errorf("trigger API: %d %s", code, body)
	}
	if code, _ := get(t, http.MethodGet, "http://"+apiAddr+"/api/v1/holds", "wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("trigger API with a wrong token: %d", code)
	}
	hook, err := os.ReadFile("../webhook/testdata/docker.io.json")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, http.MethodPost, "http://"+hooks+"/webhook?type=docker.io&secret=s3cret", "", string(hook)); code != http.StatusAccepted {
		t.Errorf("webhook: %d %s", code, body)
	}
	if code, _ := get(t, http.MethodGet, "http://"+probes+"/healthz", "", ""); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	// The event is counted when it is delivered, after the webhook
	// server's debounce window.
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, metrics = get(t, http.MethodGet, "http://"+metricsAddr+"/metrics", "", ""); strings.Contains(metrics, `imagepilot_webhook_events_total{type="docker.io"} 1`) {
			break
		}
	}
	for _, want := range []string{"imagepilot_build_info{", `imagepilot_webhook_events_total{type="docker.io"} 1`, `imagepilot_cycles_total{mode="repo",result="success"}`, "go_goroutines "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d\n%s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop when its context ended")
	}
	if log := errOut.String(); !strings.Contains(log, `msg="starting imagepilot"`) || !strings.Contains(log, "mode=repo") || !strings.Contains(log, "metrics="+metricsAddr) {
		t.Errorf("start line:\n%s", log)
	}
	if out.String() != "" {
		t.Errorf("run printed on stdout without --dry-run: %q", out.String())
	}
}

func TestRunRepoOnce(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		wantOut string
		wantErr string
		commits bool
	}{
		{name: "dry run prints the plan and commits nothing", args: []string{"--once", "--dry-run"}, wantOut: "  UPDATE argocd/guestbook guestbook: v1 -> v4\n"},
		{name: "once commits", args: []string{"--once"}, commits: true},
		{name: "a branch that does not exist fails the cycle", args: []string{"--once", "--branch", "nosuchbranch"}, code: ExitFailedCycle, wantErr: "nosuchbranch"},
		{name: "an apps path that does not exist is a usage error", args: []string{"--once", "--apps-path", "nosuchdir"}, code: ExitUsage, wantErr: "nosuchdir"},
		{name: "a taken webhook port is a usage error", args: []string{"--enable-webhook", "--disable-tls", "--docker-webhook-secret", "s"}, code: ExitUsage, wantErr: "webhook server: listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlayground(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			before, err := p.LastCommit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			r := p.run(t, nil, append(append([]string{"run"}, tt.args...), "--webhook-bind-address", ln.Addr().String())...)
			if r.code != tt.code || !strings.Contains(r.out, tt.wantOut) || !strings.Contains(r.errOut, tt.wantErr) {
				t.Fatalf("want exit %d, %q on stdout, %q on stderr; %s", tt.code, tt.wantOut, tt.wantErr, r)
			}
			if tt.wantOut == "" && r.out != "" {
				t.Errorf("stdout %q", r.out)
			}
			after, err := p.LastCommit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (after != before) != tt.commits {
				t.Errorf("committed: %v, want %v\n%s", after != before, tt.commits, after)
			}
		})
	}
}

// TestWebhookCommandOnTheRepository: the webhook command with --repo
// serves webhooks and nothing else polls; it stops with its context.
func TestWebhookCommandOnTheRepository(t *testing.T) {
	p := newPlayground(t)
	addr := freePort(t)
	cleanEnv(t, map[string]string{"QUAY_WEBHOOK_SECRET": "q"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer // read once the command has returned
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, append([]string{"webhook", "--disable-tls", "--webhook-bind-address", addr}, p.repoArgs...), &out, &errOut)
	}()
	if code, _ := get(t, http.MethodGet, "http://"+addr+"/healthz", "", ""); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	if code, _ := get(t, http.MethodPost, "http://"+addr+"/webhook?type=docker.io", "", "{}"); code != http.StatusUnauthorized {
		t.Errorf("a type without a secret is refused: %d", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d\n%s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("webhook did not stop")
	}
	if strings.Contains(errOut.String(), "every request will be refused") {
		t.Errorf("warned of no secret although QUAY_WEBHOOK_SECRET is set:\n%s", errOut.String())
	}
}
