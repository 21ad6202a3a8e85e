package repomode_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestRegistryNotificationDrivesCommit has the real docker-registry notify
// imagepilot's webhook: a push becomes a commit with no poll in between.
func TestRegistryNotificationDrivesCommit(t *testing.T) { notificationDrivesCommit(t, false) }

// TestUnsignedFloodDoesNotBlockTheRegistry sends 70 unsigned webhook
// requests from the registry's address before the real push.
func TestUnsignedFloodDoesNotBlockTheRegistry(t *testing.T) { notificationDrivesCommit(t, true) }

func notificationDrivesCommit(t *testing.T, flood bool) {
	port := infra.GitFreePort(t)
	const secret = "webhook-secret-1"
	t.Setenv("DISTRIBUTION_WEBHOOK_SECRET", secret)
	e := setupWith(t, infra.RegistryOptions{Auth: infra.RegistryBasic, Notifications: []infra.NotificationEndpoint{{
		Name: "imagepilot", URL: fmt.Sprintf("http://127.0.0.1:%d/webhook?type=distribution", port),
		Headers: map[string][]string{"Authorization": {"Bearer " + secret}}, Timeout: 2 * time.Second, Backoff: 200 * time.Millisecond,
	}}}, func(e *env) map[string]string { return chart(e, "") })
	e.push(t, "team/guestbook", "v1")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut infra.SyncBuffer
	go func() {
		done <- cli.Execute(ctx, append([]string{"run", "--enable-webhook", "--disable-tls", "--webhook-port", fmt.Sprint(port), "--interval", "0"}, e.flags()...), &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("imagepilot did not stop")
		}
	}()
	waitFor(t, 60*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil && strings.Contains(errOut.String(), "Processing results")
	})
	head := e.head(t)

	if flood {
		// Unsigned requests from the registry's own address must not use
		// up its budget: a signed event afterwards is accepted at once.
		url := fmt.Sprintf("http://127.0.0.1:%d/webhook?type=distribution", port)
		body, err := os.ReadFile("../../internal/webhook/testdata/distribution-2.8.2-manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		send := func(auth string) int {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/vnd.docker.distribution.events.v1+json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for range 70 {
			if code := send("Bearer wrong"); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
				t.Fatalf("unsigned request: %d", code)
			}
		}
		if code := send("Bearer " + secret); code != http.StatusAccepted {
			t.Fatalf("signed request after 70 unsigned ones: %d, want 202", code)
		}
	}

	e.push(t, "team/guestbook", "v2")
	pushed := time.Now()
	waitFor(t, 60*time.Second, func() bool { return e.head(t) != head })
	t.Logf("push-to-commit latency: %v", time.Since(pushed).Round(time.Millisecond))
	if got := e.file(t, "helm/.argocd-source-guestbook.yaml"); !strings.Contains(got, "value: v2") {
		t.Fatalf("webhook cycle wrote:\n%s\nlog:\n%s", got, errOut.String())
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
