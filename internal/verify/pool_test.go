package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
)

func TestPoolSharesVerifiersByKeySet(t *testing.T) {
	a, b := newTestKey(t, "ecdsa").key, newTestKey(t, "ed25519").key
	var p Pool
	v1, err := p.For([]Key{a, b})
	if err != nil {
		t.Fatal(err)
	}
	renamed := a
	renamed.Name = "other-name"
	v2, err := p.For([]Key{b, renamed})
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v2 {
		t.Error("the same keys in another order got another Verifier")
	}
	v3, err := p.For([]Key{a})
	if err != nil || v3 == v1 {
		t.Fatalf("another key set shares a Verifier: %v", err)
	}
	if _, err := p.For(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("no keys: %v", err)
	}
	small := Pool{limit: 1}
	s1, _ := small.For([]Key{a})
	small.For([]Key{b})
	if s2, _ := small.For([]Key{a}); s2 == s1 {
		t.Error("a full pool was not emptied")
	}
}

type answer struct {
	v   policy.Verification
	err error
}

func (a answer) Verify(context.Context, policy.Metadata, string, string) (policy.Verification, error) {
	return a.v, a.err
}

func TestAll(t *testing.T) {
	yes := answer{v: policy.Verification{Verified: true, Reason: "signed by a"}}
	yes2 := answer{v: policy.Verification{Verified: true, Reason: "signed by b"}}
	no := answer{v: policy.Verification{Reason: ReasonWrongKey}}
	boom := answer{err: errors.New("503")}
	for name, tc := range map[string]struct {
		all     All
		want    bool
		reason  string
		wantErr bool
	}{
		"both":         {all: All{yes, yes2}, want: true, reason: "signed by a and signed by b"},
		"second fails": {all: All{yes, no}, reason: ReasonWrongKey},
		"first fails":  {all: All{no, yes}, reason: ReasonWrongKey},
		"error":        {all: All{yes, boom}, wantErr: true},
		"none":         {all: All{}, reason: "no verifier configured"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.all.Verify(context.Background(), nil, "t", digestA)
			if (err != nil) != tc.wantErr || got.Verified != tc.want || (!tc.wantErr && got.Reason != tc.reason) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}
