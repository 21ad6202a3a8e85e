package verify

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// ErrInvalidKey marks a key that cannot be read or used: a configuration
// error, never a reason to verify less.
var ErrInvalidKey = errors.New("invalid cosign public key")

// Key is one public key signatures may be made with.
type Key struct {
	// Name identifies the key in reasons (the file's base name).
	Name string
	// fingerprint is the SHA-256 of the key's PKIX DER form.
	fingerprint string
	verifiers   []signature.Verifier
}

// LoadKeyFile reads a PEM public key file (ECDSA P-256/384/521, RSA
// 2048-4096, Ed25519). The error wraps ErrInvalidKey and names the file.
func LoadKeyFile(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	k, err := ParseKey(filepath.Base(path), b)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKey parses a PEM public key ("PUBLIC KEY" or "RSA PUBLIC KEY").
// The error wraps ErrInvalidKey.
func ParseKey(name string, pemBytes []byte) (Key, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if err := cryptoutils.ValidatePubKey(pub); err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	vs, err := keyVerifiers(pub)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(der)
	return Key{Name: name, fingerprint: hex.EncodeToString(sum[:]), verifiers: vs}, nil
}

// keyVerifiers returns the verifiers cosign signatures made with pub may
// need: SHA-256 (what cosign uses for ECDSA and RSA keys), the hash the
// key's size calls for (SHA-384 for P-384, SHA-512 for P-521), and for
// Ed25519 both pure Ed25519 and Ed25519ph (which cosign signs with).
func keyVerifiers(pub crypto.PublicKey) ([]signature.Verifier, error) {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	out := []signature.Verifier{v}
	if d, err := signature.LoadDefaultVerifier(pub); err == nil {
		out = append(out, d)
	}
	if _, ok := pub.(ed25519.PublicKey); ok {
		ph, err := signature.LoadVerifierWithOpts(pub, options.WithED25519ph())
		if err != nil {
			return nil, err
		}
		out = append(out, ph)
	}
	return out, nil
}

// keySetID names a set of keys independently of their order.
func keySetID(keys []Key) string {
	fps := make([]string, len(keys))
	for i, k := range keys {
		fps[i] = k.fingerprint
	}
	slices.Sort(fps)
	h := sha256.New()
	for _, fp := range slices.Compact(fps) {
		h.Write([]byte(fp))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
