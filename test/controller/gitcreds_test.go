package controller_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/imagepilot/imagepilot/internal/kube"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestArgoCDRepositoryCredentials reads Argo CD repository secrets,
// credential templates and the CA ConfigMap from a real API server.
func TestArgoCDRepositoryCredentials(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	mk := func(name, kind string, data map[string]string) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{kube.SecretTypeLabel: kind}}, StringData: data}
		if err := env.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	mk("repo", kube.SecretTypeRepository, map[string]string{"url": "https://git.example/team/app.git", "username": "exact", "password": "pw"})
	mk("tmpl", kube.SecretTypeRepoCreds, map[string]string{"url": "https://git.example/team", "username": "template", "password": "tpw"})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: kube.TLSCertsConfigMap}, Data: map[string]string{"git.example": "PEM"}}
	if err := env.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	g := &kube.GitCredentials{Reader: env.Client, Namespace: ns}
	for url, user := range map[string]string{
		"https://git.example/team/app":       "exact",
		"https://git.example/team/other.git": "template",
		"https://elsewhere.example/x":        "",
	} {
		c, err := g.GitCredentials(ctx, url, "repocreds")
		if err != nil {
			t.Fatal(err)
		}
		if c.Username != user {
			t.Errorf("%s: user %q, want %q", url, c.Username, user)
		}
		if wantCA := url != "https://elsewhere.example/x"; wantCA != (string(c.CAData) == "PEM") {
			t.Errorf("%s: CA %q", url, c.CAData)
		}
	}
}
