package cloudauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// googleTokenFake is Google's OAuth 2.0 token endpoint for service-account
// keys (POST, grant_type jwt-bearer, the signed assertion) and the GCE
// metadata server's token path (GET, Metadata-Flavor: Google); both answer
// {"access_token","expires_in","token_type"} or an OAuth error.
type googleTokenFake struct {
	status int
	body   string
	got    []string
}

func (f *googleTokenFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || strings.Count(r.PostForm.Get("assertion"), ".") != 2 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
			return
		}
		f.got = append(f.got, "key:"+jwtClaim(r.PostForm.Get("assertion"), "scope"))
	case r.Method == http.MethodGet && r.URL.Path == "/computeMetadata/v1/instance/service-accounts/default/token":
		if r.Header.Get("Metadata-Flavor") != "Google" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		f.got = append(f.got, "metadata:"+r.URL.Query().Get("scopes"))
	default:
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}

// serviceAccountKey writes a service-account key file whose token_uri is
// the fake's.
func serviceAccountKey(t *testing.T, tokenURI string) (path, privateKey string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	privateKey = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "kid1", "private_key": privateKey,
		"client_email": "imagepilot@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenURI,
	})
	return tokenFile(t, string(b)), privateKey
}

func TestGCPLogin(t *testing.T) {
	ok := `{"access_token":"ya29.unit-access-token","expires_in":1800,"token_type":"Bearer"}`
	tests := []struct {
		name     string
		source   string // "key" (service-account key file), "metadata", "empty-file"
		status   int
		body     string
		step     string
		wantFrom string
		wantExp  time.Duration
	}{
		{name: "service account key", source: "key", status: 200, body: ok, wantFrom: "key:" + gcpScope, wantExp: 30 * time.Minute},
		{name: "metadata server", source: "metadata", status: 200, body: ok, wantFrom: "metadata:" + gcpScope, wantExp: 30 * time.Minute},
		{name: "key refused", source: "key", status: 400, body: `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, step: StepCloudCredentials},
		{name: "metadata server error", source: "metadata", status: 404, body: `not found`, step: StepCloudCredentials},
		{name: "empty access token", source: "key", status: 200, body: `{"access_token":"","expires_in":60}`, step: StepCloudCredentials},
		{name: "empty credentials file", source: "empty-file", step: StepTokenFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &googleTokenFake{status: tt.status, body: tt.body}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var key string
			switch tt.source {
			case "key":
				var path string
				path, key = serviceAccountKey(t, srv.URL+"/token")
				t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
			case "metadata":
				t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
			default:
				t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", tokenFile(t, ""))
			}
			s := mustSource(t, "auto", "europe-west1-docker.pkg.dev", "")
			cfg, exp, err := s.ResolveExpiring(context.Background())
			wantStep(t, err, tt.step, "ya29.", "PRIVATE KEY", strings.TrimSpace(strings.Split(key+"\n\n", "\n")[1]))
			if err != nil {
				return
			}
			if cfg.Username != gcpUser || cfg.Password != "ya29.unit-access-token" {
				t.Fatalf("credentials %q/%q", cfg.Username, cfg.Password)
			}
			if d := time.Until(exp) - tt.wantExp; d < -time.Minute || d > time.Minute {
				t.Fatalf("expiry in %v, want %v", time.Until(exp), tt.wantExp)
			}
			if fmt.Sprint(fake.got) != "["+tt.wantFrom+"]" {
				t.Fatalf("token requests %v, want [%s] (the cloud-platform scope)", fake.got, tt.wantFrom)
			}
		})
	}
}
