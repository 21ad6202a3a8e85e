package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/test/infra"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/imagepilot once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imagepilot-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "imagepilot")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/imagepilot")
		cmd.Dir = infra.KubeRepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// mountUpstreamConfig writes files the way upstream's Deployment mounts
// them: the ConfigMap keys registries.conf and git.commit-message-template
// at config/registries.conf and config/commit.template, the
// argocd-image-updater-tls Secret at config/tls/tls.crt and tls.key.
func mountUpstreamConfig(t *testing.T, configMap map[string]string, tlsSecret map[string][]byte) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "app", "config")
	items := map[string]string{"registries.conf": "registries.conf", "git.commit-message-template": "commit.template"}
	for key, path := range items {
		if v, ok := configMap[key]; ok {
			writeAt(t, filepath.Join(root, path), []byte(v))
		}
	}
	for _, key := range []string{"tls.crt", "tls.key"} {
		if v, ok := tlsSecret[key]; ok {
			writeAt(t, filepath.Join(root, "tls", key), v)
		}
	}
	return root
}

func writeAt(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// upstreamDeploymentEnv maps ConfigMap and Secret keys to the environment
// variables exactly as upstream v1.3's config/manager/manager.yaml does.
func upstreamDeploymentEnv(configMap, secret map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for name, key := range upstreamFromConfigMap {
		if v, ok := configMap[key]; ok { // optional: true — an absent key sets nothing
			env = append(env, name+"="+v)
		}
	}
	for name, key := range upstreamFromSecret {
		if v, ok := secret[key]; ok {
			env = append(env, name+"="+v)
		}
	}
	return env
}

// upstreamFromConfigMap and upstreamFromSecret map environment variables to
// the keys of argocd-image-updater-config and argocd-image-updater-secret,
// as upstream v1.3's config/manager/manager.yaml sets them.
var (
	upstreamFromConfigMap = map[string]string{
		"ARGOCD_NAMESPACE": "argocd.namespace", "IMAGE_UPDATER_WATCH_NAMESPACES": "watch.namespaces",
		"IMAGE_UPDATER_INTERVAL": "interval", "IMAGE_UPDATER_LOGLEVEL": "log.level", "IMAGE_UPDATER_LOGFORMAT": "log.format",
		"MAX_CONCURRENT_APPS": "max_concurrent_apps", "MAX_CONCURRENT_RECONCILES": "max_concurrent_reconciles",
		"GIT_COMMIT_USER": "git.user", "GIT_COMMIT_EMAIL": "git.email", "GIT_COMMIT_SIGNING_KEY": "git.commit-signing-key",
		"GIT_COMMIT_SIGNING_METHOD": "git.commit-signing-method", "GIT_COMMIT_SIGN_OFF": "git.commit-sign-off",
		"IMAGE_UPDATER_KUBE_EVENTS": "kube.events", "ENABLE_WEBHOOK": "webhook.enable", "WEBHOOK_REQUIRE_SECRET": "webhook.require-secret",
		"WEBHOOK_PORT": "webhook.port", "WEBHOOK_RATELIMIT_ALLOWED": "webhook.ratelimit-allowed", "DISABLE_TLS": "disable-tls",
		"TLS_MIN_VERSION": "tls.min-version", "TLS_MAX_VERSION": "tls.max-version", "TLS_CIPHERS": "tls.ciphers",
	}
	upstreamFromSecret = map[string]string{
		"QUAY_WEBHOOK_SECRET": "webhook.quay-secret", "DOCKER_WEBHOOK_SECRET": "webhook.docker-secret",
		"GHCR_WEBHOOK_SECRET": "webhook.ghcr-secret", "HARBOR_WEBHOOK_SECRET": "webhook.harbor-secret",
		"ALIYUN_ACR_WEBHOOK_SECRET": "webhook.aliyun-acr-secret", "ACR_WEBHOOK_SECRET": "webhook.acr-secret",
		"CLOUDEVENTS_WEBHOOK_SECRET": "webhook.cloudevents-secret",
	}
)

const upstreamTemplate = `chore(deps): {{ .AppName }} images

{{ range .AppChanges -}}
* {{ .Image }}: {{ .OldTag }} -> {{ .NewTag }}
{{ end -}}
`

// TestBinaryWithUpstreamConfigMapAndSecret runs the built binary's webhook
// command with upstream's ConfigMap and Secret keys turned into environment
// variables and files as upstream's Deployment does: Git author, sign-off
// and message template, log format, webhook port, secrets per type, secret
// requirement and the TLS versions all take effect.
func TestBinaryWithUpstreamConfigMapAndSecret(t *testing.T) {
	bin := binary(t)
	infra.GitRequire(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/guestbook", "v1", "v2")
	bare := filepath.Join(t.TempDir(), "gitops.git")
	repoURL := "file://" + bare
	infra.GitBareRepoFromFiles(t, bare, "main", map[string]string{
		"helm/Chart.yaml":     "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n",
		"helm/values.yaml":    fmt.Sprintf("image:\n  repository: %s/team/guestbook\n  tag: v1\n", reg.Host),
		"apps/guestbook.yaml": guestbookManifest(repoURL, reg.Host),
	})
	ca := infra.NewTestCA(t)
	certPEM, keyPEM, _ := ca.ServerCert(t)
	port := infra.GitFreePort(t)
	configMap := map[string]string{
		"registries.conf":             fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", reg.Host, reg.URL),
		"git.commit-message-template": upstreamTemplate,
		"git.user":                    "Upstream Bot",
		"git.email":                   "upstream-bot@example.com",
		"git.commit-sign-off":         "true",
		"log.level":                   "debug",
		"log.format":                  "json",
		"kube.events":                 "true",
		"webhook.port":                fmt.Sprint(port),
		"tls.min-version":             "1.2",
		"tls.max-version":             "1.2",
		"max_concurrent_apps":         "3",
	}
	secret := map[string]string{"webhook.docker-secret": "d0cker", "webhook.quay-secret": "qu4y"}
	mount := mountUpstreamConfig(t, configMap, map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "webhook", "--repo", repoURL, "--git-cache-dir", t.TempDir(),
		"--registries-conf-path", filepath.Join(mount, "registries.conf"),
		"--git-commit-message-path", filepath.Join(mount, "commit.template"),
		"--webhook-tls-cert-file", filepath.Join(mount, "tls", "tls.crt"), "--webhook-tls-key-file", filepath.Join(mount, "tls", "tls.key"),
		"--distribution-webhook-secret", "d1st")
	cmd.Env = upstreamDeploymentEnv(configMap, secret)
	var stderr infra.SyncBuffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()

	// The first cycle runs at start: v1 -> v2 with upstream's author, sign-off and template.
	waitFor(t, 90*time.Second, &stderr, "the first commit", func() bool { return commitCount(t, bare) == 2 })
	msg := infra.GitRun(t, bare, "log", "-1", "--format=%an <%ae>%n%B", "main")
	for _, want := range []string{"Upstream Bot <upstream-bot@example.com>", "chore(deps): guestbook images", "/team/guestbook: v1 -> v2", "Signed-off-by: Upstream Bot <upstream-bot@example.com>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("commit lacks %q:\n%s", want, msg)
		}
	}

	client12 := httpsClient(ca, tls.VersionTLS12, tls.VersionTLS13)
	base := fmt.Sprintf("https://127.0.0.1:%d/webhook", port)
	waitFor(t, 30*time.Second, &stderr, "the webhook server", func() bool {
		resp, err := client12.Get(fmt.Sprintf("https://127.0.0.1:%d/healthz", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	// TLS_MAX_VERSION=1.2: a client insisting on 1.3 is refused; HTTP/2 is not offered.
	if _, err := httpsClient(ca, tls.VersionTLS13, tls.VersionTLS13).Get(base); err == nil {
		t.Error("TLS 1.3-only client accepted with TLS_MAX_VERSION=1.2")
	}
	dockerBody := readTestdata(t, "docker.io.json")
	tests := []struct {
		name, typ, query string
		header           map[string]string
		body             []byte
		want             int
	}{
		{"docker wrong secret", "docker.io", "&secret=nope", nil, dockerBody, http.StatusUnauthorized},
		{"docker secret from the Secret", "docker.io", "&secret=d0cker", nil, dockerBody, http.StatusAccepted},
		{"ghcr without a secret (require-secret defaults to true)", "ghcr.io", "", nil, readTestdata(t, "ghcr.io.json"), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		resp, err := post(client12, base+"?type="+tt.typ+tt.query, tt.header, tt.body)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if resp.StatusCode != tt.want || resp.Proto != "HTTP/1.1" || resp.TLS.Version != tls.VersionTLS12 {
			t.Errorf("%s: status %d proto %s TLS %x, want %d over HTTP/1.1 and TLS 1.2", tt.name, resp.StatusCode, resp.Proto, resp.TLS.Version, tt.want)
		}
	}

	// A push announced by webhook updates at once (no polling configured).
	seed(t, reg, "team/guestbook", "v1", "v2", "v3")
	resp, err := post(client12, base+"?type=distribution", map[string]string{"Authorization": "Bearer d1st", "Content-Type": "application/vnd.docker.distribution.events.v1+json"}, distributionPush(reg.Host, "team/guestbook", "v3"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("distribution push: %v %v", resp, err)
	}
	waitFor(t, 60*time.Second, &stderr, "the webhook commit", func() bool { return commitCount(t, bare) == 3 })
	if msg := infra.GitRun(t, bare, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "v2 -> v3") {
		t.Errorf("webhook commit:\n%s", msg)
	}

	// IMAGE_UPDATER_LOGFORMAT=json: every log line is a JSON object; debug lines appear.
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	debug := false
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		debug = debug || line["level"] == "DEBUG"
	}
	if !debug {
		t.Error("no DEBUG line with IMAGE_UPDATER_LOGLEVEL=debug")
	}
	if s := stderr.String(); strings.Contains(s, "d0cker") || strings.Contains(s, "d1st") {
		t.Error("a webhook secret was logged")
	}
}

func guestbookManifest(repoURL, registry string) string {
	return infra.GuestbookApplication(repoURL, registry, "", "")
}

func commitCount(t *testing.T, bare string) int {
	t.Helper()
	var n int
	fmt.Sscan(infra.GitRun(t, bare, "rev-list", "--count", "main"), &n)
	return n
}

func waitFor(t *testing.T, d time.Duration, logs *infra.SyncBuffer, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; output:\n%s", what, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func httpsClient(ca *infra.TestCA, minV, maxV uint16) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.Pool, MinVersion: minV, MaxVersion: maxV},
		ForceAttemptHTTP2: true,
	}}
}

func post(c *http.Client, url string, header map[string]string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(infra.KubeRepoRoot(), "internal", "webhook", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// distributionPush is a registry notification of a manifest push.
func distributionPush(host, repo, tag string) []byte {
	return []byte(fmt.Sprintf(`{"events":[{"id":"%[3]s-%[4]d","timestamp":"2026-12-02T10:00:00Z","action":"push",
"target":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":528,"digest":"sha256:8e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f","repository":"%[2]s","tag":"%[3]s"},
"request":{"id":"r","addr":"127.0.0.1:1","host":"%[1]s","method":"PUT","useragent":"test"},"actor":{},"source":{"addr":"x"}}]}`, host, repo, tag, time.Now().UnixNano()))
}
