package verify

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// Reasons a keyless signature does not verify.
const (
	// ReasonIdentityMismatch: a signature from the trusted root whose
	// certificate names another signer or issuer.
	ReasonIdentityMismatch = "certificate identity mismatch"
	// ReasonUntrusted: the certificate chain, transparency-log entry or
	// timestamp does not verify against the trusted root.
	ReasonUntrusted = "not trusted by the trusted root"
	// ReasonLegacyOnly: only a legacy .sig signature exists; keyless
	// verification reads sigstore bundles.
	ReasonLegacyOnly = "legacy signature only (keyless verification reads sigstore bundles)"
)

// ErrInvalidTrustedRoot marks a trusted root or identity that cannot be
// used: a configuration error, never a reason to verify less.
var ErrInvalidTrustedRoot = errors.New("invalid keyless verification setting")

// Identity is the signer a keyless signature's certificate must name: the
// OIDC issuer and the subject (the certificate's SAN: an e-mail, a URI such
// as a CI workflow), each exact or as a regular expression (RE2, matched
// anywhere unless anchored).
type Identity struct {
	Issuer, IssuerRegexp   string
	Subject, SubjectRegexp string
}

// Keyless verifies sigstore bundles signed with short-lived Fulcio
// certificates, offline, against a trusted root the user supplies: the
// certificate must chain to one of its certificate authorities, name one of
// the identities, and be valid when the transparency log (whose entry must
// verify with the root's log keys) or a timestamp authority saw the
// signature; the in-toto statement must be a cosign signature naming the
// image's digest. Results are cached by image digest like [Verifier]'s. It
// implements policy.Verifier and is safe for concurrent use.
type Keyless struct {
	sv    *sgverify.Verifier
	ids   []sgverify.CertificateIdentity
	names string

	mu       sync.Mutex
	verified map[string]string
	failed   map[string]policy.Verification
	limit    int
}

var _ policy.Verifier = (*Keyless)(nil)

// LoadKeyless reads a trusted_root.json (the sigstore TrustedRoot format,
// as `cosign trusted-root create` writes or the sigstore TUF repository
// serves) and returns a Keyless verifier for the identities (at least one).
// Errors wrap ErrInvalidTrustedRoot and name the file.
func LoadKeyless(trustedRootPath string, ids []Identity) (*Keyless, error) {
	b, err := os.ReadFile(trustedRootPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTrustedRoot, err)
	}
	k, err := NewKeyless(b, ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", trustedRootPath, err)
	}
	return k, nil
}

// NewKeyless returns a Keyless verifier for a trusted root (JSON) and the
// identities. Errors wrap ErrInvalidTrustedRoot.
func NewKeyless(trustedRootJSON []byte, ids []Identity) (*Keyless, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no certificate identity given", ErrInvalidTrustedRoot)
	}
	tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: trusted root: %w", ErrInvalidTrustedRoot, err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 {
		return nil, fmt.Errorf("%w: trusted root has no certificate authority", ErrInvalidTrustedRoot)
	}
	sv, err := sgverify.NewVerifier(tr, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidTrustedRoot, err)
	}
	k := &Keyless{sv: sv, verified: map[string]string{}, failed: map[string]policy.Verification{}, limit: defaultCacheEntries}
	var names []string
	for _, id := range ids {
		if (id.Issuer == "") == (id.IssuerRegexp == "") || (id.Subject == "") == (id.SubjectRegexp == "") {
			return nil, fmt.Errorf("%w: an identity needs exactly one of issuer and issuer regexp, and exactly one of subject and subject regexp", ErrInvalidTrustedRoot)
		}
		ci, err := sgverify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
		if err != nil {
			return nil, fmt.Errorf("%w: identity: %w", ErrInvalidTrustedRoot, err)
		}
		k.ids = append(k.ids, ci)
		names = append(names, id.String())
	}
	k.names = strings.Join(names, ", ")
	return k, nil
}

// String prints the identity as "subject (issuer)", regexps in slashes.
func (id Identity) String() string {
	s, i := id.Subject, id.Issuer
	if s == "" {
		s = "/" + id.SubjectRegexp + "/"
	}
	if i == "" {
		i = "/" + id.IssuerRegexp + "/"
	}
	return s + " (" + i + ")"
}

// Verify checks the sigstore bundles of the image at digest. md must come
// from internal/registry; registry failures are errors, never a verdict.
func (k *Keyless) Verify(ctx context.Context, md policy.Metadata, tag, digest string) (policy.Verification, error) {
	src, ok := md.(Source)
	if !ok {
		return policy.Verification{}, fmt.Errorf("verify %s: the registry view cannot read signatures", tag)
	}
	if who, ok := k.cached(digest); ok {
		return policy.Verification{Verified: true, Reason: "signed by " + who}, nil
	}
	refDigest, found, err := src.ReferrersIndexDigest(ctx, digest)
	if err != nil {
		return policy.Verification{}, fmt.Errorf("find signature bundles of %s: %w", digest, err)
	}
	if !found {
		if ans, ok, err := k.verifyReferrers(ctx, src, digest); err != nil || ok {
			return ans, err
		}
		_, legacy, err := src.CosignSignatureDigest(ctx, digest)
		if err != nil {
			return policy.Verification{}, fmt.Errorf("find signatures of %s: %w", digest, err)
		}
		if legacy {
			return policy.Verification{Reason: ReasonLegacyOnly}, nil
		}
		return policy.Verification{Reason: ReasonNoSignature}, nil
	}
	failKey := digest + "|" + refDigest
	if ans, ok := k.cachedFailure(failKey); ok {
		return ans, nil
	}
	bundles, err := src.SigstoreBundles(ctx, refDigest, digest)
	if err != nil {
		return policy.Verification{}, fmt.Errorf("read signature bundles of %s: %w", digest, err)
	}
	ans, who := k.judge(bundles, digest)
	k.remember(digest, failKey, ans, who)
	return ans, nil
}

// judge verifies bundles until one passes; it returns the answer and the
// signer ("" when none verified).
func (k *Keyless) judge(bundles [][]byte, digest string) (policy.Verification, string) {
	best := 0
	for _, raw := range bundles {
		w, reason := k.checkBundle(raw, digest)
		if reason == "" {
			return policy.Verification{Verified: true, Reason: "signed by " + w}, w
		}
		if r := slices.Index(keylessRank, reason); r > best {
			best = r
		}
	}
	return policy.Verification{Reason: keylessRank[best]}, ""
}

// verifyReferrers checks the bundles the OCI referrers API lists for an
// image without a referrers tag; ok is false when there are none.
func (k *Keyless) verifyReferrers(ctx context.Context, src Source, digest string) (ans policy.Verification, ok bool, err error) {
	bundles, failKey, found, err := referrerBundles(ctx, src, digest, k.cachedFailure)
	if err != nil || !found {
		return policy.Verification{}, false, err
	}
	if bundles == nil {
		ans, _ := k.cachedFailure(failKey)
		return ans, true, nil
	}
	ans, who := k.judge(bundles, digest)
	k.remember(digest, failKey, ans, who)
	return ans, true, nil
}

// keylessRank orders reasons from least to most telling.
var keylessRank = []string{ReasonNoSignature, ReasonUnreadable, ReasonUntrusted, ReasonIdentityMismatch, ReasonOtherDigest}

// checkBundle verifies one bundle; it returns the signer, or a reason.
func (k *Keyless) checkBundle(raw []byte, digest string) (string, string) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return "", ReasonUnreadable
	}
	env, err := b.Envelope()
	if err != nil || env == nil || env.RawEnvelope() == nil {
		return "", ReasonUnreadable
	}
	payload, err := base64.StdEncoding.DecodeString(env.RawEnvelope().Payload)
	if err != nil {
		return "", ReasonUnreadable
	}
	named, ok := statementDigests(payload)
	if !ok {
		return "", ReasonUnreadable // not a cosign signature (an attestation, say)
	}
	// Verify against the digest the statement names; a valid signature
	// for another image is then told apart from an untrusted one.
	subject := named[0]
	if slices.Contains(named, digest) {
		subject = digest
	}
	h, err := hex.DecodeString(strings.TrimPrefix(subject, "sha256:"))
	if err != nil {
		return "", ReasonUnreadable
	}
	opts := make([]sgverify.PolicyOption, 0, len(k.ids))
	for _, id := range k.ids {
		opts = append(opts, sgverify.WithCertificateIdentity(id))
	}
	res, err := k.sv.Verify(&b, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", h), opts...))
	if err != nil {
		var idErr *sgverify.ErrNoMatchingCertificateIdentity
		if errors.As(err, &idErr) {
			return "", ReasonIdentityMismatch
		}
		return "", ReasonUntrusted
	}
	if subject != digest {
		return "", ReasonOtherDigest
	}
	who := k.names
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		who = c.SubjectAlternativeName + " (" + c.Extensions.Issuer + ")"
	}
	return who, ""
}

func (k *Keyless) cached(digest string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	who, ok := k.verified[digest]
	return who, ok
}

func (k *Keyless) cachedFailure(key string) (policy.Verification, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ans, ok := k.failed[key]
	return ans, ok
}

func (k *Keyless) remember(digest, failKey string, ans policy.Verification, who string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.verified)+len(k.failed) >= k.limit {
		clear(k.verified)
		clear(k.failed)
	}
	if ans.Verified {
		k.verified[digest] = who
		return
	}
	k.failed[failKey] = ans
}

// Any is a policy.Verifier that accepts an image when one of its
// Verifiers does (for example keys or a keyless identity). An error from
// any of them is the answer (never skipped); with no acceptance, the
// first refusal's reason is.
type Any []policy.Verifier

var _ policy.Verifier = Any(nil)

// Verify asks each Verifier in order until one accepts.
func (a Any) Verify(ctx context.Context, md policy.Metadata, tag, digest string) (policy.Verification, error) {
	var reasons []string
	for _, v := range a {
		ans, err := v.Verify(ctx, md, tag, digest)
		if err != nil {
			return ans, err
		}
		if ans.Verified {
			return ans, nil
		}
		reasons = append(reasons, ans.Reason)
	}
	if len(reasons) == 0 {
		return policy.Verification{Reason: "no verifier configured"}, nil
	}
	return policy.Verification{Reason: strings.Join(slices.Compact(reasons), "; ")}, nil
}
