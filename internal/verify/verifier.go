package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
)

// Reasons an image does not verify, as [policy.Verification] reports them.
const (
	ReasonNoSignature   = "no signature"
	ReasonWrongKey      = "wrong key"
	ReasonOtherDigest   = "signature for another digest"
	ReasonUnreadable    = "unreadable signature"
	defaultCacheEntries = 4096
)

// Source is what the Verifier needs from the registry for one repository;
// the policy.Metadata internal/registry hands out implements it.
type Source interface {
	// CosignSignatureDigest returns the digest of the legacy signature
	// manifest of the image at imageDigest; found=false when there is none.
	CosignSignatureDigest(ctx context.Context, imageDigest string) (digest string, found bool, err error)
	// CosignSignatures reads the signature manifest at sigDigest.
	CosignSignatures(ctx context.Context, sigDigest string) ([]registry.CosignSignature, error)
	// ReferrersIndexDigest returns the digest of the referrers-tag index
	// (sha256-<hex>) of the image; found=false when there is none.
	ReferrersIndexDigest(ctx context.Context, imageDigest string) (digest string, found bool, err error)
	// SigstoreBundles returns the sigstore bundles in that index whose
	// subject is the image.
	SigstoreBundles(ctx context.Context, indexDigest, imageDigest string) ([][]byte, error)
	// ReferrersAPI lists the sigstore bundles attached to the image through
	// the OCI referrers API; supported=false when the registry has none.
	ReferrersAPI(ctx context.Context, imageDigest string) (set registry.ReferrerSet, supported bool, err error)
	// ReferrerBundles reads the bundles of such a set.
	ReferrerBundles(ctx context.Context, set registry.ReferrerSet, imageDigest string) ([][]byte, error)
}

// Verifier verifies cosign signatures with a fixed set of keys and caches
// the results by image digest. It is safe for concurrent use; keep one per
// key set for the life of the process.
type Verifier struct {
	keys  []Key
	setID string

	mu       sync.Mutex
	verified map[string]string              // image digest -> key name
	failed   map[string]policy.Verification // image digest|signature digest -> answer
	limit    int
}

var _ policy.Verifier = (*Verifier)(nil)

// New returns a Verifier for keys (at least one).
func New(keys []Key) (*Verifier, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key given", ErrInvalidKey)
	}
	return &Verifier{
		keys: keys, setID: keySetID(keys),
		verified: map[string]string{}, failed: map[string]policy.Verification{},
		limit: defaultCacheEntries,
	}, nil
}

// LoadFiles loads every key file and returns their Verifier; any unreadable
// key is an error wrapping ErrInvalidKey.
func LoadFiles(paths []string) (*Verifier, error) {
	var keys []Key
	var errs []error
	for _, p := range paths {
		k, err := LoadKeyFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys = append(keys, k)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return New(keys)
}

// KeySetID names the Verifier's key set (order-independent).
func (v *Verifier) KeySetID() string { return v.setID }

// Verify checks the cosign signatures of the image at digest. md must come
// from internal/registry (it implements Source); registry failures are
// returned as errors, never as a verdict.
func (v *Verifier) Verify(ctx context.Context, md policy.Metadata, tag, digest string) (policy.Verification, error) {
	src, ok := md.(Source)
	if !ok {
		return policy.Verification{}, fmt.Errorf("verify %s: the registry view cannot read signatures", tag)
	}
	if name, ok := v.cachedOK(digest); ok {
		return verified(name), nil
	}
	sigDigest, sigFound, err := src.CosignSignatureDigest(ctx, digest)
	if err != nil {
		return policy.Verification{}, fmt.Errorf("find signatures of %s: %w", digest, err)
	}
	refDigest, refFound, err := src.ReferrersIndexDigest(ctx, digest)
	if err != nil {
		return policy.Verification{}, fmt.Errorf("find signature bundles of %s: %w", digest, err)
	}
	if !sigFound && !refFound {
		return v.verifyReferrers(ctx, src, digest)
	}
	failKey := digest + "|" + sigDigest + "|" + refDigest
	if ans, ok := v.cachedFailure(failKey); ok {
		return ans, nil
	}
	ans, err := v.checkAll(ctx, src, digest, sigDigest, refDigest)
	if err != nil {
		return policy.Verification{}, err
	}
	v.remember(digest, failKey, ans)
	return ans, nil
}

// verifyReferrers checks the bundles the OCI referrers API lists for an
// image that has no signature tag (cosign writes none on registries with
// the API).
func (v *Verifier) verifyReferrers(ctx context.Context, src Source, digest string) (policy.Verification, error) {
	bundles, failKey, found, err := referrerBundles(ctx, src, digest, v.cachedFailure)
	if err != nil || !found {
		return policy.Verification{Reason: ReasonNoSignature}, err
	}
	if bundles == nil {
		ans, _ := v.cachedFailure(failKey)
		return ans, nil
	}
	var t tally
	for _, b := range bundles {
		t.add(v.checkBundle(b, digest))
	}
	ans := policy.Verification{Reason: t.reason()}
	if t.key != "" {
		ans = verified(t.key)
	}
	v.remember(digest, failKey, ans)
	return ans, nil
}

// referrerBundles asks the referrers API for an image's bundles. found is
// false when there are none (or no API); bundles is nil with found true
// when cached(failKey) already holds the verdict on this very set.
func referrerBundles(ctx context.Context, src Source, digest string, cached func(string) (policy.Verification, bool)) (bundles [][]byte, failKey string, found bool, err error) {
	set, supported, err := src.ReferrersAPI(ctx, digest)
	if err != nil {
		return nil, "", false, fmt.Errorf("find signature bundles of %s: %w", digest, err)
	}
	if !supported || len(set.Bundles) == 0 {
		return nil, "", false, nil
	}
	failKey = digest + "|" + set.ID
	if _, ok := cached(failKey); ok {
		return nil, failKey, true, nil
	}
	bundles, err = src.ReferrerBundles(ctx, set, digest)
	if err != nil {
		return nil, "", false, fmt.Errorf("read signature bundles of %s: %w", digest, err)
	}
	if len(bundles) == 0 {
		return nil, "", false, nil
	}
	return bundles, failKey, true, nil
}

// checkAll reads the legacy signatures and the bundles that exist and
// returns the answer with the most telling reason.
func (v *Verifier) checkAll(ctx context.Context, src Source, digest, sigDigest, refDigest string) (policy.Verification, error) {
	var t tally
	if sigDigest != "" {
		sigs, err := src.CosignSignatures(ctx, sigDigest)
		if err != nil {
			return policy.Verification{}, fmt.Errorf("read signatures of %s: %w", digest, err)
		}
		for _, s := range sigs {
			t.add(v.checkOne(s, digest))
		}
	}
	if refDigest != "" && t.key == "" {
		bundles, err := src.SigstoreBundles(ctx, refDigest, digest)
		if err != nil {
			return policy.Verification{}, fmt.Errorf("read signature bundles of %s: %w", digest, err)
		}
		for _, b := range bundles {
			t.add(v.checkBundle(b, digest))
		}
	}
	if t.key != "" {
		return verified(t.key), nil
	}
	return policy.Verification{Reason: t.reason()}, nil
}

// tally keeps the first verifying key, else the most telling reason.
type tally struct {
	key  string
	best int
}

var reasonRank = []string{ReasonNoSignature, ReasonUnreadable, ReasonWrongKey, ReasonOtherDigest}

func (t *tally) add(key, reason string) {
	if key != "" && reason == "" {
		if t.key == "" {
			t.key = key
		}
		return
	}
	for i, r := range reasonRank {
		if r == reason && i > t.best {
			t.best = i
		}
	}
}

func (t *tally) reason() string { return reasonRank[t.best] }

// checkOne returns the verifying key's name, or why s does not verify.
func (v *Verifier) checkOne(s registry.CosignSignature, digest string) (string, string) {
	if s.Signature == "" {
		return "", ReasonNoSignature
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Signature))
	if err != nil || len(raw) == 0 {
		return "", ReasonUnreadable
	}
	key := v.matchingKey(raw, s.Payload)
	if key == "" {
		return "", ReasonWrongKey
	}
	named, err := ParsePayload(s.Payload)
	if err != nil {
		return "", ReasonUnreadable
	}
	if named != digest {
		return "", ReasonOtherDigest
	}
	return key, ""
}

// matchingKey returns the name of the first key that verifies sig over
// payload, or "".
func (v *Verifier) matchingKey(sig, payload []byte) string {
	for _, k := range v.keys {
		for _, kv := range k.verifiers {
			if kv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)) == nil {
				return k.Name
			}
		}
	}
	return ""
}

func verified(key string) policy.Verification {
	return policy.Verification{Verified: true, Reason: "signed by " + key}
}

func (v *Verifier) cachedOK(digest string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	name, ok := v.verified[digest]
	return name, ok
}

func (v *Verifier) cachedFailure(key string) (policy.Verification, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ans, ok := v.failed[key]
	return ans, ok
}

// remember caches an answer; a full cache is emptied (the next cycle
// verifies again, which is correct, only slower).
func (v *Verifier) remember(digest, failKey string, ans policy.Verification) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified)+len(v.failed) >= v.limit {
		clear(v.verified)
		clear(v.failed)
	}
	if ans.Verified {
		v.verified[digest] = strings.TrimPrefix(ans.Reason, "signed by ")
		return
	}
	v.failed[failKey] = ans
}
