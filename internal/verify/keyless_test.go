package verify

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
)

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func policyVerification(reason string) policy.Verification {
	return policy.Verification{Reason: reason}
}

const (
	testIssuer  = "https://token.actions.example.com"
	testSubject = "https://git.example.com/team/app/.github/workflows/release.yml@refs/heads/main"
)

// virtualSigstore is a private sigstore (Fulcio CA, Rekor log, TSA) made in
// the test with sigstore-go's helpers, and its trusted_root.json.
type virtualSigstore struct {
	ca   *ca.VirtualSigstore
	root []byte
}

func newVirtualSigstore(t testing.TB) virtualSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	// The helper's logs carry their hex log ID as the ID bytes; a
	// trusted_root.json carries the raw key ID.
	rawIDs := func(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
		out := map[string]*root.TransparencyLog{}
		for id, l := range logs {
			c := *l
			raw, err := hex.DecodeString(id)
			if err != nil {
				t.Fatal(err)
			}
			c.ID = raw
			out[id] = &c
		}
		return out
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), rawIDs(vs.CTLogs()), vs.TimestampingAuthorities(), rawIDs(vs.RekorLogs()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return virtualSigstore{ca: vs, root: b}
}

// cosignStatement is the in-toto statement cosign signs for an image.
func cosignStatement(digest, predicate string) []byte {
	return []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"img","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`,
		strings.TrimPrefix(digest, "sha256:"), predicate))
}

// bundle signs a cosign statement for digest as subject/issuer and
// returns the sigstore bundle (v0.3 JSON) cosign would store.
func (v virtualSigstore) bundle(t testing.TB, subject, issuer, digest, predicate string) []byte {
	t.Helper()
	// As Attest does (a time the leaf certificate is valid at), with an
	// inclusion proof, which v0.3 bundles need.
	ent, err := v.ca.AttestAtTime(subject, issuer, cosignStatement(digest, predicate), time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	return testEntityBundle(t, v.ca, ent)
}

// completeEntry adds what a bundle's log entry carries and the test
// helper's entry lacks: the kind and version from the body, and the signed
// entry timestamp (the inclusion promise) by the virtual Rekor.
func completeEntry(t testing.TB, vs *ca.VirtualSigstore, tle *protorekor.TransparencyLogEntry) *protorekor.TransparencyLogEntry {
	t.Helper()
	var body struct{ Kind, APIVersion string }
	if err := json.Unmarshal(tle.CanonicalizedBody, &body); err != nil {
		t.Fatal(err)
	}
	set, err := vs.RekorSignPayload(tlog.RekorPayload{LogID: hex.EncodeToString(tle.LogId.KeyId), IntegratedTime: tle.IntegratedTime,
		LogIndex: tle.LogIndex, Body: base64.StdEncoding.EncodeToString(tle.CanonicalizedBody)})
	if err != nil {
		t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: body.Kind, Version: body.APIVersion}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return tle
}

func testEntityBundle(t testing.TB, vs *ca.VirtualSigstore, ent *ca.TestEntity) []byte {
	t.Helper()
	vc, err := ent.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ent.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.(*bundle.Envelope).RawEnvelope()
	var sigs []*protodsse.Signature
	for _, s := range env.Signatures {
		raw, err := base64Decode(s.Sig)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, &protodsse.Signature{Sig: raw, Keyid: s.KeyID})
	}
	payload, err := base64Decode(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ent.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	var tles []*protorekor.TransparencyLogEntry
	for _, e := range entries {
		tles = append(tles, completeEntry(t, vs, e.TransparencyLogEntry()))
	}
	tss, err := ent.Timestamps()
	if err != nil {
		t.Fatal(err)
	}
	var stamps []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		stamps = append(stamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               tles,
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: stamps},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType, Signatures: sigs}},
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeyless(t *testing.T) {
	vs, other := newVirtualSigstore(t), newVirtualSigstore(t)
	id := Identity{Issuer: testIssuer, Subject: testSubject}
	for name, tc := range map[string]struct {
		ids     []Identity
		bundles [][]byte
		legacy  bool
		want    bool
		reason  string
	}{
		"exact identity":   {ids: []Identity{id}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, want: true, reason: "signed by " + testSubject + " (" + testIssuer + ")"},
		"subject regexp":   {ids: []Identity{{Issuer: testIssuer, SubjectRegexp: `^https://git\.example\.com/team/`}}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, want: true},
		"issuer regexp":    {ids: []Identity{{IssuerRegexp: `example\.com$`, Subject: testSubject}}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, want: true},
		"other subject":    {ids: []Identity{id}, bundles: [][]byte{vs.bundle(t, "mallory@example.com", testIssuer, digestA, cosignSignPredicate)}, reason: ReasonIdentityMismatch},
		"other issuer":     {ids: []Identity{id}, bundles: [][]byte{vs.bundle(t, testSubject, "https://evil.example", digestA, cosignSignPredicate)}, reason: ReasonIdentityMismatch},
		"another sigstore": {ids: []Identity{id}, bundles: [][]byte{other.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, reason: ReasonUntrusted},
		"other digest":     {ids: []Identity{id}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestB, cosignSignPredicate)}, reason: ReasonOtherDigest},
		"attestation":      {ids: []Identity{id}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestA, "https://slsa.dev/provenance/v1")}, reason: ReasonUnreadable},
		"garbage":          {ids: []Identity{id}, bundles: [][]byte{[]byte(`{"mediaType":"x"}`)}, reason: ReasonUnreadable},
		"one good of two":  {ids: []Identity{id}, bundles: [][]byte{other.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate), vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, want: true},
		"second identity":  {ids: []Identity{{Issuer: "https://x", Subject: "y"}, id}, bundles: [][]byte{vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)}, want: true},
		"no signature":     {ids: []Identity{id}, reason: ReasonNoSignature},
		"legacy only":      {ids: []Identity{id}, legacy: true, reason: ReasonLegacyOnly},
	} {
		// Each case with its bundles behind the referrers tag schema, and
		// (bundle cases) behind the OCI referrers API.
		for _, via := range []string{"tag", "api"} {
			if via == "api" && tc.bundles == nil {
				continue
			}
			t.Run(via+"/"+name, func(t *testing.T) {
				k, err := NewKeyless(vs.root, tc.ids)
				if err != nil {
					t.Fatal(err)
				}
				src := &fakeSource{sigs: map[string][]registry.CosignSignature{}, bundles: map[string][][]byte{}}
				if tc.bundles != nil && via == "tag" {
					src.bundles[digestA] = tc.bundles
				}
				if via == "api" {
					src.api = map[string][][]byte{digestA: tc.bundles}
				}
				if tc.legacy {
					src.sigs[digestA] = nil
				}
				got, err := k.Verify(context.Background(), src, "t", digestA)
				if err != nil {
					t.Fatal(err)
				}
				if got.Verified != tc.want || (tc.reason != "" && got.Reason != tc.reason) {
					t.Fatalf("got %+v, want verified=%v reason %q", got, tc.want, tc.reason)
				}
				before := src.calls
				again, err := k.Verify(context.Background(), src, "t", digestA)
				if err != nil || again != got {
					t.Fatalf("second answer %+v %v", again, err)
				}
				if tc.want && src.calls != before {
					t.Errorf("a verified digest was read again (%d calls)", src.calls-before)
				}
			})
		}
	}
}

func TestNewKeylessErrors(t *testing.T) {
	vs := newVirtualSigstore(t)
	id := Identity{Issuer: testIssuer, Subject: testSubject}
	for name, tc := range map[string]struct {
		root []byte
		ids  []Identity
	}{
		"no identity":       {root: vs.root},
		"no issuer":         {root: vs.root, ids: []Identity{{Subject: testSubject}}},
		"issuer twice":      {root: vs.root, ids: []Identity{{Issuer: testIssuer, IssuerRegexp: "x", Subject: testSubject}}},
		"no subject":        {root: vs.root, ids: []Identity{{Issuer: testIssuer}}},
		"bad regexp":        {root: vs.root, ids: []Identity{{Issuer: testIssuer, SubjectRegexp: "("}}},
		"root not json":     {root: []byte("{"), ids: []Identity{id}},
		"root without a CA": {root: []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), ids: []Identity{id}},
	} {
		if _, err := NewKeyless(tc.root, tc.ids); !errors.Is(err, ErrInvalidTrustedRoot) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := LoadKeyless("/nonexistent/trusted_root.json", []Identity{id}); !errors.Is(err, ErrInvalidTrustedRoot) {
		t.Errorf("missing file: %v", err)
	}
}

func TestAny(t *testing.T) {
	yes := answer{v: verified("a")}
	no := answer{v: policyVerification(ReasonWrongKey)}
	no2 := answer{v: policyVerification(ReasonIdentityMismatch)}
	boom := answer{err: errors.New("503")}
	if got, err := (Any{no, yes}).Verify(context.Background(), nil, "t", digestA); err != nil || !got.Verified {
		t.Errorf("no, yes: %+v %v", got, err)
	}
	if got, _ := (Any{no, no2}).Verify(context.Background(), nil, "t", digestA); got.Verified || got.Reason != ReasonWrongKey+"; "+ReasonIdentityMismatch {
		t.Errorf("no, no: %+v", got)
	}
	if _, err := (Any{no, boom, yes}).Verify(context.Background(), nil, "t", digestA); err == nil {
		t.Error("an error was skipped")
	}
	if got, _ := (Any{}).Verify(context.Background(), nil, "t", digestA); got.Verified {
		t.Error("empty Any verified")
	}
}
