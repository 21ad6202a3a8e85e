package cloudauth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	miHeaderSecret = "app-service-identity-header-secret"
	tokenTenant    = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// azureFake is the App Service managed identity endpoint (GET with
// X-IDENTITY-HEADER, api-version 2019-08-01, resource) and ACR's
// POST /oauth2/exchange (form grant_type=access_token, service, tenant,
// access_token) on one server.
type azureFake struct {
	t           *testing.T
	accessToken string // what the identity endpoint issues
	clientID    string // the client_id the identity endpoint wants ("" = none)
	miStatus    int
	exchStatus  int
	exchBody    string
	form        map[string]string // the last exchange form
	resource    string
}

func (f *azureFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/msi/token":
		q := r.URL.Query()
		f.resource = q.Get("resource")
		if r.Header.Get("X-IDENTITY-HEADER") != miHeaderSecret || q.Get("api-version") != "2019-08-01" || q.Get("client_id") != f.clientID {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"statusCode":400,"message":"No managed identity found for the specified client_id."}`))
			return
		}
		if f.miStatus != http.StatusOK {
			w.WriteHeader(f.miStatus)
			_, _ = w.Write([]byte(`{"statusCode":403,"message":"identity forbidden"}`))
			return
		}
		exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": f.accessToken, "expires_on": exp, "resource": f.resource, "token_type": "Bearer"})
	case "/oauth2/exchange":
		_ = r.ParseForm()
		f.form = map[string]string{}
		for k := range r.PostForm {
			f.form[k] = r.PostForm.Get(k)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			f.t.Errorf("exchange %s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		w.WriteHeader(f.exchStatus)
		_, _ = w.Write([]byte(f.exchBody))
	default:
		http.NotFound(w, r)
	}
}

func TestAzureLogin(t *testing.T) {
	const host = "unitreg01.azurecr.io"
	refreshExp := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	refresh := testJWT(map[string]any{"exp": refreshExp.Unix()})
	withTid := testJWT(map[string]any{"tid": tokenTenant, "exp": time.Now().Add(time.Hour).Unix()})
	withoutTid := testJWT(map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	tests := []struct {
		name       string
		spec       string
		access     string
		envTenant  string
		miStatus   int
		exchStatus int
		exchBody   string
		step       string
		errText    string
		wantTenant string // "" = the form has no tenant
		wantPass   string
		wantExp    time.Time // zero: the Entra token's hour
	}{
		{name: "tenant from the token", spec: "azure", access: withTid, exchBody: fmt.Sprintf(`{"refresh_token":%q}`, refresh),
			wantTenant: tokenTenant, wantPass: refresh, wantExp: refreshExp},
		{name: "tenant option wins over the token", spec: "azure?tenant=contoso.onmicrosoft.com&", access: withTid,
			exchBody: fmt.Sprintf(`{"refresh_token":%q}`, refresh), wantTenant: "contoso.onmicrosoft.com", wantPass: refresh, wantExp: refreshExp},
		{name: "tenant from AZURE_TENANT_ID when the token has none", spec: "azure", access: withoutTid, envTenant: "env-tenant.example",
			exchBody: fmt.Sprintf(`{"refresh_token":%q}`, refresh), wantTenant: "env-tenant.example", wantPass: refresh, wantExp: refreshExp},
		{name: "no tenant anywhere", spec: "azure", access: withoutTid, exchBody: fmt.Sprintf(`{"refresh_token":%q}`, refresh), wantPass: refresh, wantExp: refreshExp},
		{name: "opaque refresh token keeps the Entra expiry", spec: "azure", access: withTid, exchBody: `{"refresh_token":"opaque-refresh"}`,
			wantTenant: tokenTenant, wantPass: "opaque-refresh"},
		{name: "identity endpoint refuses", spec: "azure", access: withTid, miStatus: http.StatusForbidden, step: StepCloudCredentials, errText: "Entra token"},
		{name: "exchange unauthorized quotes the registry's message", spec: "azure", access: withTid, exchStatus: http.StatusUnauthorized,
			exchBody: `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, step: StepRegistryExchange, errText: "HTTP 401 (\"UNAUTHORIZED authentication required\")"},
		{name: "exchange oauth error", spec: "azure", access: withTid, exchStatus: http.StatusBadRequest,
			exchBody: `{"error":"invalid_request","error_description":"tenant mismatch"}`, step: StepRegistryExchange, errText: "invalid_request tenant mismatch"},
		{name: "exchange echoing the token is not quoted", spec: "azure", access: withTid, exchStatus: http.StatusBadGateway,
			exchBody: "bad gateway for " + withTid, step: StepRegistryExchange, errText: "HTTP 502"},
		{name: "exchange answers no JSON", spec: "azure", access: withTid, exchBody: `<html>`, step: StepRegistryExchange, errText: "not JSON"},
		{name: "exchange answers no refresh token", spec: "azure", access: withTid, exchBody: `{"access_token":"x"}`, step: StepRegistryExchange, errText: "no refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// MSAL caches managed identity tokens process-wide per
			// identity: each row asks as a user-assigned identity of its own.
			clientID := randomGUID(t)
			spec := tt.spec + "?clientId=" + clientID
			if strings.Contains(tt.spec, "?") {
				spec = tt.spec + "clientId=" + clientID
			}
			fake := &azureFake{t: t, accessToken: tt.access, clientID: clientID, miStatus: tt.miStatus, exchStatus: tt.exchStatus, exchBody: tt.exchBody}
			if fake.miStatus == 0 {
				fake.miStatus = http.StatusOK
			}
			if fake.exchStatus == 0 {
				fake.exchStatus = http.StatusOK
			}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			t.Setenv("IDENTITY_ENDPOINT", srv.URL+"/msi/token")
			t.Setenv("IDENTITY_HEADER", miHeaderSecret)
			t.Setenv("AZURE_TENANT_ID", tt.envTenant)
			s := mustSource(t, spec, host, srv.URL+"/")
			cfg, exp, err := s.ResolveExpiring(context.Background())
			wantStep(t, err, tt.step, tt.access, miHeaderSecret, refresh)
			if err != nil {
				if !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %q does not say %q", err, tt.errText)
				}
				return
			}
			if fake.resource != "https://management.azure.com" {
				t.Fatalf("identity asked for resource %q, want ARM's", fake.resource)
			}
			want := map[string]string{"grant_type": "access_token", "service": host, "access_token": tt.access}
			if tt.wantTenant != "" {
				want["tenant"] = tt.wantTenant
			}
			if fmt.Sprint(fake.form) != fmt.Sprint(want) {
				t.Fatalf("exchange form %v, want %v", fake.form, want)
			}
			if cfg.Username != acrUser || cfg.Password != tt.wantPass {
				t.Fatalf("credentials %q/%q", cfg.Username, cfg.Password)
			}
			wantExp := tt.wantExp
			if wantExp.IsZero() {
				wantExp = time.Now().Add(time.Hour)
			}
			if d := exp.Sub(wantExp); d < -time.Minute || d > time.Minute {
				t.Fatalf("expiry %v, want %v", exp, wantExp)
			}
		})
	}
}

func randomGUID(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func TestAzureWorkloadIdentityTokenFile(t *testing.T) {
	// A set but empty federated token file fails before any request.
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", tokenFile(t, ""))
	t.Setenv("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
	t.Setenv("AZURE_TENANT_ID", tokenTenant)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to %s", r.URL)
	}))
	defer srv.Close()
	t.Setenv("AZURE_AUTHORITY_HOST", srv.URL)
	_, err := mustSource(t, "azure", "unitreg01.azurecr.io", srv.URL).Resolve(context.Background())
	wantStep(t, err, StepTokenFile)
	if !strings.Contains(err.Error(), "AZURE_FEDERATED_TOKEN_FILE") {
		t.Fatalf("error %v does not name the variable", err)
	}
}

func TestRegistryErrorText(t *testing.T) {
	long := strings.Repeat("m", 400)
	tests := []struct{ body, want string }{
		{`{"errors":[{"code":"DENIED","message":"no"},{"code":"UNAUTHORIZED","message":"who"}]}`, ` ("DENIED no; UNAUTHORIZED who")`},
		{`{"error":"invalid_grant","error_description":"expired"}`, ` ("invalid_grant expired")`},
		{`{"error":"invalid_grant"}`, ` ("invalid_grant")`},
		{`{"errors":[{"code":"X","message":"` + long + `"}]}`, fmt.Sprintf(" (%q)", ("X " + long)[:300]+"...")},
		{`{}`, ""},
		{`not json at all, maybe a token eyJ.x.y`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := registryErrorText([]byte(tt.body)); got != tt.want {
			t.Errorf("registryErrorText(%.40q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
