package forge

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/imagepilot/imagepilot/internal/forge/forgetest"
)

type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAppTokenPaths: where the installation token is asked for (the
// enterprise URL, else the API derived from the repository URL), which
// keys are accepted, how failures are reported (status, no key material)
// and that the configured transport carries the exchange.
func TestAppTokenPaths(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	keyLine := strings.Split(string(pkcs1), "\n")[1]

	srv := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_app_token")
	srv.AppID, srv.AppInstallationID, srv.AppKey = 42, 7, &key.PublicKey
	tests := []struct {
		name       string
		app        GitHubApp
		repoURL    string
		failStatus int // injected exchange failure
		status     int // wanted StatusOf; -1: ErrConfig
	}{
		{name: "API derived from the repository URL", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs1}, repoURL: srv.URL + "/team/app.git"},
		{name: "enterprise URL with a trailing slash", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs1, EnterpriseBaseURL: srv.URL + "/api/v3/"}, repoURL: "git@ghe.example:team/app.git"},
		{name: "PKCS#8 key", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs8, EnterpriseBaseURL: srv.URL + "/api/v3"}, repoURL: "https://ghe.example/team/app"},
		{name: "unknown installation", app: GitHubApp{AppID: 42, InstallationID: 8, PrivateKey: pkcs1, EnterpriseBaseURL: srv.URL + "/api/v3"}, repoURL: "https://ghe.example/team/app", status: 404},
		{name: "another App's id", app: GitHubApp{AppID: 43, InstallationID: 7, PrivateKey: pkcs1, EnterpriseBaseURL: srv.URL + "/api/v3"}, repoURL: "https://ghe.example/team/app", status: 401},
		{name: "exchange fails", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs1, EnterpriseBaseURL: srv.URL + "/api/v3"}, repoURL: "https://ghe.example/team/app", failStatus: 503, status: 503},
		{name: "enterprise URL not http(s)", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs1, EnterpriseBaseURL: "ftp://ghe.example"}, repoURL: "https://ghe.example/team/app", status: -1},
		{name: "repository URL unusable", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pkcs1}, repoURL: "file:///srv/git/app", status: -1},
		{name: "key is not RSA", app: GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"), EnterpriseBaseURL: srv.URL + "/api/v3"}, repoURL: "https://ghe.example/team/app", status: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Fail("exchange", tt.failStatus)
			defer srv.Fail("exchange", 0)
			before := srv.Exchanges()
			tr := &countingTransport{}
			tokens := &AppTokens{HTTPClient: &http.Client{Transport: tr}}
			tok, err := tokens.Token(context.Background(), tt.app, tt.repoURL)
			if err != nil && (strings.Contains(err.Error(), keyLine) || strings.Contains(err.Error(), "PRIVATE KEY")) {
				t.Fatalf("error quotes the key: %v", err)
			}
			switch {
			case tt.status == -1:
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("err %v, want ErrConfig", err)
				}
				if tr.n.Load() != 0 {
					t.Fatal("a request was sent for an unusable configuration")
				}
			case tt.status != 0:
				if StatusOf(err) != tt.status || !strings.Contains(err.Error(), "installation") {
					t.Fatalf("err %v (status %d), want status %d", err, StatusOf(err), tt.status)
				}
			default:
				if err != nil || tok != "ghs_app_token" || srv.Exchanges() != before+1 || tr.n.Load() != 1 {
					t.Fatalf("token %q, %v; %d exchanges, %d through the transport", tok, err, srv.Exchanges()-before, tr.n.Load())
				}
			}
		})
	}
}

// TestAppTokensCacheKey: a transport is kept per App, installation, key
// and API; changing any of them exchanges again, repeating does not.
func TestAppTokensCacheKey(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	a := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_a")
	b := forgetest.New(t, forgetest.GitHub, "team/app", "ghs_b")
	for _, s := range []*forgetest.Server{a, b} {
		s.AppID, s.AppInstallationID, s.AppKey = 42, 7, &key.PublicKey
	}
	app := GitHubApp{AppID: 42, InstallationID: 7, PrivateKey: pemKey}
	var tokens AppTokens
	for i, tc := range []struct {
		repoURL string
		want    string
		a, b    int
	}{
		{a.URL + "/team/app.git", "ghs_a", 1, 0},
		{a.URL + "/team/other.git", "ghs_a", 1, 0}, // same API: same installation token
		{b.URL + "/team/app.git", "ghs_b", 1, 1},
		{a.URL + "/team/app.git", "ghs_a", 1, 1},
	} {
		tok, err := tokens.Token(context.Background(), app, tc.repoURL)
		if err != nil || tok != tc.want || a.Exchanges() != tc.a || b.Exchanges() != tc.b {
			t.Fatalf("step %d: %q, %v; exchanges %d/%d, want %d/%d", i, tok, err, a.Exchanges(), b.Exchanges(), tc.a, tc.b)
		}
	}
}
