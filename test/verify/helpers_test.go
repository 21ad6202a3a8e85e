package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/cli"
	"github.com/imagepilot/imagepilot/test/infra"
)

// keyPassword protects the test signing keys.
const keyPassword = "test-password"

// cosignBin returns the cosign CLI: $COSIGN_BIN, else the cache
// hack/cosign.sh fills. Without it the test is skipped, except in CI
// (CI=true), where hack/test.sh must have built it.
func cosignBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("COSIGN_BIN"); p != "" {
		return p
	}
	cache := os.Getenv("IMAGEPILOT_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "imagepilot")
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "cosign", "*", "cosign"))
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("cosign CLI missing: run hack/cosign.sh or set COSIGN_BIN")
	}
	t.Skip("cosign CLI missing: run hack/cosign.sh or set COSIGN_BIN")
	return ""
}

// cosign runs the CLI with the key password and no network beyond the
// test registry; it fails the test on a non-zero exit.
func cosign(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cosignBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+keyPassword, "COSIGN_YES=true",
		"HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf"), "SIGSTORE_NO_CACHE=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("cosign %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// keyPair is a cosign key pair on disk.
type keyPair struct{ priv, pub string }

// generateKey makes an ECDSA P-256 key pair with `cosign generate-key-pair`.
func generateKey(t *testing.T, dir, prefix string) keyPair {
	t.Helper()
	cosign(t, dir, "generate-key-pair", "--output-key-prefix", prefix)
	return keyPair{priv: filepath.Join(dir, prefix+".key"), pub: filepath.Join(dir, prefix+".pub")}
}

// importKey writes a Go-generated private key (kind rsa or ed25519) as
// PKCS#8 PEM and imports it with `cosign import-key-pair`.
func importKey(t *testing.T, dir, prefix, kind string) keyPair {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa-p384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, prefix+"-plain.pem")
	if err := os.WriteFile(in, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cosign(t, dir, "import-key-pair", "--key", in, "--output-key-prefix", prefix)
	return keyPair{priv: filepath.Join(dir, prefix+".key"), pub: filepath.Join(dir, prefix+".pub")}
}

// sign signs ref (name@digest) with the key as a legacy .sig tag, without
// the transparency log.
func sign(t *testing.T, dir string, k keyPair, ref string) {
	t.Helper()
	cosign(t, dir, signArgs(k, ref)...)
}

// digestOf returns the digest a tag points to, asked of the registry
// directly (not through the counting proxy).
func digestOf(t *testing.T, reg *infra.Registry, repo, tag string) string {
	t.Helper()
	ref, err := name.NewTag(reg.Repo(repo) + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref, reg.RemoteOptions(context.Background())...)
	if err != nil {
		t.Fatal(err)
	}
	return desc.Digest.String()
}

// copySignature copies the signature manifest of digest from to the
// signature tag of digest to (a signature "moved" to another image).
func copySignature(t *testing.T, reg *infra.Registry, repo, from, to string) {
	t.Helper()
	r, err := name.NewRepository(reg.Repo(repo))
	if err != nil {
		t.Fatal(err)
	}
	src := r.Tag(sigTag(from))
	img, err := remote.Image(src, reg.RemoteOptions(context.Background())...)
	if err != nil {
		t.Fatalf("read %s: %v", src, err)
	}
	if err := remote.Write(r.Tag(sigTag(to)), img, reg.RemoteOptions(context.Background())...); err != nil {
		t.Fatalf("write signature copy: %v", err)
	}
}

func sigTag(digest string) string {
	h, err := v1.NewHash(digest)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%s-%s.sig", h.Algorithm, h.Hex)
}

// seed pushes one image per tag, created an hour apart in the given order.
func seed(t *testing.T, reg *infra.Registry, repo string, tags ...string) map[string]string {
	t.Helper()
	digests := map[string]string{}
	for i, tag := range tags {
		img := infra.NewImage(t, infra.ImageSpec{Created: time.Date(2026, 3, 1, i, 0, 0, 0, time.UTC)})
		infra.PushImage(t, reg.Repo(repo), img, reg.RemoteOptions(context.Background()), tag)
		digests[tag] = digestOf(t, reg, repo, tag)
	}
	return digests
}

// imagepilot runs the CLI in-process.
func imagepilot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// plainConf writes a registries.conf that reaches reg over plain http.
func plainConf(t *testing.T, reg *infra.Registry) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "registries.conf")
	body := fmt.Sprintf("registries:\n- name: test\n  prefix: %s\n  api_url: %s\n", reg.Host, reg.URL)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
