package cloud

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	azTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	azClient = "11111111-2222-3333-4444-555555555555"
	acrHost  = "imagepilottest.azurecr.io"
)

// entraFake is an Entra ID authority: OpenID discovery and the v2.0 token
// endpoint accepting only the federated token as client assertion.
type entraFake struct {
	url       string
	assertion string
	accept    func(assertion string) bool // replaces assertion when set
	issued    map[string]bool
	tokens    atomic.Int64
}

func (e *entraFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		base := e.url + "/" + azTenant
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token_endpoint": base + "/oauth2/v2.0/token", "authorization_endpoint": base + "/oauth2/v2.0/authorize",
			"issuer": base + "/v2.0", "tenant_region_scope": "WW",
		})
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		e.tokens.Add(1)
		_ = r.ParseForm()
		ok := r.PostForm.Get("client_assertion") == e.assertion
		if e.accept != nil {
			ok = e.accept(r.PostForm.Get("client_assertion"))
		}
		if !ok || r.PostForm.Get("client_id") != azClient {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"AADSTS700211: No matching federated identity record found"}`))
			return
		}
		claims, _ := json.Marshal(map[string]any{"tid": azTenant, "exp": time.Now().Add(time.Hour).Unix(), "jti": randomHex(6)})
		tok := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
		e.issued[tok] = true
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600})
	default:
		http.NotFound(w, r)
	}
}

// acrExchange is ACR's POST /oauth2/exchange on the registry host.
type acrExchange struct {
	entra     *entraFake
	iss       *issued
	exchanges atomic.Int64
}

func (a *acrExchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.exchanges.Add(1)
	_ = r.ParseForm()
	f := r.PostForm
	if r.Method != http.MethodPost || f.Get("grant_type") != "access_token" || f.Get("service") != acrHost || f.Get("tenant") != azTenant || !a.entra.issued[f.Get("access_token")] {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"invalid access token"}]}`))
		return
	}
	claims, _ := json.Marshal(map[string]any{"exp": time.Now().Add(3 * time.Hour).Unix(), "jti": randomHex(6)})
	refresh := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".sig"
	a.iss.add("00000000-0000-0000-0000-000000000000", refresh)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"refresh_token":%q}`, refresh)
}

func TestAzureWorkloadIdentityEndToEnd(t *testing.T) {
	iss := newIssued()
	federated := "eyJhbGciOiJSUzI1NiJ9.federated." + randomHex(8)
	entra := &entraFake{assertion: federated, issued: map[string]bool{}}
	authority := httptest.NewTLSServer(entra)
	t.Cleanup(authority.Close)
	entra.url = authority.URL
	exch := &acrExchange{entra: entra, iss: iss}
	reg := startRegistry(t, iss, map[string]http.Handler{"/oauth2/exchange": exch})
	t.Setenv("AZURE_AUTHORITY_HOST", authority.URL)
	t.Setenv("AZURE_TENANT_ID", azTenant)
	t.Setenv("AZURE_CLIENT_ID", azClient)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", writeFile(t, "azure-token", federated))

	code, out := check(t, writeConf(t, acrHost, reg.URL, "provider:auto"), acrHost+"/team/app")
	if code != 0 || !strings.Contains(out, "1.1.0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if entra.tokens.Load() != 1 || exch.exchanges.Load() != 1 {
		t.Fatalf("%d Entra tokens, %d exchanges; want 1 and 1", entra.tokens.Load(), exch.exchanges.Load())
	}
	t.Run("wrong federated token fails at the cloud credentials step", func(t *testing.T) {
		t.Setenv("AZURE_FEDERATED_TOKEN_FILE", writeFile(t, "azure-token", "not-the-token"))
		code, out := check(t, writeConf(t, acrHost, reg.URL, "provider:azure"), acrHost+"/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("missing token file fails at the token file step", func(t *testing.T) {
		t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent/azure-token")
		code, out := check(t, writeConf(t, acrHost, reg.URL, "provider:azure"), acrHost+"/team/app")
		if code == 0 || !strings.Contains(out, "token file") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("refused exchange fails at the registry step", func(t *testing.T) {
		t.Setenv("AZURE_TENANT_ID", "00000000-1111-2222-3333-444444444444") // the exchange wants the token's tenant...
		code, out := check(t, writeConf(t, acrHost, reg.URL, "provider:azure?tenant=wrong.example.com"), acrHost+"/team/app")
		if code == 0 || !strings.Contains(out, "registry token exchange") || !strings.Contains(out, "UNAUTHORIZED") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}
