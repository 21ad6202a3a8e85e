package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/verify/verifytest"
)

func policyVerification(reason string) policy.Verification {
	return policy.Verification{Reason: reason}
}

const (
	testIssuer  = "https://token.actions.example.com"
	testSubject = "https://git.example.com/team/app/.github/workflows/release.yml@refs/heads/main"
)

// virtualSigstore is the test's private sigstore (verifytest).
type virtualSigstore struct {
	*verifytest.Sigstore
	root []byte
}

func newVirtualSigstore(t testing.TB) virtualSigstore {
	t.Helper()
	vs := verifytest.NewSigstore(t)
	return virtualSigstore{Sigstore: vs, root: vs.TrustedRoot}
}

func (v virtualSigstore) bundle(t testing.TB, subject, issuer, digest, predicate string) []byte {
	t.Helper()
	return v.Bundle(t, subject, issuer, digest, predicate)
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
