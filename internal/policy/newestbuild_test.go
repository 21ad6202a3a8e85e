package policy

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestNewestBuildChoose(t *testing.T) {
	md := &fakeMetadata{images: map[string][]fakeImage{
		"a":      single(1),
		"b":      single(3),
		"c":      single(2),
		"tie-1":  single(5),
		"tie-2":  single(5),
		"old-rc": single(9),
		// A multi-arch index: its arm/v7 child is newest, amd64 older.
		"multi": {
			{platform: linuxAMD64, created: at(4)},
			{platform: linuxARMv7, created: at(8)},
		},
		"armv6-only": {{platform: linuxARMv6, created: at(7)}},
	}}
	tests := []struct {
		name      string
		platforms []string
		ignore    []string
		tags      []string
		want      string
		reasons   map[string]string
	}{
		{
			name: "newest created wins",
			tags: []string{"a", "b", "c"},
			want: "b",
			reasons: map[string]string{
				"a": "created 2026-01-01T00:00:00Z, older than b's 2026-01-03T00:00:00Z",
				"c": "created 2026-01-02T00:00:00Z, older than b's 2026-01-03T00:00:00Z",
			},
		},
		{
			name: "tie goes to lexically last tag",
			tags: []string{"tie-2", "a", "tie-1"},
			want: "tie-2",
			reasons: map[string]string{
				"tie-1": "created at the same time as tie-2, which sorts later",
			},
		},
		{
			name:   "filters apply before metadata",
			ignore: []string{"old-*"},
			tags:   []string{"a", "old-rc"},
			want:   "a",
			reasons: map[string]string{
				"old-rc": `ignored by ignore-tags "old-*"`,
			},
		},
		{
			name:      "index: only children of the wanted platform count",
			platforms: []string{"linux/amd64"},
			tags:      []string{"c", "multi"},
			want:      "multi", // amd64 child day 4 > c day 2
		},
		{
			name:      "index: os/arch filter matches children with a variant",
			platforms: []string{"linux/arm"},
			tags:      []string{"multi", "armv6-only"},
			want:      "multi", // arm/v7 day 8 beats arm/v6 day 7
		},
		{
			name:      "index: newest among several wanted platforms",
			platforms: []string{"linux/amd64", "linux/arm/v7"},
			tags:      []string{"b", "multi"},
			want:      "multi",
		},
		{
			name: "no candidates, no calls",
			tags: []string{"x"}, ignore: []string{"*"},
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md.calls = nil
			p := mustCompile(t, Settings{Strategy: "newest-build", Platforms: tt.platforms, IgnoreTags: tt.ignore})
			res, err := p.Choose(context.Background(), tt.tags, md)
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if res.Tag != tt.want {
				t.Fatalf("got %q, want %q; verdicts %+v", res.Tag, tt.want, res.Verdicts)
			}
			if tt.want != "" && res.Digest != "sha256:"+tt.want {
				t.Errorf("digest %q, want the winner's", res.Digest)
			}
			checkVerdictInvariants(t, tt.tags, res)
			checkReasons(t, res.Verdicts, tt.reasons)
			eligible := 0
			for _, v := range res.Verdicts {
				if v.Eligible {
					eligible++
				}
			}
			if n := md.callCount(); n != eligible {
				t.Errorf("%d metadata calls for %d eligible tags", n, eligible)
			}
		})
	}
}

func TestNewestBuildPlatformMismatchRulesTagOut(t *testing.T) {
	md := &fakeMetadata{images: map[string][]fakeImage{
		"a":          single(1),
		"armv6-only": {{platform: linuxARMv6, created: at(7)}},
	}}
	// linux/arm/v7 needs that variant: the v6-only image has no matching
	// child, so that (newer) tag is ruled out rather than failing the choice.
	p := mustCompile(t, Settings{Strategy: "latest", Platforms: []string{"linux/arm/v7", "linux/amd64"}})
	res, err := p.Choose(context.Background(), []string{"a", "armv6-only"}, md)
	if err != nil || !res.Found || res.Tag != "a" {
		t.Fatalf("got %+v, %v; want a", res, err)
	}
	if v := res.Verdicts[1]; v.Eligible || v.Reason != "no image for the wanted platforms (image is for linux/arm/v6, wanted linux/arm/v7, linux/amd64)" {
		t.Fatalf("armv6-only verdict: %+v", v)
	}
	only := &fakeMetadata{images: map[string][]fakeImage{"armv6-only": {{platform: linuxARMv6, created: at(7)}}}}
	if res, err := p.Choose(context.Background(), []string{"armv6-only"}, only); err != nil || res.Found {
		t.Fatalf("got %+v, %v; want nothing found", res, err)
	}
}

func TestNewestBuildMetadataErrorFailsChoice(t *testing.T) {
	images := map[string][]fakeImage{}
	var tags []string
	for i := range 40 {
		tag := fmt.Sprintf("t%02d", i)
		tags = append(tags, tag)
		images[tag] = single(1 + i%28)
	}
	md := &fakeMetadata{images: images, errs: map[string]error{"t17": errBoom}}
	p := mustCompile(t, Settings{Strategy: "newest-build"})
	res, err := p.Choose(context.Background(), tags, md)
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want errBoom", err)
	}
	if res.Found || res.Tag != "" || res.Verdicts != nil {
		t.Errorf("partial result returned with error: %+v", res)
	}
	if md.maxInFlight > metadataConcurrency {
		t.Errorf("%d concurrent metadata calls, limit %d", md.maxInFlight, metadataConcurrency)
	}
}

func TestNewestBuildConcurrencyBound(t *testing.T) {
	images := map[string][]fakeImage{}
	var tags []string
	for i := range 100 {
		tag := fmt.Sprintf("t%03d", i)
		tags = append(tags, tag)
		images[tag] = single(1 + i%28)
	}
	md := &fakeMetadata{images: images}
	p := mustCompile(t, Settings{Strategy: "newest-build"})
	res, err := p.Choose(context.Background(), tags, md)
	if err != nil {
		t.Fatal(err)
	}
	// Days 1..28 repeat: t027, t055 and t083 share the newest day; the
	// lexically last wins.
	if res.Tag != "t083" {
		t.Errorf("got %q, want t083", res.Tag)
	}
	if md.callCount() != len(tags) {
		t.Errorf("%d calls for %d tags", md.callCount(), len(tags))
	}
	if md.maxInFlight > metadataConcurrency {
		t.Errorf("%d concurrent metadata calls, limit %d", md.maxInFlight, metadataConcurrency)
	}
}

func TestNewestBuildRespectsContext(t *testing.T) {
	md := &fakeMetadata{images: map[string][]fakeImage{"a": single(1), "b": single(2)}}
	p := mustCompile(t, Settings{Strategy: "newest-build"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Choose(ctx, []string{"a", "b"}, md)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNewestBuildNilMetadata(t *testing.T) {
	p := mustCompile(t, Settings{Strategy: "newest-build"})
	if _, err := p.Choose(context.Background(), []string{"a"}, nil); err == nil {
		t.Fatal("want error without a metadata source")
	}
}
