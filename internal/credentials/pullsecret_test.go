package credentials

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestPullSecret(t *testing.T) {
	jsonKey := `{"type":"service_account","private_key_id":"k:1"}`
	config := `{"auths": {
		"https://index.docker.io/v1/": {"auth": "` + b64("hubuser:"+topSecret) + `"},
		"ghcr.io": {"username": "gh", "password": "` + topSecret + `-gh"},
		"https://GHCR.io/v2/": {"username": "wrong", "password": "wrong"},
		"http://registry.example.com:5000/v2/": {"auth": "` + b64("ex:"+topSecret+":colon") + `", "username": "ignored", "password": "ignored"},
		"gcr.io": {"auth": "` + b64("_json_key:"+jsonKey) + `"},
		"token.example.com": {"identitytoken": "` + topSecret + `-idt"},
		"broken.example.com": {"auth": "%%%"},
		"nouser.example.com": {"auth": "` + b64(":"+topSecret) + `"},
		"half.example.com": {"username": "u"},
		"empty.example.com": {}
	}}`
	secrets := fakeSecrets{
		"argocd/pull":   {".dockerconfigjson": []byte(config)},
		"argocd/legacy": {".dockercfg": []byte(`{"quay.io": {"auth": "` + b64("q:"+topSecret) + `"}}`)},
		"argocd/other":  {"token": []byte("x")},
		"argocd/junk":   {".dockerconfigjson": []byte(`{"auths": {"a": {"auth": "` + topSecret + `"` /* truncated JSON */)},
	}
	tests := []struct {
		ref, host string
		want      authn.AuthConfig
		wantErr   string
	}{
		{ref: "pullsecret:argocd/pull", host: "docker.io", want: authn.AuthConfig{Username: "hubuser", Password: topSecret}},
		{ref: "pullsecret:argocd/pull", host: "registry-1.docker.io", want: authn.AuthConfig{Username: "hubuser", Password: topSecret}},
		{ref: "pullsecret:argocd/pull", host: "ghcr.io", want: authn.AuthConfig{Username: "gh", Password: topSecret + "-gh"}}, // exact key beats normalised
		{ref: "pullsecret:argocd/pull", host: "registry.example.com:5000", want: authn.AuthConfig{Username: "ex", Password: topSecret + ":colon"}},
		{ref: "pullsecret:argocd/pull", host: "gcr.io", want: authn.AuthConfig{Username: "_json_key", Password: jsonKey}},
		{ref: "pullsecret:argocd/pull", host: "token.example.com", want: authn.AuthConfig{IdentityToken: topSecret + "-idt"}},
		{ref: "pullsecret:argocd/legacy", host: "quay.io", want: authn.AuthConfig{Username: "q", Password: topSecret}},
		{ref: "pullsecret:argocd/pull", host: "registry.example.com", wantErr: `no auths entry for registry "registry.example.com"`},
		{ref: "pullsecret:argocd/pull", host: "broken.example.com", wantErr: `auths entry "broken.example.com": field auth is not valid base64`},
		{ref: "pullsecret:argocd/pull", host: "nouser.example.com", wantErr: `field auth: user name is empty`},
		{ref: "pullsecret:argocd/pull", host: "half.example.com", wantErr: `username and password must both be set`},
		{ref: "pullsecret:argocd/pull", host: "empty.example.com", wantErr: `has no credentials`},
		{ref: "pullsecret:argocd/other", host: "quay.io", wantErr: "secret has neither .dockerconfigjson nor .dockercfg"},
		{ref: "pullsecret:argocd/junk", host: "a", wantErr: "key .dockerconfigjson is not valid Docker config JSON"},
		{ref: "pullsecret:argocd/gone", host: "a", wantErr: `credentials pullsecret:argocd/gone: reading secret`},
	}
	for _, tt := range tests {
		t.Run(tt.ref+"@"+tt.host, func(t *testing.T) {
			src, err := ParseRef(tt.ref, WithSecretGetter(secrets), WithRegistryHost(tt.host))
			if err != nil {
				t.Fatal(err)
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
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://index.docker.io/v1/":          "docker.io",
		"registry-1.docker.io":                 "docker.io",
		"Docker.IO":                            "docker.io",
		"http://Registry.example.com:5000/v2/": "registry.example.com:5000",
		"ghcr.io/owner":                        "ghcr.io",
		" quay.io ":                            "quay.io",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}
