package policy

import (
	"context"
	"errors"
	"testing"
)

func TestDigestChoose(t *testing.T) {
	md := &fakeMetadata{
		digests: map[string]string{"latest": "sha256:aaa", "stable": "sha256:bbb", "arm": "sha256:ccc", "multi": "sha256:ddd"},
		images: map[string][]fakeImage{
			"latest": single(1), "stable": single(2),
			"arm":   {{platform: linuxARMv7, created: at(3)}},
			"multi": {{platform: linuxARMv7, created: at(3)}, {platform: linuxARMv6, created: at(3)}},
		},
	}
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
			calls:      2, // digest, then the platform check
		},
		{
			name:       "followed tag's single image is for another platform",
			constraint: "arm",
			tags:       []string{"latest", "arm"},
			reasons:    map[string]string{"arm": "no image for the wanted platforms (image is for linux/arm/v7, wanted linux/amd64)"},
			calls:      2,
		},
		{
			name:       "followed tag's index has no child for the platform",
			constraint: "multi",
			tags:       []string{"multi"},
			reasons:    map[string]string{"multi": "no image for the wanted platforms (index has images for linux/arm/v7, linux/arm/v6, wanted linux/amd64)"},
			calls:      2,
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
			p := mustCompile(t, Settings{Strategy: "digest", Constraint: tt.constraint, IgnoreTags: tt.ignore, Platforms: []string{"linux/amd64"}})
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
