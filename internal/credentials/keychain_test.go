package credentials

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// staticKeychain answers every registry with one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func TestKeychainReadsDockerConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"auths": {"registry.example.com": {"auth": "` + b64("cfguser:"+topSecret) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)

	tests := []struct {
		name     string
		registry string
		first    []authn.Keychain
		wantUser string
	}{
		{"config.json entry", "registry.example.com", nil, "cfguser"},
		{"anonymous elsewhere", "other.example.com", nil, ""},
		{"caller keychain first", "registry.example.com", []authn.Keychain{staticKeychain{&authn.Basic{Username: "first", Password: "x"}}}, "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := name.NewRegistry(tt.registry)
			if err != nil {
				t.Fatal(err)
			}
			auth, err := Keychain(tt.first...).Resolve(reg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := auth.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if got.Username != tt.wantUser {
				t.Errorf("user = %q, want %q", got.Username, tt.wantUser)
			}
		})
	}
}
