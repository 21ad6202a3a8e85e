package policy

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCompileStrategies(t *testing.T) {
	tests := []struct {
		strategy, constraint string
		want                 string
		needsMetadata        bool
	}{
		{"", "", StrategySemver, false},
		{"semver", "~1.2", StrategySemver, false},
		{"SemVer", "", StrategySemver, false},
		{" semver ", "", StrategySemver, false},
		{"latest", "", StrategyNewestBuild, true},
		{"newest-build", "not a constraint", StrategyNewestBuild, true},
		{"name", "", StrategyAlphabetical, false},
		{"alphabetical", "!!", StrategyAlphabetical, false},
		{"digest", "latest", StrategyDigest, true},
	}
	for _, tt := range tests {
		p, err := Compile(Settings{Strategy: tt.strategy, Constraint: tt.constraint})
		if err != nil {
			t.Errorf("Compile(%q, %q): %v", tt.strategy, tt.constraint, err)
			continue
		}
		if p.Strategy() != tt.want || p.NeedsMetadata() != tt.needsMetadata {
			t.Errorf("Compile(%q): strategy %q needsMetadata %v, want %q %v",
				tt.strategy, p.Strategy(), p.NeedsMetadata(), tt.want, tt.needsMetadata)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		want     []string // substrings of the error
	}{
		{"unknown strategy", Settings{Strategy: "newest"}, []string{`update-strategy "newest": unknown strategy`}},
		{"invalid constraint", Settings{Constraint: "~>1.x.y"}, []string{`constraint "~>1.x.y": invalid semver constraint`}},
		{"tag as semver constraint", Settings{Constraint: "latest"}, []string{`constraint "latest"`}},
		{"digest without tag", Settings{Strategy: "digest"}, []string{`constraint "": the digest strategy needs the tag to follow`}},
		{"digest with a range", Settings{Strategy: "digest", Constraint: "~1.2"}, []string{`constraint "~1.2": not a valid tag`}},
		{"invalid regexp", Settings{AllowTags: "regexp:(["}, []string{`allow-tags "regexp:([": invalid regexp: `}},
		{"allow without prefix", Settings{AllowTags: "^v1"}, []string{`allow-tags "^v1": want "any" or "regexp:<re>"`}},
		{"bad glob", Settings{IgnoreTags: []string{"ok-*", "[a-"}}, []string{`ignore-tags "[a-": invalid glob: syntax error in pattern`}},
		{"bad platform", Settings{Platforms: []string{"linux"}}, []string{`platforms "linux": want os/arch[/variant]`}},
		{
			"every problem reported",
			Settings{Strategy: "bogus", AllowTags: "regexp:(", IgnoreTags: []string{"["}, Platforms: []string{"a/b/c/d"}},
			[]string{"update-strategy", "allow-tags", "ignore-tags", "platforms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile(tt.settings)
			if err == nil {
				t.Fatalf("Compile(%+v) = %v, want error", tt.settings, p)
			}
			if !errors.Is(err, ErrInvalidSettings) {
				t.Errorf("error %v does not wrap ErrInvalidSettings", err)
			}
			var se *SettingsError
			if !errors.As(err, &se) {
				t.Errorf("error %v is not a *SettingsError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompilePlatforms(t *testing.T) {
	p := mustCompile(t, Settings{})
	if want := []Platform{{OS: runtime.GOOS, Architecture: runtime.GOARCH}}; !slices.Equal(p.Platforms(), want) {
		t.Errorf("default platforms %v, want %v", p.Platforms(), want)
	}
	p = mustCompile(t, Settings{Platforms: []string{"linux/amd64", " Linux/AMD64 ", "", "linux/arm/v7"}})
	if want := []Platform{linuxAMD64, linuxARMv7}; !slices.Equal(p.Platforms(), want) {
		t.Errorf("platforms %v, want %v", p.Platforms(), want)
	}
	p.Platforms()[0] = Platform{}
	if p.Platforms()[0] != linuxAMD64 {
		t.Error("Platforms returned the policy's own slice")
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		allow  string
		ignore []string
		tag    string
		want   string
	}{
		{"", nil, "anything", ""},
		{"any", nil, "anything", ""},
		{" any ", nil, "anything", ""},
		{"regexp:", nil, "anything", ""},
		{"regexp:^v1\\.", nil, "v1.2", ""},
		{"regexp:^v1\\.", nil, "v2.1", `not matched by allow-tags "regexp:^v1\\."`},
		{"regexp:alpine", nil, "1.0-alpine3.19", ""},
		{"", []string{"*"}, "1.0", `ignored by ignore-tags "*"`},
		{"", []string{"*-rc"}, "1.0-rc", `ignored by ignore-tags "*-rc"`},
		{"", []string{"*-rc"}, "1.0-rc1", ""},
		{"", []string{"latest", " dev "}, "dev", `ignored by ignore-tags "dev"`},
		{"", []string{"1.[0-2].*"}, "1.1.5", `ignored by ignore-tags "1.[0-2].*"`},
		{"", []string{"1.[0-2].*"}, "1.3.5", ""},
		{"", []string{"v?.0"}, "v1.0", `ignored by ignore-tags "v?.0"`},
		// ignore wins over allow
		{"regexp:.*", []string{"x"}, "x", `ignored by ignore-tags "x"`},
	}
	for _, tt := range tests {
		f, errs := compileFilter(tt.allow, tt.ignore)
		if len(errs) > 0 {
			t.Fatalf("compileFilter(%q, %q): %v", tt.allow, tt.ignore, errs)
		}
		if got := f.reject(tt.tag); got != tt.want {
			t.Errorf("allow %q ignore %q tag %q: %q, want %q", tt.allow, tt.ignore, tt.tag, got, tt.want)
		}
	}
}

func TestIsNewer(t *testing.T) {
	tests := []struct {
		strategy, candidate, current string
		want                         bool
		wantErr                      error // nil, ErrNotComparable, or errAny
	}{
		{"semver", "1.2.10", "1.2.9", true, nil},
		{"semver", "v1.3", "1.2.9", true, nil},
		{"semver", "1.2.0", "v1.2.0", false, nil},
		{"semver", "1.2.0", "1.2.0-rc.1", true, nil},
		{"semver", "1.1.0", "1.2.0", false, nil},
		{"semver", "latest", "1.2.0", false, errAny},
		{"semver", "1.2.0", "latest", false, errAny},
		{"alphabetical", "b", "a", true, nil},
		{"alphabetical", "9", "10", true, nil},
		{"alphabetical", "a", "a", false, nil},
		{"newest-build", "a", "b", false, ErrNotComparable},
		{"digest", "latest", "latest", false, ErrNotComparable},
	}
	for _, tt := range tests {
		constraint := ""
		if tt.strategy == "digest" {
			constraint = "latest"
		}
		p := mustCompile(t, Settings{Strategy: tt.strategy, Constraint: constraint})
		got, err := p.IsNewer(tt.candidate, tt.current)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s IsNewer(%q, %q): %v", tt.strategy, tt.candidate, tt.current, err)
		case tt.wantErr == errAny && err == nil,
			tt.wantErr == ErrNotComparable && !errors.Is(err, ErrNotComparable):
			t.Errorf("%s IsNewer(%q, %q): err %v, want %v", tt.strategy, tt.candidate, tt.current, err, tt.wantErr)
		case got != tt.want:
			t.Errorf("%s IsNewer(%q, %q) = %v, want %v", tt.strategy, tt.candidate, tt.current, got, tt.want)
		}
	}
}

var errAny = errors.New("any error")
