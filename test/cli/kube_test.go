package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

func TestMain(m *testing.M) { infra.KubeMain(m) }

func writeKubeconfig(t *testing.T, cfg *rest.Config, namespace string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test", Namespace: namespace}
	kc.CurrentContext = "test"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTestCommandReadsCredentialsFromCluster runs upstream's `test`
// command form with --kubeconfig: secret: and pullsecret: credentials, in
// --credentials and in registries.conf, are read from the real API server.
func TestTestCommandReadsCredentialsFromCluster(t *testing.T) {
	kube := infra.StartKube(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryBasic, Username: "tester", Password: "p4ss-x9qz7"})
	seed(t, reg, "team/app", "1.0.0", "1.1.0")
	ns := kube.Namespace(t)
	ctx := context.Background()
	auth := base64.StdEncoding.EncodeToString([]byte(reg.Username + ":" + reg.Password))
	dockerCfg, _ := json.Marshal(map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": auth}}})
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"}, Data: map[string][]byte{"creds": []byte(reg.Username + ":" + reg.Password)}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull"}, Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: dockerCfg}},
	} {
		if err := kube.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	kc := writeKubeconfig(t, kube.Config, ns)
	img := reg.Host + "/team/app"
	plain := plainConf(t, reg, "")
	withPull := plainConf(t, reg, fmt.Sprintf("  credentials: pullsecret:%s/pull\n", ns))

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"secret in --credentials", []string{"test", img, "--kubeconfig", kc, "--registries-conf-path", plain, "--credentials", "secret:" + ns + "/creds#creds"}, 0, img + ":1.1.0"},
		{"pullsecret in --credentials", []string{"test", img, "--kubeconfig", kc, "--registries-conf-path", plain, "--credentials", "pullsecret:" + ns + "/pull"}, 0, img + ":1.1.0"},
		{"pullsecret in registries.conf", []string{"test", img, "--kubeconfig", kc, "--registries-conf-path", withPull}, 0, img + ":1.1.0"},
		{"missing secret", []string{"test", img, "--kubeconfig", kc, "--registries-conf-path", plain, "--credentials", "secret:" + ns + "/none#creds"}, 2, "none"},
		{"no kubeconfig", []string{"test", img, "--registries-conf-path", plain, "--credentials", "secret:" + ns + "/creds#creds"}, 2, "give --kubeconfig"},
		{"pullsecret in registries.conf, no kubeconfig", []string{"test", img, "--registries-conf-path", withPull}, 2, "need --kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := imagepilot(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+stderr, tt.want) {
				t.Fatalf("exit %d (want %d), want %q in:\n%s%s", code, tt.wantCode, tt.want, out, stderr)
			}
			if strings.Contains(out+stderr, reg.Password) {
				t.Fatal("password printed")
			}
		})
	}
}

// TestWebhookCommandInCluster runs the in-cluster `webhook` command: it
// does not poll, and a push announced by webhook moves the Application an
// ImageUpdater selects, with the ImageUpdater's status recording it.
func TestWebhookCommandInCluster(t *testing.T) {
	kube := infra.StartKube(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/web", "1.0.0")
	ns := kube.Namespace(t)
	ctx := context.Background()
	web := reg.Host + "/team/web"
	app := infra.KubeApplication(ns, "web", argocd.ApplicationSource{RepoURL: "https://git.example/web.git", Path: "chart",
		Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}}, argocd.SourceTypeHelm, web+":1.0.0")
	if err := kube.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	iu := &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "updater"}, Spec: v1alpha1.ImageUpdaterSpec{
		ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "web", Images: []v1alpha1.ImageConfig{{Alias: "web", ImageName: web}}}}}}
	if err := kube.Client.Create(ctx, iu); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Client.Delete(context.Background(), iu) })
	seed(t, reg, "team/web", "1.0.0", "1.1.0") // pushed before the webhook server runs: no poll must pick it up

	port := infra.GitFreePort(t)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut infra.SyncBuffer
	go func() {
		done <- cli.Execute(runCtx, []string{"webhook", "--kubeconfig", writeKubeconfig(t, kube.Config, ns), "--disable-tls",
			"--webhook-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--distribution-webhook-secret", "s",
			"--registries-conf-path", plainConf(t, reg, ""), "--watch-namespaces", ns}, &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("webhook command did not stop")
		}
	}()
	tag := func() string {
		var a argocd.Application
		if err := kube.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "web"}, &a); err != nil {
			t.Fatal(err)
		}
		for _, p := range a.Spec.Source.Helm.Parameters {
			if p.Name == "image.tag" {
				return p.Value
			}
		}
		return ""
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/webhook?type=distribution", port)
	waitFor(t, 30*time.Second, &errOut, "the webhook server", func() bool {
		resp, err := post(httpClient(), fmt.Sprintf("http://127.0.0.1:%d/webhook?type=ghcr.io", port), nil, []byte("{}"))
		return err == nil && resp.StatusCode == 401
	})
	time.Sleep(2 * time.Second)
	if got := tag(); got != "1.0.0" {
		t.Fatalf("the webhook command polled: tag %s before any webhook", got)
	}
	resp, err := post(httpClient(), url, map[string]string{"Authorization": "Bearer s", "Content-Type": "application/vnd.docker.distribution.events.v1+json"}, distributionPush(reg.Host, "team/web", "1.1.0"))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	waitFor(t, 60*time.Second, &errOut, "the Application update", func() bool { return tag() == "1.1.0" })
	waitFor(t, 30*time.Second, &errOut, "recentUpdates", func() bool {
		var got v1alpha1.ImageUpdater
		if err := kube.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "updater"}, &got); err != nil {
			t.Fatal(err)
		}
		return len(got.Status.RecentUpdates) > 0
	})
}

func httpClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

// TestKubeEventsVariable: IMAGE_UPDATER_KUBE_EVENTS=true disables Events,
// as upstream's --disable-kube-events default reads it; unset, an update
// records an ImagesUpdated Event on the Application.
func TestKubeEventsVariable(t *testing.T) {
	kube := infra.StartKube(t)
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	seed(t, reg, "team/ev", "1.0.0", "1.1.0")
	img := reg.Host + "/team/ev"
	ctx := context.Background()
	setup := func(ns string) {
		app := infra.KubeApplication(ns, "ev", argocd.ApplicationSource{RepoURL: "https://git.example/ev.git", Path: "chart",
			Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1.0.0"}}}}, argocd.SourceTypeHelm, img+":1.0.0")
		if err := kube.CreateApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
		iu := &v1alpha1.ImageUpdater{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ev"}, Spec: v1alpha1.ImageUpdaterSpec{
			ApplicationRefs: []v1alpha1.ApplicationRef{{NamePattern: "ev", Images: []v1alpha1.ImageConfig{{Alias: "ev", ImageName: img}}}}}}
		if err := kube.Client.Create(ctx, iu); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = kube.Client.Delete(context.Background(), iu) })
	}
	events := func(ns string) int {
		var list corev1.EventList
		if err := kube.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range list.Items {
			if e.InvolvedObject.Name == "ev" && e.Reason == "ImagesUpdated" {
				n++
			}
		}
		return n
	}
	run := func(ns string) {
		code, out, stderr := imagepilot(t, "run", "--once", "--kubeconfig", writeKubeconfig(t, kube.Config, ns), "--watch-namespaces", ns,
			"--registries-conf-path", plainConf(t, reg, ""))
		if code != 0 {
			t.Fatalf("run --once: exit %d\n%s%s", code, out, stderr)
		}
		var a argocd.Application
		if err := kube.Client.Get(ctx, types.NamespacedName{Namespace: ns, Name: "ev"}, &a); err != nil || a.Spec.Source.Helm.Parameters[0].Value != "1.1.0" {
			t.Fatalf("not updated in %s: %v %+v", ns, err, a.Spec.Source.Helm)
		}
	}

	off := kube.Namespace(t)
	setup(off)
	t.Setenv("IMAGE_UPDATER_KUBE_EVENTS", "true")
	run(off)
	on := kube.Namespace(t)
	setup(on)
	t.Setenv("IMAGE_UPDATER_KUBE_EVENTS", "")
	run(on)
	deadline := time.Now().Add(20 * time.Second)
	for events(on) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if events(on) == 0 {
		t.Fatal("no ImagesUpdated Event with IMAGE_UPDATER_KUBE_EVENTS unset")
	}
	if n := events(off); n != 0 {
		t.Fatalf("%d Events with IMAGE_UPDATER_KUBE_EVENTS=true", n)
	}
}
