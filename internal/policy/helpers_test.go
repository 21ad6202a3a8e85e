package policy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeImage is one image (or one index child) behind a tag.
type fakeImage struct {
	platform Platform
	created  time.Time
}

// fakeMetadata is an in-memory Metadata. A tag maps to one or more images;
// several images model a multi-arch index whose digest is "sha256:<tag>".
type fakeMetadata struct {
	images  map[string][]fakeImage
	digests map[string]string
	errs    map[string]error

	mu          sync.Mutex
	calls       []string
	inFlight    int
	maxInFlight int
}

func (f *fakeMetadata) enter(kind, tag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, kind+":"+tag)
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
}

func (f *fakeMetadata) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
}

func (f *fakeMetadata) Digest(ctx context.Context, tag string) (string, error) {
	f.enter("digest", tag)
	defer f.leave()
	if err := f.errs[tag]; err != nil {
		return "", err
	}
	d, ok := f.digests[tag]
	if !ok {
		return "", fmt.Errorf("tag %q: not found", tag)
	}
	return d, nil
}

func (f *fakeMetadata) Created(ctx context.Context, tag string, platforms []Platform) (ImageInfo, error) {
	f.enter("created", tag)
	defer f.leave()
	if err := ctx.Err(); err != nil {
		return ImageInfo{}, err
	}
	if err := f.errs[tag]; err != nil {
		return ImageInfo{}, err
	}
	var newest time.Time
	found := false
	var have []Platform
	for _, img := range f.images[tag] {
		have = append(have, img.platform)
		if img.platform.MatchesAny(platforms) && (!found || img.created.After(newest)) {
			newest, found = img.created, true
		}
	}
	if !found {
		return ImageInfo{}, fmt.Errorf("tag %q: %w", tag, &PlatformError{Index: len(have) > 1, Have: have, Want: platforms})
	}
	return ImageInfo{Digest: "sha256:" + tag, Created: newest}, nil
}

func (f *fakeMetadata) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

var (
	linuxAMD64 = Platform{OS: "linux", Architecture: "amd64"}
	linuxARMv7 = Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	linuxARMv6 = Platform{OS: "linux", Architecture: "arm", Variant: "v6"}
	errBoom    = errors.New("boom")
)

func at(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }

// single returns images for a one-platform (linux/amd64) tag.
func single(day int) []fakeImage { return []fakeImage{{platform: linuxAMD64, created: at(day)}} }

func mustCompile(t testing.TB, s Settings) *Policy {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", s, err)
	}
	return p
}

// reasons maps tag -> reason for compact assertions.
func reasons(vs []Verdict) map[string]string {
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		m[v.Tag] = v.Reason
	}
	return m
}

// checkReasons compares the verdicts' reasons with want (only the listed tags).
func checkReasons(t *testing.T, got []Verdict, want map[string]string) {
	t.Helper()
	r := reasons(got)
	for tag, reason := range want {
		if r[tag] != reason {
			t.Errorf("verdict %q: reason %q, want %q", tag, r[tag], reason)
		}
	}
}

// checkVerdictInvariants checks properties every Result must have.
func checkVerdictInvariants(t *testing.T, tags []string, res Result) {
	t.Helper()
	if len(res.Verdicts) < len(tags) {
		t.Fatalf("%d verdicts for %d tags", len(res.Verdicts), len(tags))
	}
	chosen := 0
	for i, v := range res.Verdicts {
		if i < len(tags) && v.Tag != tags[i] {
			t.Errorf("verdict %d is for %q, want %q", i, v.Tag, tags[i])
		}
		if v.Reason == "" {
			t.Errorf("verdict %q has no reason", v.Tag)
		}
		if v.Reason == ReasonChosen {
			chosen++
			if !v.Eligible || v.Tag != res.Tag {
				t.Errorf("chosen verdict %+v does not match result tag %q", v, res.Tag)
			}
		}
	}
	if want := map[bool]int{true: 1, false: 0}[res.Found]; chosen != want {
		t.Errorf("%d chosen verdicts with Found=%v", chosen, res.Found)
	}
}
