package controller_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/internal/target"
)

// writeKubeconfig writes a kubeconfig for cfg.
func writeKubeconfig(t *testing.T, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunOnceCommand drives `imagepilot run --once` (the in-cluster
// controller's one-shot pass) through the CLI against the real API server.
func TestRunOnceCommand(t *testing.T) {
	f := setupEngine(t)
	ns := f.kube.Namespace(t)
	web := f.push(t, "team/web", "1.0.0", "1.2.0")
	api := f.push(t, "team/api", "2.0.0", "2.1.0")

	legacy := helmApp(ns, "legacy-web", []argocd.HelmParameter{{Name: "web.tag", Value: "1.0.0"}}, web+":1.0.0")
	legacy.Annotations = map[string]string{
		target.AnnotationPrefix + "image-list":          "web=" + web,
		target.AnnotationPrefix + "web.helm.image-tag":  "web.tag",
		target.AnnotationPrefix + "web.helm.image-name": "web.repo",
	}
	f.createApp(t, legacy)
	f.createApp(t, helmApp(ns, "api", []argocd.HelmParameter{{Name: "image.tag", Value: "2.0.0"}}, api+":2.0.0"))
	f.createIU(t, ns, "api", v1alpha1.ImageUpdaterSpec{ApplicationRefs: []v1alpha1.ApplicationRef{{
		NamePattern: "api",
		Images:      []v1alpha1.ImageConfig{{Alias: "api", ImageName: api}},
	}}})

	conf := filepath.Join(t.TempDir(), "registries.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", f.reg.Host, f.reg.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, []string{"run", "--once", "--kubeconfig", writeKubeconfig(t, f.kube.Config),
		"--registries-conf-path", conf, "--watch-namespaces", ns, "--argocd-namespace", ns,
		"--legacy-annotations", "--match-application-name", "legacy-*",
		"--health-probe-bind-address", "0", "--metrics-bind-address", "0"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if a := f.app(t, ns, "legacy-web"); param(a, "web.tag") != "1.2.0" || param(a, "web.repo") != web {
		t.Errorf("legacy app: %+v\n%s", a.Spec.Source.Helm.Parameters, errOut.String())
	}
	if a := f.app(t, ns, "api"); param(a, "image.tag") != "2.1.0" {
		t.Errorf("ImageUpdater app: %+v\n%s", a.Spec.Source.Helm.Parameters, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Processing results:") {
		t.Errorf("summary log line missing:\n%s", errOut.String())
	}
	// The start line, then a cycle-start line with the counts per pass.
	for _, re := range []string{
		`msg="starting controller" version=\S+ mode=controller interval=\S+ once=true`,
		`msg="cycle started" imageupdater=` + ns + `/api applications=1 images=1 held=0 problems=0`,
		`msg="cycle started" mode=legacy-annotations applications=1 images=1 held=0 problems=0`,
	} {
		if !regexp.MustCompile(re).MatchString(errOut.String()) {
			t.Errorf("no line matching %s:\n%s", re, errOut.String())
		}
	}
}
