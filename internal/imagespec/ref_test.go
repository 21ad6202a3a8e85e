package imagespec

import (
	"strings"
	"testing"
)

func TestSplitReference(t *testing.T) {
	tests := []struct{ ref, name, tag, digest string }{
		{"nginx", "nginx", "", ""},
		{"nginx:1.27", "nginx", "1.27", ""},
		{"registry.example.com:5000/team/app", "registry.example.com:5000/team/app", "", ""},
		{"registry.example.com:5000/team/app:v2", "registry.example.com:5000/team/app", "v2", ""},
		{"ghcr.io/org/app@sha256:abc", "ghcr.io/org/app", "", "sha256:abc"},
		{"ghcr.io/org/app:v1@sha256:abc", "ghcr.io/org/app", "v1", "sha256:abc"},
		{"localhost:5000/app@sha256:abc", "localhost:5000/app", "", "sha256:abc"},
		{"", "", "", ""},
		{":v1", "", "v1", ""},
	}
	for _, tt := range tests {
		name, tag, digest := SplitReference(tt.ref)
		if name != tt.name || tag != tt.tag || digest != tt.digest {
			t.Errorf("SplitReference(%q) = %q, %q, %q; want %q, %q, %q", tt.ref, name, tag, digest, tt.name, tt.tag, tt.digest)
		}
	}
}

func TestSplitTagValue(t *testing.T) {
	tests := []struct{ in, tag, digest string }{
		{"v1.2.3", "v1.2.3", ""},
		{"v1.2.3@sha256:abc", "v1.2.3", "sha256:abc"},
		{"sha256:abc", "", "sha256:abc"},
		{"", "", ""},
	}
	for _, tt := range tests {
		tag, digest := SplitTagValue(tt.in)
		if tag != tt.tag || digest != tt.digest {
			t.Errorf("SplitTagValue(%q) = %q, %q; want %q, %q", tt.in, tag, digest, tt.tag, tt.digest)
		}
	}
}

// FuzzSplitReference checks that the parts always join back to the input
// and that a tag never holds a slash or a digest an "@".
func FuzzSplitReference(f *testing.F) {
	for _, s := range []string{"nginx:1", "host:5000/a/b:c@sha256:x", "a@b@c", "::/:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		name, tag, digest := SplitReference(ref)
		joined := name
		if tag != "" || strings.HasSuffix(strings.SplitN(ref, "@", 2)[0], ":") {
			joined += ":" + tag
		}
		if strings.Contains(ref, "@") {
			joined += "@" + digest
		}
		if joined != ref {
			t.Fatalf("SplitReference(%q) = %q, %q, %q does not join back", ref, name, tag, digest)
		}
		if strings.Contains(tag, "/") || strings.Contains(tag, "@") {
			t.Fatalf("SplitReference(%q): tag %q holds / or @", ref, tag)
		}
	})
}
