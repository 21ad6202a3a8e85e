package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRefFormsRoundTrip parses each accepted reference form and checks the
// parts it found and that String prints the reference back unchanged.
func TestRefFormsRoundTrip(t *testing.T) {
	tests := []struct {
		ref  string
		want ref
	}{
		{"env:REG_CREDS", ref{kind: KindEnv, env: "REG_CREDS"}},
		{"env:_x1", ref{kind: KindEnv, env: "_x1"}},
		{"ext:/app/bin/auth.sh", ref{kind: KindExt, path: "/app/bin/auth.sh"}},
		{"ext:/path with space/auth", ref{kind: KindExt, path: "/path with space/auth"}},
		{"secret:argocd/acr#creds", ref{kind: KindSecret, namespace: "argocd", name: "acr", key: "creds"}},
		{"secret:team.a/acr.v2#.dockerconfigjson", ref{kind: KindSecret, namespace: "team.a", name: "acr.v2", key: ".dockerconfigjson"}},
		{"secret:ns/n#a#b", ref{}}, // '#' is not a key character: rejected below
		{"pullsecret:argocd/regcred", ref{kind: KindPullSecret, namespace: "argocd", name: "regcred"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := parseRefSyntax(tt.ref)
			if tt.want.kind == "" {
				if err == nil {
					t.Fatalf("parseRefSyntax(%q) = %+v, want an error", tt.ref, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("parseRefSyntax = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.ref {
				t.Errorf("String() = %q, want %q", s, tt.ref)
			}
		})
	}
}

func TestCheckRefRejects(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"ENV:X", "unknown form"},
		{"env", "unknown form"},
		{" env:X", "unknown form"},
		{"env:1X", "not a valid environment variable name"},
		{"env:X Y", "not a valid environment variable name"},
		{"ext:", "absolute path"},
		{"ext:/bin/a\nb", "absolute path"},
		{"ext:/bin/a\x00", "absolute path"},
		{"secret:ns/n#k/ey", "want secret:namespace/name#key"},
		{"secret:/n#k", "bad namespace"},
		{"secret:-ns/n#k", "bad namespace"},
		{"secret:ns/n.#k", "bad name"},
		{"pullsecret:ns/", "bad name"},
		{"pullsecret:", "missing namespace"},
		{"provider:aws?region", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			err := CheckRef(tt.ref)
			if !errors.Is(err, ErrInvalidRef) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckRef(%q) = %v, want ErrInvalidRef with %q", tt.ref, err, tt.want)
			}
		})
	}
}

// A malformed reference of a known kind is never read as plain
// credentials: "secret:ns" must not log in as user "secret".
func TestAllowPlainDoesNotReadKnownKindsAsPasswords(t *testing.T) {
	for _, r := range []string{"secret:ns", "env:bad-name", "pullsecret:x", "ext:relative", "provider:nope"} {
		if src, err := ParseRef(r, AllowPlain()); err == nil {
			t.Errorf("ParseRef(%q, AllowPlain) = %v; want the reference's own error", r, src)
		}
	}
	src, err := ParseRef("robot:"+topSecret, AllowPlain())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := src.Resolve(context.Background()); err != nil || got.Username != "robot" || got.Password != topSecret {
		t.Fatalf("plain credentials = %+v, %v", got, err)
	}
}

func TestParseRefSourcesNameTheirReference(t *testing.T) {
	opts := []Option{WithSecretGetter(fakeSecrets{}), WithRegistryHost("ghcr.io"), WithExtTimeout(time.Second)}
	for _, r := range []string{"env:X", "ext:/bin/creds", "secret:ns/n#k", "pullsecret:ns/n"} {
		src, err := ParseRef(r, opts...)
		if err != nil {
			t.Fatalf("ParseRef(%q): %v", r, err)
		}
		if got := fmt.Sprint(src); got != r {
			t.Errorf("ParseRef(%q) prints as %q", r, got)
		}
	}
	src, _ := ParseRef("ext:/bin/creds", WithExtTimeout(3*time.Second))
	if ext, ok := src.(*extSource); !ok || ext.timeout != 3*time.Second {
		t.Errorf("ext timeout option not applied: %+v", src)
	}
	src, _ = ParseRef("ext:/bin/creds")
	if ext := src.(*extSource); ext.timeout != DefaultExtTimeout {
		t.Errorf("default ext timeout = %v", ext.timeout)
	}
}

func TestRefreshAt(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lifetime time.Duration
		want     time.Duration // refresh offset from at
	}{
		{"long lifetime: the fixed margin", 12 * time.Hour, 12*time.Hour - RefreshMargin},
		{"exactly four margins", 4 * RefreshMargin, 3 * RefreshMargin},
		{"short lifetime: a quarter", 8 * time.Minute, 6 * time.Minute},
		{"zero lifetime: at once", 0, 0},
	}
	for _, tt := range tests {
		if got := refreshAt(at, at.Add(tt.lifetime)); !got.Equal(at.Add(tt.want)) {
			t.Errorf("%s: refreshAt = %s, want %s", tt.name, got.Sub(at), tt.want)
		}
	}
}

func TestCachedStringNamesTheSource(t *testing.T) {
	src, err := ParseRef("env:REG", WithLookupEnv(func(string) (string, bool) { return "", false }))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(Cached(src, time.Hour, nil)); got != "env:REG" {
		t.Errorf("Cached prints %q", got)
	}
	if got := fmt.Sprint(Cached(&countingSource{}, 0, nil)); got != "cached credentials" {
		t.Errorf("Cached of an unnamed source prints %q", got)
	}
}
