package policy

import (
	"context"
	"errors"
	"testing"
)

func TestDigestChoose(t *testing.T) {
	md := &fakeMetadata{digests: map[string]string{"latest": "sha256:aaa", "stable": "sha256:bbb"}}
	tests := []struct {
		name       string
		constraint string
		ignore     []string
		tags       []string
		want       string
		digest     string
		reasons    map[string]string
		calls      int
	}{
		{
			name:       "followed tag found",
			constraint: "latest",
			tags:       []string{"1.0", "latest", "stable"},
			want:       "latest",
			digest:     "sha256:aaa",
			reasons:    map[string]string{"stable": `not the followed tag "latest"`, "1.0": `not the followed tag "latest"`},
			calls:      1,
		},
		{
			name:       "followed tag not listed",
			constraint: "edge",
			tags:       []string{"latest"},
			reasons:    map[string]string{"edge": "followed tag not found in the repository"},
		},
		{
			name:       "followed tag filtered out",
			constraint: "latest",
			ignore:     []string{"lat*"},
			tags:       []string{"latest", "stable"},
			reasons:    map[string]string{"latest": `ignored by ignore-tags "lat*"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md.calls = nil
			p := mustCompile(t, Settings{Strategy: "digest", Constraint: tt.constraint, IgnoreTags: tt.ignore})
			res, err := p.Choose(context.Background(), tt.tags, md)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tag != tt.want || res.Digest != tt.digest || res.Found != (tt.want != "") {
				t.Fatalf("got %+v, want tag %q digest %q", res, tt.want, tt.digest)
			}
			checkVerdictInvariants(t, tt.tags, res)
			checkReasons(t, res.Verdicts, tt.reasons)
			if md.callCount() != tt.calls {
				t.Errorf("%d metadata calls, want %d", md.callCount(), tt.calls)
			}
		})
	}
}

func TestDigestErrorPropagates(t *testing.T) {
	md := &fakeMetadata{errs: map[string]error{"latest": errBoom}}
	p := mustCompile(t, Settings{Strategy: "digest", Constraint: "latest"})
	if _, err := p.Choose(context.Background(), []string{"latest"}, md); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want errBoom", err)
	}
	if _, err := p.Choose(context.Background(), []string{"latest"}, nil); err == nil {
		t.Fatal("want error without a metadata source")
	}
}
