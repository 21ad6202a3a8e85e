package kube

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/forge"
	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
)

// githubAppFake is a GitHub fake that issues installation tokens to App 9,
// installation 99, and the App's private key in PEM.
func githubAppFake(t *testing.T) (*forgetest.Server, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_from_app")
	srv.AppID, srv.AppInstallationID, srv.AppKey = 9, 99, &key.PublicKey
	return srv, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

func TestGitCredentialsGitHubApp(t *testing.T) {
	srv, pemKey := githubAppFake(t)
	app := map[string]string{"url": "https://ghe.example/team/app.git", "githubAppID": "9", "githubAppInstallationID": "99",
		"githubAppPrivateKey": pemKey, "githubAppEnterpriseBaseUrl": srv.URL + "/api/v3"}
	broken := map[string]string{"githubAppID": "9", "githubAppInstallationID": "x", "githubAppPrivateKey": pemKey}
	r := fakeReader(t,
		secret("argocd", "app", SecretTypeRepository, app),
		secret("argocd", "broken", "", broken),
	)
	g := &GitCredentials{Reader: r, Namespace: "argocd", Apps: &forge.AppTokens{}}
	for range 2 {
		creds, err := g.GitCredentials(context.Background(), "https://ghe.example/team/app.git", "repocreds")
		if err != nil || creds.Username != "x-access-token" || creds.Password != "ghs_from_app" {
			t.Fatalf("creds %+v, %v", creds, err)
		}
	}
	if n := srv.Exchanges(); n != 1 {
		t.Fatalf("%d token exchanges, want 1", n)
	}
	_, err := g.GitCredentials(context.Background(), "https://ghe.example/team/app.git", "secret:broken")
	if !errors.Is(err, forge.ErrConfig) || !strings.Contains(err.Error(), "githubAppInstallationID") || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatalf("broken app secret: %v", err)
	}
	srv.Fail("exchange", 403)
	g.Apps = &forge.AppTokens{}
	if _, err := g.GitCredentials(context.Background(), "https://ghe.example/team/app.git", ""); forge.StatusOf(err) != 403 {
		t.Fatalf("refused exchange: %v", err)
	}
}
