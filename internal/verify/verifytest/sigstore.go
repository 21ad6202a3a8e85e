// Package verifytest makes a private sigstore for tests: keyless
// signatures (sigstore bundles) that internal/verify checks against its
// trusted root, without the public sigstore.
package verifytest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
)

// CosignSignPredicate is the predicate type of cosign's image signatures.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// Sigstore is a private sigstore (Fulcio CA, Rekor log, TSA) made in a
// test with sigstore-go's helpers, and its trusted_root.json.
type Sigstore struct {
	ca *ca.VirtualSigstore
	// TrustedRoot is the sigstore TrustedRoot JSON that trusts it.
	TrustedRoot []byte
}

// NewSigstore makes a private sigstore.
func NewSigstore(t testing.TB) *Sigstore {
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
	return &Sigstore{ca: vs, TrustedRoot: b}
}

// CosignStatement is the in-toto statement cosign signs for an image.
func CosignStatement(digest, predicate string) []byte {
	return []byte(fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"img","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`,
		strings.TrimPrefix(digest, "sha256:"), predicate))
}

// Bundle signs a cosign statement for digest as subject/issuer and
// returns the sigstore bundle (v0.3 JSON) cosign would store.
func (v *Sigstore) Bundle(t testing.TB, subject, issuer, digest, predicate string) []byte {
	t.Helper()
	// As Attest does (a time the leaf certificate is valid at), with an
	// inclusion proof, which v0.3 bundles need.
	ent, err := v.ca.AttestAtTime(subject, issuer, CosignStatement(digest, predicate), time.Now().Add(5*time.Minute), true)
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
