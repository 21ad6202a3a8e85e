package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/imagepilot/imagepilot/internal/registry"
)

// rawBundle builds a key-signed bundle from its parts, to break one at a
// time.
func rawBundle(t *testing.T, k testKey, mediaType, payloadType string, statement []byte, sigs ...string) []byte {
	t.Helper()
	if sigs == nil {
		sig, err := k.signer.SignMessage(bytes.NewReader(dsse.PAE(payloadType, statement)))
		if err != nil {
			t.Fatal(err)
		}
		sigs = []string{base64.StdEncoding.EncodeToString(sig)}
	}
	var list []string
	for _, s := range sigs {
		list = append(list, fmt.Sprintf(`{"sig":%q}`, s))
	}
	return []byte(fmt.Sprintf(`{"mediaType":%q,"dsseEnvelope":{"payload":%q,"payloadType":%q,"signatures":[%s]}}`,
		mediaType, base64.StdEncoding.EncodeToString(statement), payloadType, strings.Join(list, ",")))
}

// TestBundleDecisions: each way a key-signed bundle can be malformed,
// misdirected or forged gives its reason; only a DSSE signature by a key
// over a cosign statement naming the image verifies.
func TestBundleDecisions(t *testing.T) {
	k, other := newTestKey(t, "ecdsa"), newTestKey(t, "ecdsa")
	const mt, pt = "application/vnd.dev.sigstore.bundle.v0.3+json", inTotoPayloadType
	hexA := strings.TrimPrefix(digestA, "sha256:")
	stmt := func(subjects string, typ, pred string) []byte {
		return []byte(fmt.Sprintf(`{"_type":%q,"subject":[%s],"predicateType":%q}`, typ, subjects, pred))
	}
	subj := func(h string) string { return fmt.Sprintf(`{"digest":{"sha256":%q}}`, h) }
	good := stmt(subj(hexA), "https://in-toto.io/Statement/v1", cosignSignPredicate)
	plainSig, _ := k.signer.SignMessage(bytes.NewReader(good))
	tests := []struct {
		name   string
		bundle []byte
		key    string
		reason string
	}{
		{"signed", rawBundle(t, k, mt, pt, good), "ecdsa.pub", ""},
		{"v0.2 media type", rawBundle(t, k, "application/vnd.dev.sigstore.bundle+json;version=0.2", pt, good), "ecdsa.pub", ""},
		{"statement v0.1", rawBundle(t, k, mt, pt, stmt(subj(hexA), "https://in-toto.io/Statement/v0.1", cosignSignPredicate)), "ecdsa.pub", ""},
		{"upper-case hex subject", rawBundle(t, k, mt, pt, stmt(subj(strings.ToUpper(hexA)), "https://in-toto.io/Statement/v1", cosignSignPredicate)), "ecdsa.pub", ""},
		{"image among several subjects", rawBundle(t, k, mt, pt, stmt(subj(strings.Repeat("b", 64))+","+subj(hexA), "https://in-toto.io/Statement/v1", cosignSignPredicate)), "ecdsa.pub", ""},
		{"unreadable signature skipped for a good one", rawBundle(t, k, mt, pt, good, "!!", base64.StdEncoding.EncodeToString(mustPAESig(t, k, good))), "ecdsa.pub", ""},
		{"not a sigstore bundle", rawBundle(t, k, "application/json", pt, good), "", ReasonUnreadable},
		{"other payload type", rawBundle(t, k, mt, "application/json", good), "", ReasonUnreadable},
		{"no signatures", []byte(fmt.Sprintf(`{"mediaType":%q,"dsseEnvelope":{"payload":%q,"payloadType":%q,"signatures":[]}}`, mt, base64.StdEncoding.EncodeToString(good), pt)), "", ReasonUnreadable},
		{"payload not base64", []byte(`{"mediaType":"` + mt + `","dsseEnvelope":{"payload":"%%","payloadType":"` + pt + `","signatures":[{"sig":"AA=="}]}}`), "", ReasonUnreadable},
		{"message signature without a bundle envelope", []byte(`{"mediaType":"` + mt + `","messageSignature":{}}`), "", ReasonUnreadable},
		{"signature over the bare statement, not the PAE", rawBundle(t, k, mt, pt, good, base64.StdEncoding.EncodeToString(plainSig)), "", ReasonWrongKey},
		{"another key", rawBundle(t, other, mt, pt, good), "", ReasonWrongKey},
		{"not an in-toto statement", rawBundle(t, k, mt, pt, stmt(subj(hexA), "https://example.com/Statement", cosignSignPredicate)), "", ReasonUnreadable},
		{"short subject digest", rawBundle(t, k, mt, pt, stmt(subj("abcd"), "https://in-toto.io/Statement/v1", cosignSignPredicate)), "", ReasonUnreadable},
		{"sha512 subject only", rawBundle(t, k, mt, pt, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha512":"`+strings.Repeat("a", 128)+`"}}],"predicateType":"`+cosignSignPredicate+`"}`)), "", ReasonUnreadable},
		{"signed for another image", rawBundle(t, k, mt, pt, stmt(subj(strings.Repeat("b", 64)), "https://in-toto.io/Statement/v1", cosignSignPredicate)), "", ReasonOtherDigest},
	}
	v, err := New([]Key{k.key})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, reason := v.checkBundle(tt.bundle, digestA)
			if key != tt.key || reason != tt.reason {
				t.Fatalf("checkBundle = %q, %q; want %q, %q", key, reason, tt.key, tt.reason)
			}
		})
	}
}

func mustPAESig(t *testing.T, k testKey, statement []byte) []byte {
	t.Helper()
	sig, err := k.signer.SignMessage(bytes.NewReader(dsse.PAE(inTotoPayloadType, statement)))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestTally: the answer is the first verifying key, else the most telling
// reason, whatever the order the signatures come in.
func TestTally(t *testing.T) {
	for _, tc := range []struct {
		adds [][2]string // key, reason
		key  string
		why  string
	}{
		{nil, "", ReasonNoSignature},
		{[][2]string{{"", ReasonUnreadable}}, "", ReasonUnreadable},
		{[][2]string{{"", ReasonOtherDigest}, {"", ReasonUnreadable}, {"", ReasonWrongKey}}, "", ReasonOtherDigest},
		{[][2]string{{"", ReasonUnreadable}, {"", ReasonWrongKey}, {"", ReasonNoSignature}}, "", ReasonWrongKey},
		{[][2]string{{"", ReasonWrongKey}, {"a.pub", ""}, {"b.pub", ""}}, "a.pub", ""},
		{[][2]string{{"", "an unknown reason"}}, "", ReasonNoSignature},
	} {
		var tl tally
		for _, a := range tc.adds {
			tl.add(a[0], a[1])
		}
		if tl.key != tc.key || (tc.key == "" && tl.reason() != tc.why) {
			t.Errorf("%v: key %q reason %q, want %q %q", tc.adds, tl.key, tl.reason(), tc.key, tc.why)
		}
	}
}

// TestLegacyAndBundles: both formats are read when present; a verified
// legacy signature spares the bundles, and the answer is the most telling
// across both.
func TestLegacyAndBundles(t *testing.T) {
	k, other := newTestKey(t, "ecdsa"), newTestKey(t, "ecdsa")
	tests := []struct {
		name    string
		legacy  []registry.CosignSignature
		bundles [][]byte
		want    string
		calls   int
	}{
		{"legacy verifies, bundles not read", []registry.CosignSignature{k.sign(t, simplePayload(digestA))}, [][]byte{[]byte("{")}, "signed by ecdsa.pub", 3},
		{"legacy wrong key, bundle verifies", []registry.CosignSignature{other.sign(t, simplePayload(digestA))}, [][]byte{k.bundle(t, digestA, cosignSignPredicate)}, "signed by ecdsa.pub", 4},
		{"legacy unreadable, bundle for another image", []registry.CosignSignature{{Payload: []byte("x"), Signature: "!!"}}, [][]byte{k.bundle(t, digestB, cosignSignPredicate)}, ReasonOtherDigest, 4},
		{"legacy for another image, bundle wrong key", []registry.CosignSignature{k.sign(t, simplePayload(digestB))}, [][]byte{other.bundle(t, digestA, cosignSignPredicate)}, ReasonOtherDigest, 4},
	}
	for _, tt := range tests {
		v, _ := New([]Key{k.key})
		src := &fakeSource{sigs: map[string][]registry.CosignSignature{digestA: tt.legacy}, bundles: map[string][][]byte{digestA: tt.bundles}}
		got, err := v.Verify(context.Background(), src, "t", digestA)
		if err != nil || got.Reason != tt.want || got.Verified != strings.HasPrefix(tt.want, "signed by") || src.calls != tt.calls {
			t.Errorf("%s: %+v, %v after %d calls; want %q after %d", tt.name, got, err, src.calls, tt.want, tt.calls)
		}
	}
}

// changingSource is a fakeSource whose signature manifest digest changes
// when its signatures do, as a registry's does, and that can fail once.
type changingSource struct {
	fakeSource
	version int
	fail    map[string]error // method -> error
}

func (c *changingSource) CosignSignatureDigest(ctx context.Context, d string) (string, bool, error) {
	if err := c.fail["CosignSignatureDigest"]; err != nil {
		return "", false, err
	}
	sd, ok, err := c.fakeSource.CosignSignatureDigest(ctx, d)
	return fmt.Sprintf("%s@%d", sd, c.version), ok, err
}

func (c *changingSource) CosignSignatures(ctx context.Context, sd string) ([]registry.CosignSignature, error) {
	if err := c.fail["CosignSignatures"]; err != nil {
		return nil, err
	}
	return c.fakeSource.CosignSignatures(ctx, sd[:strings.LastIndex(sd, "@")])
}

func (c *changingSource) ReferrersIndexDigest(ctx context.Context, d string) (string, bool, error) {
	if err := c.fail["ReferrersIndexDigest"]; err != nil {
		return "", false, err
	}
	return c.fakeSource.ReferrersIndexDigest(ctx, d)
}

func (c *changingSource) SigstoreBundles(ctx context.Context, idx, d string) ([][]byte, error) {
	if err := c.fail["SigstoreBundles"]; err != nil {
		return nil, err
	}
	return c.fakeSource.SigstoreBundles(ctx, idx, d)
}

// TestFailureCache: a refusal is remembered only for the signatures it
// was made on; new signatures are checked, and registry errors are never
// remembered as an answer.
func TestFailureCache(t *testing.T) {
	k, other := newTestKey(t, "ecdsa"), newTestKey(t, "ecdsa")
	v, _ := New([]Key{k.key})
	src := &changingSource{fakeSource: fakeSource{sigs: map[string][]registry.CosignSignature{digestA: {other.sign(t, simplePayload(digestA))}}}}
	ctx := context.Background()
	if got, err := v.Verify(ctx, src, "t", digestA); err != nil || got.Reason != ReasonWrongKey {
		t.Fatalf("first: %+v %v", got, err)
	}
	src.sigs[digestA] = []registry.CosignSignature{k.sign(t, simplePayload(digestA))}
	if got, _ := v.Verify(ctx, src, "t", digestA); got.Verified {
		t.Fatal("an unchanged signature manifest was read again")
	}
	src.version++ // the signature manifest changed
	if got, _ := v.Verify(ctx, src, "t", digestA); !got.Verified {
		t.Fatalf("the new signature was not checked: %+v", got)
	}
	for _, method := range []string{"CosignSignatureDigest", "CosignSignatures", "ReferrersIndexDigest", "SigstoreBundles"} {
		v, _ := New([]Key{k.key})
		boom := errors.New("registry unavailable")
		s := &changingSource{fakeSource: fakeSource{sigs: map[string][]registry.CosignSignature{digestA: {k.sign(t, simplePayload(digestA))}},
			bundles: map[string][][]byte{digestA: {[]byte("{")}}}, fail: map[string]error{method: boom}}
		if method == "SigstoreBundles" {
			s.sigs[digestA] = nil // bundles are read only when no legacy signature verifies
		}
		got, err := v.Verify(ctx, s, "t", digestA)
		if !errors.Is(err, boom) || got.Verified || got.Reason != "" {
			t.Errorf("%s failing: %+v, %v; want the error and no verdict", method, got, err)
		}
		s.fail = nil
		s.sigs[digestA] = []registry.CosignSignature{k.sign(t, simplePayload(digestA))}
		if got, err := v.Verify(ctx, s, "t", digestA); err != nil || !got.Verified {
			t.Errorf("%s recovered: %+v, %v (an error was cached)", method, got, err)
		}
	}
}

func TestCacheLimit(t *testing.T) {
	k := newTestKey(t, "ecdsa")
	v, _ := New([]Key{k.key})
	v.limit = 2
	src := &fakeSource{sigs: map[string][]registry.CosignSignature{}}
	digests := []string{digestA, digestB, "sha256:" + strings.Repeat("c", 64)}
	for _, d := range digests {
		src.sigs[d] = []registry.CosignSignature{k.sign(t, simplePayload(d))}
		if got, err := v.Verify(context.Background(), src, "t", d); err != nil || !got.Verified {
			t.Fatalf("%s: %+v %v", d, got, err)
		}
	}
	if len(v.verified) != 1 || v.verified[digests[2]] != "ecdsa.pub" {
		t.Fatalf("after overflowing a cache of 2: %v", v.verified)
	}
}
