package policy

import (
	"context"
	"fmt"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestSemverChoose(t *testing.T) {
	tests := []struct {
		name       string
		constraint string
		allow      string
		ignore     []string
		tags       []string
		want       string // "" = nothing found
		reasons    map[string]string
	}{
		{
			name: "highest release, pre-releases and non-versions ignored",
			tags: []string{"1.0.0", "1.2.5", "1.10.0-rc1", "latest", "1.2.10", "main-abc"},
			want: "1.2.10",
			reasons: map[string]string{
				"1.0.0":      "older than 1.2.10",
				"1.2.5":      "older than 1.2.10",
				"latest":     "not a semantic version",
				"main-abc":   "not a semantic version",
				"1.10.0-rc1": "does not satisfy constraint * (pre-releases need a constraint with a pre-release part, e.g. 2.x-0)",
			},
		},
		{
			name: "v prefix and short forms parse",
			tags: []string{"v1.2", "1.1.9", "v1.3", "1"},
			want: "v1.3",
		},
		{
			name:       "tilde minor",
			constraint: "~1.26",
			tags:       []string{"1.25.9", "1.26.0", "1.26.3", "1.27.0", "2.0.0"},
			want:       "1.26.3",
			reasons: map[string]string{
				"1.27.0": "does not satisfy constraint ~1.26",
				"1.25.9": "does not satisfy constraint ~1.26",
				"1.26.0": "older than 1.26.3",
			},
		},
		{
			name:       "caret major",
			constraint: "^1.0",
			tags:       []string{"0.9.0", "1.0.0", "1.9.9", "2.0.0"},
			want:       "1.9.9",
		},
		{
			name:       "x range",
			constraint: "1.x",
			tags:       []string{"1.0.1", "1.5.0", "2.1.0", "1.6.0-beta.1"},
			want:       "1.5.0",
		},
		{
			name:       "and range",
			constraint: ">=1.2 <2",
			tags:       []string{"1.1.0", "1.2.0", "1.99.0", "2.0.0", "2.0.0-rc.1"},
			want:       "1.99.0",
		},
		{
			name:       "pre-release constraint admits pre-releases",
			constraint: "2.x-0",
			tags:       []string{"1.9.0", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-beta.9", "3.0.0-rc.1"},
			want:       "2.0.0-rc.2",
			reasons: map[string]string{
				"2.0.0-rc.1":   "older than 2.0.0-rc.2",
				"2.0.0-beta.9": "older than 2.0.0-rc.2",
			},
		},
		{
			name:       "pre-release constraint: release beats its pre-releases",
			constraint: "2.x-0",
			tags:       []string{"2.0.0-rc.2", "2.0.0", "2.0.0-rc.10"},
			want:       "2.0.0",
		},
		{
			name:       "pre-release constraint: higher pre-release beats lower release",
			constraint: "2.x-0",
			tags:       []string{"2.0.0", "2.1.0-alpha"},
			want:       "2.1.0-alpha",
		},
		{
			name: "same version: lexically last tag wins",
			tags: []string{"v1.2.0", "1.2.0", "1.1.0"},
			want: "v1.2.0",
			reasons: map[string]string{
				"1.2.0": "same version as v1.2.0, which sorts later",
			},
		},
		{
			name: "build metadata ('+') is no valid tag reference",
			tags: []string{"1.2.0+b", "1.1.0"},
			want: "1.1.0",
			reasons: map[string]string{
				"1.2.0+b": ReasonInvalidTag,
			},
		},
		{
			name: "nothing parses",
			tags: []string{"latest", "stable"},
			want: "",
		},
		{
			name: "no tags",
			tags: nil,
			want: "",
		},
		{
			name:   "ignore globs run before the strategy",
			ignore: []string{"*-rc*", "2.*"},
			tags:   []string{"1.0.0", "1.1.0-rc1", "2.0.0"},
			want:   "1.0.0",
			reasons: map[string]string{
				"1.1.0-rc1": `ignored by ignore-tags "*-rc*"`,
				"2.0.0":     `ignored by ignore-tags "2.*"`,
			},
		},
		{
			name:  "allow regexp is unanchored",
			allow: "regexp:-alpine",
			tags:  []string{"1.0.0-alpine", "1.1.0", "0.9.0-alpine3"},
			// pre-releases excluded by "*": nothing qualifies.
			want: "",
			reasons: map[string]string{
				"1.1.0": `not matched by allow-tags "regexp:-alpine"`,
			},
		},
		{
			name:       "allow regexp with pre-release constraint",
			constraint: ">=0.0.0-0",
			allow:      "regexp:^[0-9.]+-alpine$",
			tags:       []string{"1.0.0-alpine", "1.1.0", "1.2.0-alpine"},
			want:       "1.2.0-alpine",
		},
		{
			name: "duplicates get their own verdict",
			tags: []string{"1.0.0", "1.0.0"},
			want: "1.0.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, Settings{Constraint: tt.constraint, AllowTags: tt.allow, IgnoreTags: tt.ignore})
			res, err := p.Choose(context.Background(), tt.tags, nil)
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if res.Tag != tt.want || res.Found != (tt.want != "") {
				t.Fatalf("got %q (found=%v), want %q; verdicts %+v", res.Tag, res.Found, tt.want, res.Verdicts)
			}
			if res.Digest != "" {
				t.Errorf("semver set digest %q", res.Digest)
			}
			checkVerdictInvariants(t, tt.tags, res)
			checkReasons(t, res.Verdicts, tt.reasons)
		})
	}
}

func TestSemverTieIsOrderIndependent(t *testing.T) {
	p := mustCompile(t, Settings{})
	for _, tags := range [][]string{{"v1.2.0", "1.2.0"}, {"1.2.0", "v1.2.0"}} {
		res, err := p.Choose(context.Background(), tags, nil)
		if err != nil || res.Tag != "v1.2.0" {
			t.Errorf("Choose(%v) = %q, %v; want v1.2.0", tags, res.Tag, err)
		}
	}
}

func TestSemverTieKeepsDeployedStyle(t *testing.T) {
	tests := []struct {
		name    string
		current string
		tags    []string
		want    string
		reason  string // of the losing tag of the same version
	}{
		{name: "plain after plain", current: "1.2.0", tags: []string{"v1.2.1", "1.2.1", "1.2.0"}, want: "1.2.1",
			reason: "same version as 1.2.1, which is spelt like the deployed 1.2.0"},
		{name: "v after v", current: "v1.2.0", tags: []string{"1.2.1", "v1.2.1", "v1.2.0"}, want: "v1.2.1",
			reason: "same version as v1.2.1, which is spelt like the deployed v1.2.0"},
		{name: "deployed tag wins its own tie", current: "1.2.1", tags: []string{"v1.2.1", "1.2.1"}, want: "1.2.1",
			reason: "same version as 1.2.1, which is deployed now"},
		{name: "unknown current sorts", current: "", tags: []string{"1.2.1", "v1.2.1"}, want: "v1.2.1",
			reason: "same version as v1.2.1, which sorts later"},
		{name: "higher version beats style", current: "1.2.0", tags: []string{"v1.3.0", "1.2.1"}, want: "v1.3.0"},
		{name: "current not a version", current: "latest", tags: []string{"1.2.1", "v1.2.1"}, want: "1.2.1",
			reason: "same version as 1.2.1, which is spelt like the deployed latest"},
	}
	p := mustCompile(t, Settings{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tags := range [][]string{tt.tags, reversed(tt.tags)} {
				res, err := p.ChooseFrom(context.Background(), tt.current, tags, nil)
				if err != nil || res.Tag != tt.want {
					t.Fatalf("ChooseFrom(%q, %v) = %q, %v; want %q", tt.current, tags, res.Tag, err, tt.want)
				}
				checkVerdictInvariants(t, tags, res)
				if tt.reason == "" {
					continue
				}
				found := false
				for _, v := range res.Verdicts {
					if v.Tag != tt.want && v.Reason == tt.reason {
						found = true
					}
				}
				if !found {
					t.Errorf("no loser has reason %q: %+v", tt.reason, res.Verdicts)
				}
			}
		})
	}
}

func reversed(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[len(in)-1-i] = s
	}
	return out
}

func BenchmarkSemverChoose(b *testing.B) {
	tags := make([]string, 0, 1000)
	for i := range 1000 {
		switch i % 4 {
		case 0:
			tags = append(tags, fmt.Sprintf("v%d.%d.%d", i/100, (i/10)%10, i%10))
		case 1:
			tags = append(tags, fmt.Sprintf("%d.%d.%d-rc.%d", i/100, (i/10)%10, i%10, i))
		case 2:
			tags = append(tags, fmt.Sprintf("sha-%07x", i*7919))
		default:
			tags = append(tags, fmt.Sprintf("%d.%d", i/100, i%100))
		}
	}
	p := mustCompile(b, Settings{Constraint: ">=1.0 <9", IgnoreTags: []string{"*-debug"}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Choose(ctx, tags, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseVersion checks that the fast rejection in parseVersion never
// rejects a tag semver.NewVersion accepts.
func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "v1.2", "latest", "v", "", "01.2", "1.2.3-rc.1+b", "va1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		_, fastErr := parseVersion(tag)
		_, fullErr := semver.NewVersion(tag)
		if (fastErr == nil) != (fullErr == nil) {
			t.Fatalf("parseVersion(%q) err %v, NewVersion err %v", tag, fastErr, fullErr)
		}
	})
}
