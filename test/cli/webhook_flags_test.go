package cli_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// startWebhook runs `imagepilot webhook --repo` on an empty repository
// until the test ends.
func startWebhook(t *testing.T, args ...string) *infra.SyncBuffer {
	t.Helper()
	infra.GitRequire(t)
	bare := filepath.Join(t.TempDir(), "empty.git")
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{"README.md": "empty\n"})
	all := append([]string{"webhook", "--repo", "file://" + bare, "--git-cache-dir", t.TempDir(), "--registries-conf-path", conf(t, "registries: []\n")}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out infra.SyncBuffer
	go func() { done <- cli.Execute(ctx, all, &out, &out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("webhook command did not stop")
		}
	})
	return &out
}

// TestWebhookRateLimitRequireSecretAndAPIBindAddress: --webhook-ratelimit-allowed
// answers 429 beyond its allowance, --webhook-require-secret=false lets a
// type without a secret through, and --api-bind-address serves the trigger
// API there.
func TestWebhookRateLimitRequireSecretAndAPIBindAddress(t *testing.T) {
	hook, api := infra.GitFreePort(t), infra.GitFreePort(t)
	t.Setenv("IMAGEPILOT_API_TOKEN", "api-token-1")
	logs := startWebhook(t, "--disable-tls", "--webhook-bind-address", fmt.Sprintf("127.0.0.1:%d", hook),
		"--webhook-ratelimit-allowed", "2", "--webhook-require-secret=false", "--api-bind-address", fmt.Sprintf("127.0.0.1:%d", api))
	c := &http.Client{Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/webhook?type=ghcr.io", hook)
	waitFor(t, 30*time.Second, logs, "the API", func() bool {
		code, _, _, err := get(c, fmt.Sprintf("http://127.0.0.1:%d/api/v1/holds", api), "api-token-1")
		return err == nil && code == http.StatusOK
	})
	body := readTestdata(t, "ghcr.io.json")
	var codes []int
	for range 3 {
		resp, err := post(c, url, map[string]string{"X-GitHub-Event": "registry_package"}, body)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] == http.StatusUnauthorized || codes[1] == http.StatusUnauthorized {
		t.Errorf("--webhook-require-secret=false: %v", codes)
	}
	if codes[0] == http.StatusTooManyRequests || codes[1] == http.StatusTooManyRequests || codes[2] != http.StatusTooManyRequests {
		t.Errorf("--webhook-ratelimit-allowed 2: %v, want the third refused with 429", codes)
	}
	if code, _, _, err := get(c, fmt.Sprintf("http://127.0.0.1:%d/api/v1/holds", api), "wrong"); err != nil || code != http.StatusUnauthorized {
		t.Errorf("API with a wrong token: %d %v", code, err)
	}
}

// TestWebhookTLSCiphers: --tlsciphers limits the TLS 1.2 suites offered.
func TestWebhookTLSCiphers(t *testing.T) {
	port := infra.GitFreePort(t)
	dir := t.TempDir()
	logs := startWebhook(t, "--webhook-port", fmt.Sprint(port), "--tlsminversion", "1.2", "--tlsmaxversion", "1.2",
		"--tlsciphers", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"--webhook-tls-cert-file", filepath.Join(dir, "tls.crt"), "--webhook-tls-key-file", filepath.Join(dir, "tls.key"))
	client := func(suite uint16) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, CipherSuites: []uint16{suite}, MaxVersion: tls.VersionTLS12}}} //nolint:gosec // self-signed test server
	}
	health := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	waitFor(t, 30*time.Second, logs, "the HTTPS server", func() bool {
		code, _, _, err := get(client(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), health, "")
		return err == nil && code == http.StatusOK
	})
	if _, _, _, err := get(client(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256), health, ""); err == nil {
		t.Error("a suite outside --tlsciphers was accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "tls.crt")); err == nil {
		t.Error("the self-signed certificate was written to disk")
	}
}
