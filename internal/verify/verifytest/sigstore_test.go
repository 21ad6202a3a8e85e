package verifytest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestSigstoreBundleIsWhatCosignStores(t *testing.T) {
	vs := NewSigstore(t)
	if _, err := root.NewTrustedRootFromJSON(vs.TrustedRoot); err != nil {
		t.Fatalf("the trusted root does not parse: %v", err)
	}
	raw := vs.Bundle(t, "dev@example.com", "https://issuer.example", digest, CosignSignPredicate)
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatalf("not a sigstore bundle: %v", err)
	}
	if mt := b.GetMediaType(); mt != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Errorf("media type %q", mt)
	}
	env, err := b.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.RawEnvelope().Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != digest || st.PredicateType != CosignSignPredicate {
		t.Errorf("statement %s does not name the digest and cosign's predicate", payload)
	}
	vc, err := b.VerificationContent()
	if err != nil || vc.Certificate() == nil {
		t.Fatalf("no signing certificate: %v", err)
	}
	if entries, err := b.TlogEntries(); err != nil || len(entries) == 0 {
		t.Fatalf("no transparency log entry: %d, %v", len(entries), err)
	}
}

func TestSigstoresAreDistinct(t *testing.T) {
	a, b := NewSigstore(t), NewSigstore(t)
	if string(a.TrustedRoot) == string(b.TrustedRoot) {
		t.Fatal("two sigstores share a trusted root: a bundle from one would verify with the other")
	}
}

func TestCosignStatement(t *testing.T) {
	st := string(CosignStatement(digest, "p"))
	if !strings.Contains(st, `"sha256":"0123456789abcdef`) || strings.Contains(st, `"sha256":"sha256:`) || !strings.Contains(st, `"predicateType":"p"`) {
		t.Fatalf("statement %s", st)
	}
	if !json.Valid([]byte(st)) {
		t.Fatalf("not JSON: %s", st)
	}
}

// verifyBundle runs sigstore-go's verifier over raw with root, as
// internal/verify does: the log entry and a timestamp must check out, the
// certificate must name subject and issuer, the statement the digest.
func verifyBundle(t *testing.T, trustedRoot, raw []byte, subject, issuer, dgst string) error {
	t.Helper()
	tr, err := root.NewTrustedRootFromJSON(trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sgverify.NewVerifier(tr, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := sgverify.NewShortCertificateIdentity(issuer, "", subject, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	h, err := hex.DecodeString(strings.TrimPrefix(dgst, "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(&b, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", h), sgverify.WithCertificateIdentity(id)))
	return err
}

func TestBundlesVerifyOnlyWhereTheyShould(t *testing.T) {
	vs, other := NewSigstore(t), NewSigstore(t)
	const subject, issuer = "dev@example.com", "https://issuer.example"
	raw := vs.Bundle(t, subject, issuer, digest, CosignSignPredicate)
	otherDigest := "sha256:" + strings.Repeat("f", 64)
	for _, tc := range []struct {
		name            string
		root            []byte
		subject, digest string
		ok              bool
	}{
		{"own root, signer and digest", vs.TrustedRoot, subject, digest, true},
		{"another sigstore's root", other.TrustedRoot, subject, digest, false},
		{"another signer", vs.TrustedRoot, "mallory@example.com", digest, false},
		{"another digest", vs.TrustedRoot, subject, otherDigest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyBundle(t, tc.root, raw, tc.subject, issuer, tc.digest)
			if (err == nil) != tc.ok {
				t.Fatalf("verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
