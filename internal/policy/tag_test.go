package policy

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestValidTag(t *testing.T) {
	tests := []struct {
		tag  string
		want bool
	}{
		{"1.2.3", true},
		{"v1.2.3-rc.1", true},
		{"_private", true},
		{"latest", true},
		{"A" + strings.Repeat("b", 127), true},
		{"A" + strings.Repeat("b", 128), false},
		{"", false},
		{".hidden", false},
		{"-dash", false},
		{"5.0.0$(id)", false},
		{"{{ .X }}", false},
		{"5.0.0\r\nX: y", false},
		{"5.0.0\n", false},
		{"5.0.0\u202e", false},
		{"../../etc", false},
		{"a/b", false},
		{"1.2.0+build", false},
		{"a b", false},
		{"ünïcode", false},
	}
	for _, tt := range tests {
		if got := ValidTag(tt.tag); got != tt.want {
			t.Errorf("ValidTag(%q) = %v, want %v", tt.tag, got, tt.want)
		}
	}
}

func TestInvalidTagsNeverChosenNorAsked(t *testing.T) {
	tags := []string{"1.0.0", "9.0.0$(id)", "{{ .X }}", "9.0.0\r\n", "9.0.0\u202e", "9" + strings.Repeat("0", 128), "../../etc"}
	md := &fakeMetadata{images: map[string][]fakeImage{}, digests: map[string]string{}}
	for i, tag := range tags {
		md.images[tag], md.digests[tag] = single(1+i), "sha256:"+tag
	}
	for _, s := range []Settings{{}, {Strategy: "latest", Platforms: []string{"linux/amd64"}}, {Strategy: "name"}} {
		md.calls = nil
		res, err := mustCompile(t, s).Choose(context.Background(), tags, md)
		if err != nil || res.Tag != "1.0.0" {
			t.Fatalf("%q chose %q, %v", s.Strategy, res.Tag, err)
		}
		for _, v := range res.Verdicts[1:] {
			if v.Eligible || v.Reason != ReasonInvalidTag {
				t.Errorf("%q: verdict %+v", s.Strategy, v)
			}
		}
		for _, c := range md.calls {
			if c != "created:1.0.0" {
				t.Errorf("%q: metadata asked for %q", s.Strategy, c)
			}
		}
	}
}

// FuzzValidTag checks that every name ValidTag admits is a tag reference
// go-containerregistry accepts, short, and free of anything that could
// leave a path segment, a YAML scalar or a terminal line.
func FuzzValidTag(f *testing.F) {
	for _, s := range []string{"1.2.3", "v1", "_a", "../x", "a\nb", "a\u202eb", "{{.}}", strings.Repeat("a", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		if !ValidTag(tag) {
			return
		}
		if len(tag) > 128 || !utf8.ValidString(tag) || strings.ContainsAny(tag, "/\\:@$ {}\r\n\t\"'`") || strings.HasPrefix(tag, ".") || strings.HasPrefix(tag, "-") {
			t.Fatalf("ValidTag admitted %q", tag)
		}
		for _, r := range tag {
			if r > 0x7e || r < 0x21 {
				t.Fatalf("ValidTag admitted %q (rune %U)", tag, r)
			}
		}
		if _, err := name.NewTag("registry.example.com/a/b:"+tag, name.StrictValidation); err != nil {
			t.Fatalf("ValidTag admitted %q, go-containerregistry refuses it: %v", tag, err)
		}
	})
}
