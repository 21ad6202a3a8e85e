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
	"encoding/base64"
	"errors"
	"fmt"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// testKey is a signing key and its public half as a Key.
type testKey struct {
	signer signature.Signer
	key    Key
}

func newTestKey(t *testing.T, kind string) testKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(kind+".pub", pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{signer: s, key: k}
}

func simplePayload(digest string) []byte {
	return []byte(fmt.Sprintf(`{"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, digest))
}

func (k testKey) sign(t *testing.T, payload []byte) registry.CosignSignature {
	t.Helper()
	sig, err := k.signer.SignMessage(strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	return registry.CosignSignature{Payload: payload, Signature: base64.StdEncoding.EncodeToString(sig)}
}

// fakeSource serves signature manifests and counts calls.
type fakeSource struct {
	policy.Metadata
	sigs    map[string][]registry.CosignSignature // image digest -> layers
	bundles map[string][][]byte                   // image digest -> bundles
	// api holds the bundles the referrers API lists, by image digest.
	api   map[string][][]byte
	err   error
	calls int
}

func (f *fakeSource) ReferrersAPI(_ context.Context, d string) (registry.ReferrerSet, bool, error) {
	f.calls++
	if f.api == nil {
		return registry.ReferrerSet{}, false, nil
	}
	set := registry.ReferrerSet{ID: fmt.Sprintf("set-%d", len(f.api[d]))}
	for range f.api[d] {
		set.Bundles = append(set.Bundles, v1.Descriptor{})
	}
	return set, true, nil
}

func (f *fakeSource) ReferrerBundles(_ context.Context, set registry.ReferrerSet, d string) ([][]byte, error) {
	f.calls++
	return f.api[d], nil
}

func (f *fakeSource) CosignSignatureDigest(_ context.Context, d string) (string, bool, error) {
	f.calls++
	if f.err != nil {
		return "", false, f.err
	}
	_, ok := f.sigs[d]
	return "sig-of-" + d, ok, nil
}

func (f *fakeSource) CosignSignatures(_ context.Context, sd string) ([]registry.CosignSignature, error) {
	f.calls++
	return f.sigs[strings.TrimPrefix(sd, "sig-of-")], nil
}

func (f *fakeSource) ReferrersIndexDigest(_ context.Context, d string) (string, bool, error) {
	f.calls++
	_, ok := f.bundles[d]
	return "idx-of-" + d, ok, nil
}

func (f *fakeSource) SigstoreBundles(_ context.Context, idx, d string) ([][]byte, error) {
	f.calls++
	return f.bundles[d], nil
}

// bundle makes a cosign-style sigstore bundle: a DSSE envelope of an
// in-toto statement naming digest, signed over the DSSE PAE.
func (k testKey) bundle(t *testing.T, digest, predicate string) []byte {
	t.Helper()
	h := strings.TrimPrefix(digest, "sha256:")
	st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":%q}}],"predicateType":%q}`, h, predicate)
	sig, err := k.signer.SignMessage(bytes.NewReader(dsse.PAE(inTotoPayloadType, []byte(st))))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":%q,"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":%q}]}}`,
		base64.StdEncoding.EncodeToString([]byte(st)), base64.StdEncoding.EncodeToString(sig)))
}

func TestVerifyBundles(t *testing.T) {
	ec, other := newTestKey(t, "ecdsa"), newTestKey(t, "ecdsa")
	tests := []struct {
		name    string
		bundles [][]byte
		want    bool
		reason  string
	}{
		{name: "signed", bundles: [][]byte{ec.bundle(t, digestA, cosignSignPredicate)}, want: true},
		{name: "wrong key", bundles: [][]byte{other.bundle(t, digestA, cosignSignPredicate)}, reason: ReasonWrongKey},
		{name: "other digest", bundles: [][]byte{ec.bundle(t, digestB, cosignSignPredicate)}, reason: ReasonOtherDigest},
		{name: "attestation is not a signature", bundles: [][]byte{ec.bundle(t, digestA, "https://slsa.dev/provenance/v1")}, reason: ReasonUnreadable},
		{name: "garbage", bundles: [][]byte{[]byte("{")}, reason: ReasonUnreadable},
		{name: "empty index", bundles: [][]byte{}, reason: ReasonNoSignature},
	}
	// The same bundles found through the referrers tag schema and through
	// the OCI referrers API (registries with the API get no tag).
	for _, via := range []string{"tag", "api"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				v, err := New([]Key{ec.key})
				if err != nil {
					t.Fatal(err)
				}
				src := &fakeSource{bundles: map[string][][]byte{digestA: tt.bundles}}
				if via == "api" {
					src = &fakeSource{api: map[string][][]byte{digestA: tt.bundles}}
				}
				got, err := v.Verify(context.Background(), src, "t", digestA)
				if err != nil {
					t.Fatal(err)
				}
				if got.Verified != tt.want || (tt.reason != "" && got.Reason != tt.reason) {
					t.Errorf("got %+v, want verified=%v reason %q", got, tt.want, tt.reason)
				}
				if via != "api" || len(tt.bundles) == 0 {
					return
				}
				// Asked again: a verified digest costs nothing; a failed
				// one costs the lookups but not the bundles of the same set.
				before := src.calls
				if again, err := v.Verify(context.Background(), src, "t", digestA); err != nil || again != got {
					t.Fatalf("second answer %+v, %v; first %+v", again, err, got)
				}
				want := 3 // signature tag, referrers tag, referrers API
				if tt.want {
					want = 0
				}
				if src.calls-before != want {
					t.Errorf("second Verify made %d source calls, want %d", src.calls-before, want)
				}
			})
		}
	}
}

func TestVerify(t *testing.T) {
	ec, rs, ed, other := newTestKey(t, "ecdsa"), newTestKey(t, "rsa"), newTestKey(t, "ed25519"), newTestKey(t, "ecdsa")
	tests := []struct {
		name   string
		keys   []testKey
		sigs   []registry.CosignSignature
		want   bool
		reason string
	}{
		{name: "ecdsa", keys: []testKey{ec}, sigs: []registry.CosignSignature{ec.sign(t, simplePayload(digestA))}, want: true, reason: "signed by ecdsa.pub"},
		{name: "rsa", keys: []testKey{rs}, sigs: []registry.CosignSignature{rs.sign(t, simplePayload(digestA))}, want: true},
		{name: "ed25519", keys: []testKey{ed}, sigs: []registry.CosignSignature{ed.sign(t, simplePayload(digestA))}, want: true},
		{name: "any of several keys", keys: []testKey{other, rs}, sigs: []registry.CosignSignature{rs.sign(t, simplePayload(digestA))}, want: true, reason: "signed by rsa.pub"},
		{name: "wrong key", keys: []testKey{other}, sigs: []registry.CosignSignature{ec.sign(t, simplePayload(digestA))}, reason: ReasonWrongKey},
		{name: "other digest", keys: []testKey{ec}, sigs: []registry.CosignSignature{ec.sign(t, simplePayload(digestB))}, reason: ReasonOtherDigest},
		{name: "no signature", keys: []testKey{ec}, reason: ReasonNoSignature},
		{name: "no annotation", keys: []testKey{ec}, sigs: []registry.CosignSignature{{Payload: simplePayload(digestA)}}, reason: ReasonNoSignature},
		{name: "bad base64", keys: []testKey{ec}, sigs: []registry.CosignSignature{{Payload: simplePayload(digestA), Signature: "!!"}}, reason: ReasonUnreadable},
		{name: "signed garbage", keys: []testKey{ec}, sigs: []registry.CosignSignature{ec.sign(t, []byte("{}"))}, reason: ReasonUnreadable},
		{name: "tampered payload", keys: []testKey{ec}, sigs: []registry.CosignSignature{{Payload: simplePayload(digestA), Signature: ec.sign(t, simplePayload(digestB)).Signature}}, reason: ReasonWrongKey},
		{name: "one good among bad", keys: []testKey{ec}, sigs: []registry.CosignSignature{other.sign(t, simplePayload(digestA)), ec.sign(t, simplePayload(digestA))}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []Key
			for _, k := range tt.keys {
				keys = append(keys, k.key)
			}
			v, err := New(keys)
			if err != nil {
				t.Fatal(err)
			}
			src := &fakeSource{sigs: map[string][]registry.CosignSignature{}}
			if tt.sigs != nil || strings.Contains(tt.name, "annotation") {
				src.sigs[digestA] = tt.sigs
			}
			got, err := v.Verify(context.Background(), src, "t", digestA)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verified != tt.want || (tt.reason != "" && got.Reason != tt.reason) {
				t.Errorf("got %+v, want verified=%v reason %q", got, tt.want, tt.reason)
			}
			// A second question costs nothing for a known answer.
			before := src.calls
			again, err := v.Verify(context.Background(), src, "t", digestA)
			if err != nil || again != got {
				t.Fatalf("second answer %+v, %v; first %+v", again, err, got)
			}
			wantExtra := 2 // a failure is looked up again by signature digests
			if _, tagged := src.sigs[digestA]; !tagged {
				wantExtra++ // and the referrers API asked (a registry without one is asked once per process)
			}
			if tt.want {
				wantExtra = 0
			}
			if src.calls-before != wantExtra {
				t.Errorf("second Verify made %d source calls, want %d", src.calls-before, wantExtra)
			}
		})
	}
}

func TestVerifyRegistryErrorIsError(t *testing.T) {
	v, err := New([]Key{newTestKey(t, "ecdsa").key})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("503")
	_, err = v.Verify(context.Background(), &fakeSource{err: boom}, "t", digestA)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the registry error", err)
	}
	if _, err := v.Verify(context.Background(), nil, "t", digestA); err == nil {
		t.Fatal("a Metadata without signatures verified")
	}
}

func TestParseKeyErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM, _ := cryptoutils.MarshalPublicKeyToPEM(small.Public())
	for name, in := range map[string][]byte{
		"empty":       nil,
		"not pem":     []byte("hello"),
		"private key": []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
		"bad der":     []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
		"rsa 1024":    smallPEM,
	} {
		if _, err := ParseKey(name, in); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := LoadFiles([]string{"/nonexistent/k.pub"}); !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), "/nonexistent/k.pub") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := LoadFiles(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("no keys: err = %v", err)
	}
}

func TestKeySetIDOrderIndependent(t *testing.T) {
	a, b := newTestKey(t, "ecdsa").key, newTestKey(t, "ed25519").key
	if keySetID([]Key{a, b}) != keySetID([]Key{b, a}) || keySetID([]Key{a}) == keySetID([]Key{a, b}) {
		t.Error("key set id depends on order or ignores keys")
	}
}
