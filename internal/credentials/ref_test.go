package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

const topSecret = "t0p-s3cr3t"

func TestParseRefErrors(t *testing.T) {
	getter := fakeSecrets{}
	tests := []struct {
		name string
		ref  string
		opts []Option
		want string
	}{
		{"empty", "", nil, "unknown form"},
		{"plain not allowed", "user:" + topSecret, nil, "unknown form"},
		{"unknown kind", "vault:x/y", nil, "unknown form"},
		{"plain empty user", ":" + topSecret, []Option{AllowPlain()}, "plain credentials: user name is empty"},
		{"plain empty password", "user:", []Option{AllowPlain()}, "plain credentials: password is empty"},
		{"plain no colon", topSecret, []Option{AllowPlain()}, "plain credentials: value is not in the form user:password"},
		{"env bad name", "env:A-B", nil, `"env:A-B": not a valid environment variable name`},
		{"env empty", "env:", nil, "not a valid environment variable name"},
		{"ext relative", "ext:bin/creds", nil, "must be given as an absolute path"},
		{"secret no key", "secret:ns/name", nil, "want secret:namespace/name#key"},
		{"secret empty key", "secret:ns/name#", nil, "want secret:namespace/name#key"},
		{"secret no namespace", "secret:name#key", nil, "missing namespace"},
		{"secret bad name", "secret:ns/na me#key", nil, "bad name"},
		{"pullsecret no namespace", "pullsecret:name", nil, "missing namespace"},
		{"pullsecret extra path", "pullsecret:ns/a/b", nil, "bad name"},
		{"secret without getter", "secret:ns/name#key", nil, "reading Kubernetes Secrets is not available"},
		{"pullsecret without getter", "pullsecret:ns/name", []Option{WithRegistryHost("ghcr.io")}, "reading Kubernetes Secrets is not available"},
		{"pullsecret without host", "pullsecret:ns/name", []Option{WithSecretGetter(getter)}, "registry host is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := ParseRef(tt.ref, tt.opts...)
			if err == nil {
				t.Fatalf("ParseRef(%q) = %v, want error", tt.ref, src)
			}
			if !errors.Is(err, ErrInvalidRef) {
				t.Errorf("error %v does not match ErrInvalidRef", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			assertNoSecret(t, err, topSecret)
			if err := CheckRef(tt.ref); err == nil && strings.HasPrefix(tt.name, "plain") {
				t.Errorf("CheckRef accepted a plain reference")
			}
		})
	}
}

func TestCheckRefAcceptsConfigForms(t *testing.T) {
	for _, ref := range []string{"env:REG_CREDS", "ext:/app/auth.sh", "secret:argocd/acr#creds", "secret:argocd/acr#.dockerconfigjson", "pullsecret:argocd/pull"} {
		if err := CheckRef(ref); err != nil {
			t.Errorf("CheckRef(%q) = %v", ref, err)
		}
	}
	if err := CheckRef("user:pass"); err == nil {
		t.Error("CheckRef accepted user:pass")
	}
}

func TestResolve(t *testing.T) {
	jsonKey := `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nabc:def\n-----END PRIVATE KEY-----\n"}`
	env := map[string]string{
		"GOOD":      "user:" + topSecret + ":with:colons\n",
		"NOCOLON":   topSecret,
		"EMPTYPASS": "user:",
		"GCR":       "_json_key:" + jsonKey,
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	secrets := fakeSecrets{
		"argocd/creds": {"good": []byte("robot$ci:" + topSecret + "\r\n"), "bad": []byte(topSecret), "gcr": []byte("_json_key:" + jsonKey + "\n")},
	}
	opts := []Option{WithLookupEnv(lookup), WithSecretGetter(secrets), AllowPlain()}

	tests := []struct {
		ref     string
		want    authn.AuthConfig
		wantErr string
	}{
		{ref: "env:GOOD", want: authn.AuthConfig{Username: "user", Password: topSecret + ":with:colons"}},
		{ref: "env:GCR", want: authn.AuthConfig{Username: "_json_key", Password: jsonKey}},
		{ref: "env:MISSING", wantErr: "credentials env:MISSING: environment variable is not set"},
		{ref: "env:NOCOLON", wantErr: "credentials env:NOCOLON: value is not in the form user:password"},
		{ref: "env:EMPTYPASS", wantErr: "credentials env:EMPTYPASS: password is empty"},
		{ref: "secret:argocd/creds#good", want: authn.AuthConfig{Username: "robot$ci", Password: topSecret}},
		{ref: "secret:argocd/creds#gcr", want: authn.AuthConfig{Username: "_json_key", Password: jsonKey}},
		{ref: "secret:argocd/creds#bad", wantErr: "credentials secret:argocd/creds#bad: value is not in the form"},
		{ref: "secret:argocd/creds#absent", wantErr: `secret has no key "absent"`},
		{ref: "secret:argocd/nope#good", wantErr: `credentials secret:argocd/nope#good: reading secret: secrets "nope" not found`},
		{ref: "user:" + topSecret, want: authn.AuthConfig{Username: "user", Password: topSecret}},
		{ref: "_json_key:" + jsonKey, want: authn.AuthConfig{Username: "_json_key", Password: jsonKey}},
	}
	for _, tt := range tests {
		t.Run(tt.ref[:min(len(tt.ref), 24)], func(t *testing.T) {
			src, err := ParseRef(tt.ref, opts...)
			if err != nil {
				t.Fatalf("ParseRef: %v", err)
			}
			got, err := src.Resolve(context.Background())
			assertNoSecret(t, err, topSecret, jsonKey)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if s, ok := src.(interface{ String() string }); ok && strings.Contains(s.String(), topSecret) {
				t.Errorf("String() reveals the secret: %s", s)
			}
		})
	}
}
