package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// TestKeyFormats: each key type and PEM form cosign users have, with the
// hashes and signature schemes cosign signs with, verifies a simple-signing
// payload; a signature over other bytes does not.
func TestKeyFormats(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	r3072, _ := rsa.GenerateKey(rand.Reader, 3072)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	pkix := func(pub crypto.PublicKey) []byte {
		b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signer := func(priv crypto.Signer, h crypto.Hash, opts ...signature.LoadOption) signature.Signer {
		s, err := signature.LoadSignerWithOpts(priv, append(opts, options.WithHash(h))...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name   string
		pem    []byte
		signer signature.Signer
	}{
		{"ECDSA P-256, SHA-256", pkix(p256.Public()), signer(p256, crypto.SHA256)},
		{"ECDSA P-384, SHA-256 (cosign's default hash)", pkix(p384.Public()), signer(p384, crypto.SHA256)},
		{"ECDSA P-384, SHA-384", pkix(p384.Public()), signer(p384, crypto.SHA384)},
		{"ECDSA P-521, SHA-512", pkix(p521.Public()), signer(p521, crypto.SHA512)},
		{"RSA 3072 PKIX", pkix(r3072.Public()), signer(r3072, crypto.SHA256)},
		{"RSA 3072 PKCS#1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&r3072.PublicKey)}), signer(r3072, crypto.SHA256)},
		{"Ed25519 pure", pkix(ed.Public()), signer(ed, crypto.Hash(0))},
		{"Ed25519ph (cosign's scheme)", pkix(ed.Public()), signer(ed, crypto.SHA512, options.WithED25519ph())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey("k.pub", tt.pem)
			if err != nil {
				t.Fatal(err)
			}
			v, err := New([]Key{k})
			if err != nil {
				t.Fatal(err)
			}
			sign := testKey{signer: tt.signer}
			good := sign.sign(t, simplePayload(digestA))
			if name, reason := v.checkOne(good, digestA); name != "k.pub" || reason != "" {
				t.Fatalf("own signature: %q %q", name, reason)
			}
			forged := good
			forged.Payload = simplePayload(digestB)
			if name, reason := v.checkOne(forged, digestB); name != "" || reason != ReasonWrongKey {
				t.Fatalf("signature moved to another payload: %q %q", name, reason)
			}
		})
	}
}

// TestFingerprints: a key's identity is its public key, not its file name
// or PEM form.
func TestFingerprints(t *testing.T) {
	r, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkixPEM, _ := cryptoutils.MarshalPublicKeyToPEM(r.Public())
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&r.PublicKey)})
	a, errA := ParseKey("a.pub", pkixPEM)
	b, errB := ParseKey("b.pub", pkcs1PEM)
	c := newTestKey(t, "rsa").key
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a.fingerprint != b.fingerprint || a.fingerprint == c.fingerprint || len(a.fingerprint) != 64 {
		t.Fatalf("fingerprints %s %s %s", a.fingerprint, b.fingerprint, c.fingerprint)
	}
	if keySetID([]Key{a}) != keySetID([]Key{b, a}) {
		t.Error("the same key twice is another key set")
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k1, k2 := newTestKey(t, "ecdsa"), newTestKey(t, "ed25519")
	pem1, _ := cryptoutils.MarshalPublicKeyToPEM(k1.signer.(interface{ Public() crypto.PublicKey }).Public())
	good := write("release.pub", pem1)
	pem2, _ := cryptoutils.MarshalPublicKeyToPEM(k2.signer.(interface{ Public() crypto.PublicKey }).Public())
	good2 := write("ci.pub", pem2)
	bad := write("broken.pub", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))

	v, err := LoadFiles([]string{good, good2})
	if err != nil {
		t.Fatal(err)
	}
	if name, reason := v.checkOne(k2.sign(t, simplePayload(digestA)), digestA); name != "ci.pub" || reason != "" {
		t.Fatalf("second file's key: %q %q (keys are named by base name)", name, reason)
	}
	_, err = LoadFiles([]string{bad, good, filepath.Join(dir, "absent.pub")})
	if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "absent.pub") {
		t.Fatalf("err %v: want ErrInvalidKey naming both bad files", err)
	}
	if k, err := LoadKeyFile(good); err != nil || k.Name != "release.pub" {
		t.Fatalf("LoadKeyFile = %+v, %v", k.Name, err)
	}
}
