package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/imagepilot/imagepilot/internal/registry"
)

func TestIdentityString(t *testing.T) {
	for _, tc := range []struct {
		id   Identity
		want string
	}{
		{Identity{Issuer: "https://accounts.google.com", Subject: "dev@example.com"}, "dev@example.com (https://accounts.google.com)"},
		{Identity{IssuerRegexp: `^https://token\.`, Subject: "x"}, `x (/^https://token\./)`},
		{Identity{Issuer: "i", SubjectRegexp: `@example\.com$`}, `/@example\.com$/ (i)`},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.id, got, tc.want)
		}
	}
}

// TestKeylessRegistryErrors: a registry failure at any step is an error,
// never a verdict, and is not remembered; a refusal is re-checked when
// the referrers index changes.
func TestKeylessRegistryErrors(t *testing.T) {
	vs := newVirtualSigstore(t)
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(path, vs.root, 0o600); err != nil {
		t.Fatal(err)
	}
	ids := []Identity{{Issuer: testIssuer, Subject: testSubject}}
	good := vs.bundle(t, testSubject, testIssuer, digestA, cosignSignPredicate)
	ctx := context.Background()
	for _, method := range []string{"ReferrersIndexDigest", "SigstoreBundles", "CosignSignatureDigest"} {
		k, err := LoadKeyless(path, ids)
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("registry unavailable")
		src := &changingSource{fakeSource: fakeSource{sigs: map[string][]registry.CosignSignature{}, bundles: map[string][][]byte{digestA: {good}}},
			fail: map[string]error{method: boom}}
		if method == "CosignSignatureDigest" {
			delete(src.bundles, digestA) // the legacy lookup happens only without bundles
		}
		got, err := k.Verify(ctx, src, "t", digestA)
		if !errors.Is(err, boom) || got.Verified {
			t.Errorf("%s failing: %+v, %v", method, got, err)
		}
		src.fail = nil
		src.bundles[digestA] = [][]byte{good}
		if got, err := k.Verify(ctx, src, "t", digestA); err != nil || !got.Verified {
			t.Errorf("%s recovered: %+v, %v", method, got, err)
		}
	}
	k, _ := NewKeyless(vs.root, ids)
	if _, err := k.Verify(ctx, nil, "t", digestA); err == nil {
		t.Error("a Metadata without signatures verified")
	}
	// A refusal stands until the referrers index changes.
	src := &fakeSource{bundles: map[string][][]byte{digestA: {vs.bundle(t, "mallory@example.com", testIssuer, digestA, cosignSignPredicate)}}}
	if got, _ := k.Verify(ctx, src, "t", digestA); got.Reason != ReasonIdentityMismatch {
		t.Fatalf("first: %+v", got)
	}
	src.bundles[digestA] = [][]byte{good}
	if got, _ := k.Verify(ctx, src, "t", digestA); got.Verified {
		t.Fatal("the same index was read again")
	}
	k.limit = 1
	k.remember(digestB, digestB+"|x", policyVerification(ReasonUntrusted), "")
	if got, _ := k.Verify(ctx, src, "t", digestA); !got.Verified {
		t.Fatalf("after the cache was emptied the new bundle was not checked: %+v", got)
	}
}
