package cloudauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

func TestNew(t *testing.T) {
	tests := []struct {
		spec, host, apiURL string
		wantAPI, wantStr   string
		err                string
	}{
		{spec: "auto", host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", wantAPI: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
			wantStr: "provider:aws for 123456789012.dkr.ecr.eu-west-1.amazonaws.com"},
		{spec: "azure", host: "UnitReg01.azurecr.io", apiURL: "http://127.0.0.1:5000", wantAPI: "http://127.0.0.1:5000", wantStr: "provider:azure for unitreg01.azurecr.io"},
		{spec: "azure", host: "unitreg01.azurecr.io", apiURL: "not a url", err: "registry API URL is not a URL"},
		{spec: "azure", host: "unitreg01.azurecr.io", apiURL: "/path/only", err: "registry API URL is not a URL"},
		{spec: "gcp", host: "unitreg01.azurecr.io", err: "is a azure registry host"},
	}
	for _, tt := range tests {
		spec, err := ParseSpec(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(spec, Target{Host: tt.host, APIURL: tt.apiURL})
		if tt.err != "" {
			if err == nil || !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("New(%s, %s, %q) = %v, want %q", tt.spec, tt.host, tt.apiURL, err, tt.err)
			}
			continue
		}
		if err != nil || s.target.APIURL != tt.wantAPI || s.String() != tt.wantStr || s.Registry().Host != strings.ToLower(tt.host) {
			t.Errorf("New(%s, %s, %q) = %v (API %q, %q), %v", tt.spec, tt.host, tt.apiURL, s, s.target.APIURL, s.String(), err)
		}
	}
}

func TestResolveChecksCredentials(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	cause := errors.New("cloud down")
	tests := []struct {
		name  string
		cfg   authn.AuthConfig
		err   error
		step  string
		wantE error
	}{
		{name: "complete", cfg: authn.AuthConfig{Username: "u", Password: "p"}},
		{name: "no user", cfg: authn.AuthConfig{Password: "p"}, step: StepRegistryExchange},
		{name: "no password", cfg: authn.AuthConfig{Username: "u"}, step: StepRegistryExchange},
		{name: "login error passes through", err: &StepError{Provider: GCP, Host: "gcr.io", Step: StepCloudCredentials, Err: cause}, step: StepCloudCredentials, wantE: cause},
	}
	for _, tt := range tests {
		s := &Source{reg: Registry{Provider: GCP, Host: "gcr.io"}}
		s.fetch = func(context.Context) (authn.AuthConfig, time.Time, error) { return tt.cfg, exp, tt.err }
		cfg, gotExp, err := s.ResolveExpiring(context.Background())
		wantStep(t, err, tt.step)
		if tt.wantE != nil && !errors.Is(err, tt.wantE) {
			t.Errorf("%s: %v does not wrap the cause", tt.name, err)
		}
		if err != nil {
			if cfg != (authn.AuthConfig{}) || !gotExp.IsZero() {
				t.Errorf("%s: failure returned credentials %+v, %v", tt.name, cfg, gotExp)
			}
			continue
		}
		if cfg != tt.cfg || !gotExp.Equal(exp) {
			t.Errorf("%s: %+v, %v", tt.name, cfg, gotExp)
		}
		if plain, err := s.Resolve(context.Background()); err != nil || plain != tt.cfg {
			t.Errorf("%s: Resolve = %+v, %v", tt.name, plain, err)
		}
	}
}

func TestStepError(t *testing.T) {
	cause := os.ErrNotExist
	err := error(&StepError{Provider: Azure, Host: "r.azurecr.io", Step: StepTokenFile, Err: cause})
	if got := err.Error(); got != "provider:azure for r.azurecr.io: token file: file does not exist" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatal("StepError does not unwrap to its cause")
	}
}

func TestCheckTokenFile(t *testing.T) {
	s := &Source{reg: Registry{Provider: AWS, Host: "h"}}
	tests := []struct {
		name, path, want string
	}{
		{name: "unset", path: ""},
		{name: "readable", path: tokenFile(t, "eyJ.token.sig")},
		{name: "empty", path: tokenFile(t, ""), want: "is empty"},
		{name: "missing", path: t.TempDir() + "/nope", want: "no such file"},
	}
	for _, tt := range tests {
		t.Setenv("UNIT_TOKEN_FILE", tt.path)
		err := s.checkTokenFile("UNIT_TOKEN_FILE")
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantStep(t, err, StepTokenFile, "eyJ.token.sig")
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "UNIT_TOKEN_FILE") {
			t.Errorf("%s: %v does not say %q and name the variable", tt.name, err, tt.want)
		}
	}
}

// The ACR exchange uses the registry's TLS configuration: its roots, not
// the system's (which, in these tests, trust httptest's certificate).
func TestACRExchangeUsesTargetTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"refresh_token":"tls-refresh"}`))
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	for _, tc := range []struct {
		name string
		tls  *tls.Config
		ok   bool
	}{
		{name: "registry roots trust the server", tls: &tls.Config{RootCAs: pool}, ok: true},
		{name: "registry roots without the server", tls: &tls.Config{RootCAs: x509.NewCertPool()}},
		{name: "system roots", ok: true},
	} {
		sp, _ := ParseSpec("azure")
		s, err := New(sp, Target{Host: "unitreg01.azurecr.io", APIURL: srv.URL, TLS: tc.tls})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.acrExchange(context.Background(), "", "entra-token")
		if tc.ok != (err == nil) || (tc.ok && got != "tls-refresh") {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "entra-token")) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}
