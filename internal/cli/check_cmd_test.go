package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publicKeyFile writes a fresh ECDSA public key (PEM), one nothing in the
// registry is signed with.
func publicKeyFile(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckCommand(t *testing.T) {
	p := newPlayground(t)
	conf := []string{"--registries-conf-path", p.RegistriesConf}
	guestbook, redis := p.Registry.Host+"/haoshuwei24/guestbook", p.Registry.Host+"/haoshuwei24/redis"
	key := publicKeyFile(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		want string // stdout, normalised
		// wantErr is part of stderr
		wantErr string
	}{
		{name: "semver: the newest tag and its digest", args: []string{"check", guestbook}, want: "REGISTRY/haoshuwei24/guestbook:v4\nsha256:DIGEST\n"},
		{name: "the test alias", args: []string{"test", guestbook}, want: "REGISTRY/haoshuwei24/guestbook:v4\nsha256:DIGEST\n"},
		{name: "constraint in the spec, verbose", args: []string{"check", redis + ":~6.0", "-v"},
			want: "TAG     ELIGIBLE  VERDICT\n6.0.5   true      chosen\n6.2.14  false     does not satisfy constraint ~6.0\n7.2.4   false     does not satisfy constraint ~6.0\n\n" +
				"3 tags listed for REGISTRY/haoshuwei24/redis, strategy semver\nREGISTRY/haoshuwei24/redis:6.0.5\nsha256:DIGEST\n"},
		{name: "--semver-constraint overrides the spec's", args: []string{"check", redis + ":~6.0", "--semver-constraint", "^6"}, want: "REGISTRY/haoshuwei24/redis:6.2.14\nsha256:DIGEST\n"},
		{name: "alphabetical with ignored tags", args: []string{"check", guestbook, "--update-strategy", "name", "--ignore-tags", "v4", "--ignore-tags", "v3"}, want: "REGISTRY/haoshuwei24/guestbook:v2\nsha256:DIGEST\n"},
		{name: "newest build on the images' platform", args: []string{"check", guestbook, "--update-strategy", "newest-build", "--platforms", "linux/amd64"}, want: "REGISTRY/haoshuwei24/guestbook:v4\nsha256:DIGEST\n"},
		{name: "digest follows the tag", args: []string{"check", redis, "--update-strategy", "digest", "--semver-constraint", "7.2.4"}, want: "REGISTRY/haoshuwei24/redis:7.2.4\nsha256:DIGEST\n"},
		{name: "allow-tags with credentials and a rate limit", args: []string{"check", guestbook, "--allow-tags", "regexp:^v[12]$", "--credentials", "user:secret", "--rate-limit", "50"}, want: "REGISTRY/haoshuwei24/guestbook:v2\nsha256:DIGEST\n"},
		{name: "json", args: []string{"check", redis + ":~6.0", "-o", "json"},
			want: "{\n  \"image\": \"REGISTRY/haoshuwei24/redis\",\n  \"registry\": \"REGISTRY\",\n  \"repository\": \"haoshuwei24/redis\",\n  \"strategy\": \"semver\",\n  \"found\": true,\n  \"tag\": \"6.0.5\",\n  \"digest\": \"sha256:DIGEST\",\n  \"tagsListed\": 3\n}\n"},
		{name: "nothing eligible exits 1", args: []string{"check", redis, "--allow-tags", "regexp:^nope$"}, code: ExitNotFound, want: "no eligible tag for REGISTRY/haoshuwei24/redis (3 tags listed)\n"},
		{name: "nothing on the wanted platform, verbose", args: []string{"check", guestbook, "--update-strategy", "latest", "--platforms", "linux/arm64", "-v"}, code: ExitNotFound,
			want: "TAG  ELIGIBLE  VERDICT\n" +
				"v1   false     no image for the wanted platforms (image is for linux/amd64, wanted linux/arm64)\n" +
				"v2   false     no image for the wanted platforms (image is for linux/amd64, wanted linux/arm64)\n" +
				"v3   false     no image for the wanted platforms (image is for linux/amd64, wanted linux/arm64)\n" +
				"v4   false     no image for the wanted platforms (image is for linux/amd64, wanted linux/arm64)\n\n" +
				"4 tags listed for REGISTRY/haoshuwei24/guestbook, strategy newest-build\nno eligible tag for REGISTRY/haoshuwei24/guestbook (4 tags listed)\n"},
		{name: "a repository the registry lacks exits 3", args: []string{"check", p.Registry.Host + "/haoshuwei24/nosuchimage"}, code: ExitRegistry, wantErr: "haoshuwei24/nosuchimage"},
		{name: "credentials from an unset variable", args: []string{"check", guestbook, "--credentials", "env:NO_SUCH_CREDS"}, code: ExitUsage, wantErr: "--credentials:"},
		{name: "unsigned images are not eligible with --cosign-key", args: []string{"check", guestbook, "--cosign-key", key, "-v"}, code: ExitNotFound,
			want: "TAG  ELIGIBLE  SIGNATURE                   VERDICT\n" +
				"v1   false     not verified: no signature  signature not verified: no signature\n" +
				"v2   false     not verified: no signature  signature not verified: no signature\n" +
				"v3   false     not verified: no signature  signature not verified: no signature\n" +
				"v4   false     not verified: no signature  signature not verified: no signature\n\n" +
				"4 tags listed for REGISTRY/haoshuwei24/guestbook, strategy semver\nno eligible tag for REGISTRY/haoshuwei24/guestbook (4 tags listed)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, tt.env, append(tt.args, conf...)...)
			if r.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, r)
			}
			if got := p.normal(r.out); got != tt.want {
				t.Errorf("stdout\n%s\nwant\n%s", got, tt.want)
			}
			if !strings.Contains(r.errOut, tt.wantErr) || (tt.wantErr == "" && r.errOut != "") {
				t.Errorf("stderr %q, want %q", r.errOut, tt.wantErr)
			}
		})
	}
}

// TestCheckVerboseJSON: -v adds the verdicts to the JSON, in camelCase;
// with --cosign-key each says why the signature did not verify.
func TestCheckVerboseJSON(t *testing.T) {
	p := newPlayground(t)
	tests := []struct {
		name         string
		args         []string
		code         int
		wantVerdicts int
		verified     bool
	}{
		{"verdicts of every tag", []string{"check", p.Registry.Host + "/haoshuwei24/redis", "-o", "json", "-v"}, ExitOK, 3, false},
		{"no verdicts without -v", []string{"check", p.Registry.Host + "/haoshuwei24/redis", "-o", "json"}, ExitOK, 0, false},
		{"signatures checked", []string{"check", p.Registry.Host + "/haoshuwei24/redis", "-o", "json", "-v", "--cosign-key", publicKeyFile(t)}, ExitNotFound, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, nil, append(tt.args, "--registries-conf-path", p.RegistriesConf)...)
			if r.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, r)
			}
			var res struct {
				Found    bool `json:"found"`
				Verified bool `json:"verified"`
				Verdicts []struct {
					Tag       string `json:"tag"`
					Eligible  bool   `json:"eligible"`
					Reason    string `json:"reason"`
					Signature string `json:"signature"`
				} `json:"verdicts"`
			}
			if err := json.Unmarshal([]byte(r.out), &res); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, r.out)
			}
			if len(res.Verdicts) != tt.wantVerdicts || res.Verified != tt.verified || res.Found != (tt.code == ExitOK) {
				t.Fatalf("result %+v", res)
			}
			for _, v := range res.Verdicts {
				if v.Tag == "" || v.Reason == "" {
					t.Errorf("verdict without tag or reason: %+v", v)
				}
				if tt.verified && (v.Eligible || v.Signature == "") {
					t.Errorf("unsigned tag %s: eligible %v, signature %q", v.Tag, v.Eligible, v.Signature)
				}
			}
		})
	}
}

func TestCosignFlags(t *testing.T) {
	keyA, keyB := publicKeyFile(t), publicKeyFile(t)
	keys, err := cosignSecretKeys([]string{"argocd/cosign#a.pub=" + keyA, "cosign#b.pub=" + keyB})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys["argocd/cosign#a.pub"].Name != "argocd/cosign#a.pub" || keys["cosign#b.pub"].Name != "cosign#b.pub" {
		t.Errorf("keys %+v: each is named by its Secret reference", keys)
	}
	if keys, err := cosignSecretKeys(nil); keys != nil || err != nil {
		t.Errorf("no mapping: %v %v", keys, err)
	}
	tests := []struct {
		name    string
		keys    []string
		keyless keylessFlags
		wantNil bool
		wantErr string
	}{
		{name: "nothing: no verification", wantNil: true},
		{name: "keys", keys: []string{keyA, keyB}},
		{name: "an unreadable key", keys: []string{keyA, filepath.Join(t.TempDir(), "none.pub")}, wantErr: "--cosign-key: "},
		{name: "a key and keyless without a trusted root", keys: []string{keyA}, keyless: keylessFlags{issuerRegexp: ".*"}, wantErr: "need --trusted-root FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := signatureVerifier(tt.keys, tt.keyless)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || (v == nil) != tt.wantNil {
				t.Fatalf("verifier %v, %v (want nil: %v)", v, err, tt.wantNil)
			}
		})
	}
}
