package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignatureVerifierFlags(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(junk, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		kl      keylessFlags
		wantErr string
	}{
		"nothing":          {},
		"no trusted root":  {kl: keylessFlags{identity: "a@example.com", issuer: "https://issuer"}, wantErr: "need --trusted-root"},
		"bad trusted root": {kl: keylessFlags{identity: "a@example.com", issuer: "https://issuer", trustedRoot: junk}, wantErr: "invalid keyless verification setting"},
		"missing root":     {kl: keylessFlags{identity: "a@example.com", issuer: "https://issuer", trustedRoot: filepath.Join(dir, "none.json")}, wantErr: "none.json"},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := signatureVerifier(nil, tc.kl)
			if tc.wantErr == "" {
				if err != nil || v != nil {
					t.Fatalf("got %v, %v", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if _, err := cosignSecretKeys([]string{"a#k=" + filepath.Join(dir, "none.pub")}); err == nil || !strings.Contains(err.Error(), "--cosign-secret a#k") {
		t.Errorf("unreadable mapped key: %v", err)
	}
	if _, err := cosignSecretKeys([]string{"nope"}); err == nil {
		t.Error("malformed mapping accepted")
	}
}
