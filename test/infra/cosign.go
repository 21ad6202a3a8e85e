package infra

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// CosignPassword protects the signing keys Cosign makes.
const CosignPassword = "test-password"

// Cosign runs the real cosign CLI (built by hack/cosign.sh) in a
// directory of its own, offline apart from the test registry.
type Cosign struct {
	// Bin is the cosign binary.
	Bin string
	// Dir is its working directory and HOME.
	Dir string
}

// CosignKeyPair is a cosign key pair on disk.
type CosignKeyPair struct{ Private, Public string }

// NewCosign finds the cosign CLI: $COSIGN_BIN, else the cache
// hack/cosign.sh fills. Without it the test is skipped, except in CI
// (CI=true), where the test script must have built it.
func NewCosign(t testing.TB) *Cosign {
	t.Helper()
	bin := os.Getenv("COSIGN_BIN")
	if bin == "" {
		cache := os.Getenv("IMAGEPILOT_CACHE")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache", "imagepilot")
		}
		if m, _ := filepath.Glob(filepath.Join(cache, "cosign", "*", "cosign")); len(m) > 0 {
			bin = m[len(m)-1]
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("cosign CLI missing: run hack/cosign.sh or set COSIGN_BIN")
		}
		t.Skip("cosign CLI missing: run hack/cosign.sh or set COSIGN_BIN")
	}
	return &Cosign{Bin: bin, Dir: t.TempDir()}
}

// Run runs cosign with args and fails the test on a non-zero exit.
func (c *Cosign) Run(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+CosignPassword, "COSIGN_YES=true",
		"HOME="+c.Dir, "TUF_ROOT="+filepath.Join(c.Dir, "tuf"), "SIGSTORE_NO_CACHE=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("cosign %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// GenerateKey makes an ECDSA P-256 key pair with `cosign generate-key-pair`.
func (c *Cosign) GenerateKey(t testing.TB, prefix string) CosignKeyPair {
	t.Helper()
	c.Run(t, "generate-key-pair", "--output-key-prefix", prefix)
	return CosignKeyPair{Private: filepath.Join(c.Dir, prefix+".key"), Public: filepath.Join(c.Dir, prefix+".pub")}
}

// Sign signs ref (name@digest) on a plain-http loopback registry without
// a transparency log: bundle=false writes a legacy sha256-<hex>.sig tag,
// bundle=true a sigstore bundle through the referrers tag schema.
func (c *Cosign) Sign(t testing.TB, k CosignKeyPair, ref string, bundle bool) {
	t.Helper()
	format := "--new-bundle-format=false"
	if bundle {
		format = "--new-bundle-format=true"
	}
	c.Run(t, "sign", "--key", k.Private, "--tlog-upload=false", "--yes",
		"--allow-insecure-registry", "--allow-http-registry", format, "--use-signing-config=false", ref)
}
