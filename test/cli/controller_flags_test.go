package cli_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// startRun runs `imagepilot run` (the controller) until stop is called or
// the test ends. One process runs one controller at a time (its metrics
// live in controller-runtime's global registry).
func startRun(t *testing.T, kube *infra.KubeEnv, ns string, args ...string) (*infra.SyncBuffer, func()) {
	t.Helper()
	all := append([]string{"run", "--kubeconfig", writeKubeconfig(t, kube.Config, ns), "--watch-namespaces", ns,
		"--interval", "1h", "--health-probe-bind-address", "0", "--registries-conf-path", conf(t, "registries: []\n")}, args...)
	// later flags win: tests may repeat --health-probe-bind-address and --registries-conf-path
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out infra.SyncBuffer
	go func() { done <- cli.Execute(ctx, all, &out, &out) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("controller did not stop")
		}
	}
	t.Cleanup(stop)
	return &out, stop
}

func get(c *http.Client, url, token string) (int, string, string, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Proto, string(body), nil
}

// serviceAccountToken creates a ServiceAccount (bound to readMetrics when
// asked) and returns a token for it.
func serviceAccountToken(t *testing.T, kube *infra.KubeEnv, ns, name string, readMetrics bool) string {
	t.Helper()
	ctx := context.Background()
	if err := kube.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil {
		t.Fatal(err)
	}
	if readMetrics {
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: ns + "-metrics-reader"},
			Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: ns + "-metrics-reader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}}}
		if err := kube.Client.Create(ctx, role); err != nil {
			t.Fatal(err)
		}
		if err := kube.Client.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = kube.Client.Delete(context.Background(), binding)
			_ = kube.Client.Delete(context.Background(), role)
		})
	}
	cs, err := kubernetes.NewForConfig(kube.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Skipf("the API server issues no service account tokens: %v", err)
	}
	return tr.Status.Token
}

// TestMetricsSecureAuthenticatesAndAuthorizes: by default (as upstream)
// /metrics is HTTPS and answers only callers the API server authenticates
// and RBAC allows; --max-concurrent-reconciles reaches controller-runtime,
// and HTTP/2 is offered only with --enable-http2.
func TestMetricsSecureAuthenticatesAndAuthorizes(t *testing.T) {
	kube := infra.StartKube(t)
	ns := kube.Namespace(t)
	allowed := serviceAccountToken(t, kube, ns, "scraper", true)
	denied := serviceAccountToken(t, kube, ns, "stranger", false)
	port := infra.GitFreePort(t)
	logs, stop := startRun(t, kube, ns, "--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--max-concurrent-reconciles", "3", "--leader-election=false")
	url := fmt.Sprintf("https://127.0.0.1:%d/metrics", port)
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}} //nolint:gosec // controller-runtime's self-signed metrics certificate
	waitFor(t, 60*time.Second, logs, "the metrics server", func() bool {
		_, _, _, err := get(insecure, url, "")
		return err == nil
	})
	tests := []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"token without RBAC", denied, http.StatusForbidden},
	}
	for _, tt := range tests {
		if code, _, _, err := get(insecure, url, tt.token); err != nil || code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, code, err, tt.want)
		}
	}
	code, proto, body, err := get(insecure, url, allowed)
	if err != nil || code != 200 || proto != "HTTP/1.1" {
		t.Fatalf("allowed scraper: %d %s %v", code, proto, err)
	}
	if !strings.Contains(body, `controller_runtime_max_concurrent_reconciles{controller="imageupdater"} 3`) {
		t.Errorf("--max-concurrent-reconciles 3 not applied:\n%s", grepLines(body, "max_concurrent"))
	}

	stop()

	// --metrics-secure=false: plain HTTP for anyone; --enable-http2 offers h2 on HTTPS.
	port2 := infra.GitFreePort(t)
	logs2, stop2 := startRun(t, kube, ns, "--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port2), "--metrics-secure=false", "--leader-election=false")
	waitFor(t, 60*time.Second, logs2, "the plain metrics server", func() bool {
		code, _, _, err := get(&http.Client{Timeout: 5 * time.Second}, fmt.Sprintf("http://127.0.0.1:%d/metrics", port2), "")
		return err == nil && code == 200
	})
	stop2()
	port3 := infra.GitFreePort(t)
	logs3, _ := startRun(t, kube, ns, "--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port3), "--enable-http2", "--leader-election=false")
	waitFor(t, 60*time.Second, logs3, "the HTTP/2 metrics server", func() bool {
		_, proto, _, err := get(insecure, fmt.Sprintf("https://127.0.0.1:%d/metrics", port3), allowed)
		return err == nil && proto == "HTTP/2.0"
	})
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestLeaderElectionNamespace: leader election is on by default (as
// upstream) with the Lease in the controller's own namespace (here the
// kubeconfig context's), or in --leader-election-namespace.
func TestLeaderElectionNamespace(t *testing.T) {
	kube := infra.StartKube(t)
	own := kube.Namespace(t)
	other := kube.Namespace(t)
	lease := func(ns string) bool {
		var l coordinationv1.Lease
		return kube.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "imagepilot-controller"}, &l) == nil
	}
	logs, stop := startRun(t, kube, own, "--metrics-bind-address", "0")
	waitFor(t, 60*time.Second, logs, "a Lease in the own namespace", func() bool { return lease(own) })
	stop()

	third := kube.Namespace(t)
	logs, _ = startRun(t, kube, third, "--metrics-bind-address", "0", "--leader-election-namespace", other)
	waitFor(t, 60*time.Second, logs, "a Lease in --leader-election-namespace", func() bool { return lease(other) })
	if lease(third) {
		t.Error("Lease also in the own namespace despite --leader-election-namespace")
	}
}

// TestWarmupCache: with --warmup-cache (the default, as upstream) the
// leader lists every managed repository once before reconciling, /readyz
// failing until then, and the reconcile reuses that listing; with
// --warmup-cache=false it is ready at once.
func TestWarmupCache(t *testing.T) {
	kube := infra.StartKube(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/warm", "1.0.0", "1.1.0")
	ns := kube.Namespace(t)
	ctx := context.Background()
	img := reg.Host + "/team/warm"
	app := infra.KubeApplication(ns, "warm", argocd.ApplicationSource{RepoURL: "https://git.example/warm.git", Path: "chart",
		Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}}, argocd.SourceTypeHelm, img+":1.0.0")
	if err := kube.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	iu := &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "warm"}, Spec: v1alpha1.ImageUpdaterSpec{
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "warm", Images: []v1alpha1.ImageConfig{{Alias: "warm", ImageName: img}}}}}}
	if err := kube.Client.Create(ctx, iu); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Client.Delete(context.Background(), iu) })
	confPath := plainConf(t, reg, "")
	tag := func() string {
		var a argocd.Application
		if err := kube.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "warm"}, &a); err != nil {
			t.Fatal(err)
		}
		return a.Spec.Source.Helm.Parameters[0].Value
	}
	probe := func(port int) int {
		code, _, _, err := get(&http.Client{Timeout: 5 * time.Second}, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), "")
		if err != nil {
			return 0
		}
		return code
	}

	reg.Proxy.Reset()
	reg.Proxy.SetLatency(time.Second)
	port := infra.GitFreePort(t)
	logs, stop := startRun(t, kube, ns, "--metrics-bind-address", "0", "--leader-election=false",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--registries-conf-path", confPath)
	sawNotReady := false
	waitFor(t, 60*time.Second, logs, "readiness after warm-up", func() bool {
		code := probe(port)
		sawNotReady = sawNotReady || code == http.StatusServiceUnavailable || code == http.StatusInternalServerError
		return code == http.StatusOK
	})
	if !sawNotReady {
		t.Error("/readyz never failed during the warm-up")
	}
	waitFor(t, 60*time.Second, logs, "the update", func() bool { return tag() == "1.1.0" })
	if n := reg.Proxy.Count(infra.KindTags, http.MethodGet); n != 1 {
		t.Errorf("%d tag listings; warm-up and reconcile should share one", n)
	}
	if !strings.Contains(logs.String(), "cache warm-up finished") {
		t.Errorf("no warm-up logged:\n%s", logs.String())
	}
	stop()

	port2 := infra.GitFreePort(t)
	logs2, _ := startRun(t, kube, ns, "--metrics-bind-address", "0", "--leader-election=false", "--warmup-cache=false",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", port2), "--registries-conf-path", confPath)
	waitFor(t, 30*time.Second, logs2, "the probe server", func() bool { return probe(port2) != 0 })
	if code := probe(port2); code != http.StatusOK {
		t.Errorf("--warmup-cache=false: /readyz %d", code)
	}
	if strings.Contains(logs2.String(), "cache warm-up") {
		t.Error("warm-up ran with --warmup-cache=false")
	}
}
