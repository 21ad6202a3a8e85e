package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeVerifier verifies the digests listed in ok and fails those in errs;
// every other digest is "no signature".
type fakeVerifier struct {
	ok    map[string]bool
	errs  map[string]error
	calls []string
}

func (f *fakeVerifier) Verify(_ context.Context, _ Metadata, tag, digest string) (Verification, error) {
	f.calls = append(f.calls, tag+"@"+digest)
	if err := f.errs[digest]; err != nil {
		return Verification{}, err
	}
	if f.ok[digest] {
		return Verification{Verified: true, Reason: "signed by k.pub"}, nil
	}
	return Verification{Reason: "no signature"}, nil
}

func TestChooseVerified(t *testing.T) {
	md := &fakeMetadata{digests: map[string]string{
		"1.0.0": "sha256:a", "1.1.0": "sha256:b", "1.2.0": "sha256:c", "2.0.0": "sha256:d", "latest": "sha256:e",
	}}
	regErr := errors.New("registry down")
	tests := []struct {
		name      string
		strategy  string
		ok        []string
		errs      map[string]error
		wantTag   string
		wantErr   bool
		wantCalls int
	}{
		{name: "newest signed", ok: []string{"sha256:d", "sha256:a"}, wantTag: "2.0.0", wantCalls: 1},
		{name: "newest unsigned, older signed wins", ok: []string{"sha256:b"}, wantTag: "1.1.0", wantCalls: 3},
		{name: "none signed", wantCalls: 4},
		{name: "error on newest fails, no downgrade", ok: []string{"sha256:c"}, errs: map[string]error{"sha256:d": regErr}, wantErr: true, wantCalls: 1},
		{name: "error below the winner is never asked", ok: []string{"sha256:d"}, errs: map[string]error{"sha256:c": regErr}, wantTag: "2.0.0", wantCalls: 1},
		{name: "alphabetical", strategy: "alphabetical", ok: []string{"sha256:c"}, wantTag: "1.2.0", wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &fakeVerifier{ok: map[string]bool{}, errs: tt.errs}
			for _, d := range tt.ok {
				v.ok[d] = true
			}
			s := Settings{Strategy: tt.strategy, Verify: v}
			p, err := Compile(s)
			if err != nil {
				t.Fatal(err)
			}
			if !p.NeedsMetadata() {
				t.Error("NeedsMetadata = false with a verifier")
			}
			tags := []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "sha256-d.sig", "latest"}
			res, err := p.Choose(context.Background(), tags, md)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if res.Tag != tt.wantTag || res.Found != (tt.wantTag != "") {
				t.Errorf("tag = %q found %v, want %q", res.Tag, res.Found, tt.wantTag)
			}
			if len(v.calls) != tt.wantCalls {
				t.Errorf("verify calls = %v, want %d", v.calls, tt.wantCalls)
			}
			if tt.wantErr {
				return
			}
			for _, vd := range res.Verdicts {
				if vd.Tag == res.Tag && !strings.HasPrefix(vd.Signature, "verified") {
					t.Errorf("winner verdict %+v lacks the verified signature note", vd)
				}
				if vd.Tag != res.Tag && vd.Eligible && strings.HasPrefix(vd.Signature, "not verified") {
					t.Errorf("unverified tag %+v still eligible", vd)
				}
			}
		})
	}
}

func TestCosignTagsNeverCandidates(t *testing.T) {
	for _, strategy := range []string{"semver", "alphabetical", "newest-build"} {
		p, err := Compile(Settings{Strategy: strategy})
		if err != nil {
			t.Fatal(err)
		}
		md := &fakeMetadata{}
		tags := []string{"sha256-abc.sig", "sha256-abc.att", "sha256-abc", "v1.sig", "z.sbom"}
		res, err := p.Choose(context.Background(), tags, md)
		if err != nil {
			t.Fatal(err)
		}
		if res.Found {
			t.Errorf("%s chose cosign tag %q", strategy, res.Tag)
		}
		for _, v := range res.Verdicts {
			if v.Eligible || v.Reason != ReasonCosignTag {
				t.Errorf("%s: verdict %+v", strategy, v)
			}
		}
	}
}

// cachedMetadata adds a possibly stale digest cache to fakeMetadata.
type cachedMetadata struct {
	*fakeMetadata
	cached map[string]string
}

func (c cachedMetadata) CachedDigest(_ context.Context, tag string) (string, error) {
	return c.cached[tag], nil
}

func TestChooseVerifiedCachedDigests(t *testing.T) {
	fresh := &fakeMetadata{digests: map[string]string{"1.0.0": "sha256:a", "2.0.0": "sha256:new"}}
	md := cachedMetadata{fakeMetadata: fresh, cached: map[string]string{"1.0.0": "sha256:a", "2.0.0": "sha256:old"}}
	// 2.0.0 was signed at its old digest, but now points to an unsigned
	// image: it must not win on the strength of the stale digest.
	v := &fakeVerifier{ok: map[string]bool{"sha256:a": true, "sha256:old": true}}
	p, err := Compile(Settings{Verify: v})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Choose(context.Background(), []string{"1.0.0", "2.0.0"}, md)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "1.0.0" || res.Digest != "sha256:a" {
		t.Fatalf("chose %q %q", res.Tag, res.Digest)
	}
	// An unsigned cached digest rules the tag out without a fresh lookup.
	v = &fakeVerifier{ok: map[string]bool{"sha256:a": true}}
	fresh.calls = nil
	p, err = Compile(Settings{Verify: v})
	if err != nil {
		t.Fatal(err)
	}
	if res, err = p.Choose(context.Background(), []string{"1.0.0", "2.0.0"}, md); err != nil || res.Tag != "1.0.0" {
		t.Fatalf("chose %+v, %v", res, err)
	}
	for _, c := range fresh.calls {
		if c == "digest:2.0.0" {
			t.Errorf("the unverified 2.0.0 was looked up afresh: %v", fresh.calls)
		}
	}
}
