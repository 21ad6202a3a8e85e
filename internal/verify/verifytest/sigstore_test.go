package verifytest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
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
