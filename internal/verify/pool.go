package verify

import (
	"context"
	"strings"
	"sync"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// defaultPoolSize bounds the key sets a Pool keeps Verifiers for.
const defaultPoolSize = 256

// Pool hands out one Verifier per key set, so that every image verified
// with the same keys — across ImageUpdaters, applications and cycles —
// shares one result cache. Keys are told apart by fingerprint: a rotated
// key gets a new Verifier. The zero Pool is ready to use and safe for
// concurrent use.
type Pool struct {
	mu    sync.Mutex
	byID  map[string]*Verifier
	limit int
}

// For returns the Verifier of keys (at least one), creating it on first
// use. A full pool is emptied (results are verified again, never reused
// for other keys).
func (p *Pool) For(keys []Key) (*Verifier, error) {
	id := keySetID(keys)
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.byID[id]; ok {
		return v, nil
	}
	v, err := New(keys)
	if err != nil {
		return nil, err
	}
	limit := p.limit
	if limit <= 0 {
		limit = defaultPoolSize
	}
	if p.byID == nil || len(p.byID) >= limit {
		p.byID = map[string]*Verifier{}
	}
	p.byID[id] = v
	return v, nil
}

// All is a policy.Verifier that accepts an image only when every one of
// its Verifiers does (for example a run-wide key and an ImageUpdater's
// key). The first refusal or error is the answer.
type All []policy.Verifier

var _ policy.Verifier = All(nil)

// Verify asks each Verifier in order; with none it refuses.
func (a All) Verify(ctx context.Context, md policy.Metadata, tag, digest string) (policy.Verification, error) {
	if len(a) == 0 {
		return policy.Verification{Reason: "no verifier configured"}, nil
	}
	var reasons []string
	for _, v := range a {
		ans, err := v.Verify(ctx, md, tag, digest)
		if err != nil || !ans.Verified {
			return ans, err
		}
		reasons = append(reasons, ans.Reason)
	}
	return policy.Verification{Verified: true, Reason: strings.Join(reasons, " and ")}, nil
}
