package policy

import (
	"errors"
	"testing"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    Platform
		wantErr bool
	}{
		{in: "linux/amd64", want: linuxAMD64},
		{in: "linux/arm/v7", want: linuxARMv7},
		{in: " Linux/ARM64 ", want: Platform{OS: "linux", Architecture: "arm64"}},
		{in: "windows/amd64", want: Platform{OS: "windows", Architecture: "amd64"}},
		{in: "linux/ppc64le", want: Platform{OS: "linux", Architecture: "ppc64le"}},
		{in: "linux", wantErr: true},
		{in: "", wantErr: true},
		{in: "linux/", wantErr: true},
		{in: "/amd64", wantErr: true},
		{in: "linux/arm/", wantErr: true},
		{in: "linux/arm/v7/x", wantErr: true},
		{in: "linux/am d64", wantErr: true},
		{in: "linux//v7", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePlatform(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidSettings) {
				t.Errorf("ParsePlatform(%q) = %v, %v; want ErrInvalidSettings", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePlatform(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestPlatformMatches(t *testing.T) {
	tests := []struct {
		entry, want string
		match       bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm/v7", "linux/arm", true},  // os/arch filter matches any variant
		{"linux/arm", "linux/arm/v7", false}, // variant filter needs the variant
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/arm/v7", "linux/arm/v7", true},
		{"linux/arm64", "linux/amd64", false},
		{"windows/amd64", "linux/amd64", false},
	}
	for _, tt := range tests {
		e, _ := ParsePlatform(tt.entry)
		w, _ := ParsePlatform(tt.want)
		if got := e.Matches(w); got != tt.match {
			t.Errorf("%s.Matches(%s) = %v, want %v", tt.entry, tt.want, got, tt.match)
		}
	}
	if !linuxARMv7.MatchesAny([]Platform{linuxAMD64, {OS: "linux", Architecture: "arm"}}) {
		t.Error("MatchesAny missed a match")
	}
	if linuxARMv7.MatchesAny(nil) {
		t.Error("MatchesAny(nil) matched")
	}
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "Linux/ARM64", "a/b/c/d", "", "/", "linux//v7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePlatform(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSettings) {
				t.Fatalf("error %v does not wrap ErrInvalidSettings", err)
			}
			return
		}
		if p.OS == "" || p.Architecture == "" {
			t.Fatalf("ParsePlatform(%q) = %+v with empty parts", s, p)
		}
		again, err := ParsePlatform(p.String())
		if err != nil || again != p {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", s, p, p.String(), again, err)
		}
		if !p.Matches(p) {
			t.Fatalf("%+v does not match itself", p)
		}
	})
}
