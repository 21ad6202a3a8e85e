package credentials

import (
	"context"
	"strings"
	"testing"
)

func FuzzSplitUserPassword(f *testing.F) {
	for _, s := range []string{"user:pass", "u:p:a:s:s", ":p", "u:", "", "nocolon", `_json_key:{"a":"b:c"}`, "ü:ß\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		cfg, err := SplitUserPassword(value, "test value")
		if err != nil {
			switch err.Error() {
			case "test value: value is not in the form user:password", "test value: user name is empty", "test value: password is empty":
			default:
				t.Fatalf("unexpected error text (may reveal the value): %q", err)
			}
			return
		}
		if cfg.Username == "" || cfg.Password == "" || strings.Contains(cfg.Username, ":") {
			t.Fatalf("bad split of %q: %+v", value, cfg)
		}
		if cfg.Username+":"+cfg.Password != value {
			t.Fatalf("split of %q does not round-trip: %+v", value, cfg)
		}
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"env:X", "ext:/a/b", "secret:ns/n#k", "pullsecret:ns/n", "user:" + topSecret, "secret:", "pullsecret:/", "env:", "ext:", "::", "a:b:c"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, ref string, plain bool) {
		opts := []Option{WithSecretGetter(fakeSecrets{}), WithRegistryHost("r.io"), WithLookupEnv(func(string) (string, bool) { return "", false })}
		if plain {
			opts = append(opts, AllowPlain())
		}
		src, err := ParseRef(ref, opts...)
		if err != nil {
			// A reference of an unknown form may be a password: never echo it.
			fixed := ErrInvalidRef.Error() + ": unknown form, want env:VAR, ext:/abs/path, secret:ns/name#key, pullsecret:ns/name or provider:aws|gcp|azure|alibaba|auto" +
				"plain credentials: value is not in the form user:password; user name is empty; password is empty"
			if !hasKnownKind(ref) && strings.Contains(err.Error(), ref) && !strings.Contains(fixed, ref) {
				t.Fatalf("error quotes an unknown-form reference: %v", err)
			}
			return
		}
		if CheckRef(ref) != nil && !plain {
			t.Fatalf("ParseRef accepted %q that CheckRef rejects", ref)
		}
		if _, isExt := src.(*extSource); isExt {
			return // do not run arbitrary paths
		}
		_, _ = src.Resolve(context.Background())
	})
}

// FuzzDockerConfig feeds arbitrary Secret data through the pull secret
// decoder and the entry picker: neither may panic, and an error never
// quotes the password a well-formed entry carries.
func FuzzDockerConfig(f *testing.F) {
	f.Add([]byte(`{"auths":{"ghcr.io":{"username":"u","password":"`+topSecret+`"}}}`), "ghcr.io", true)
	f.Add([]byte(`{"https://index.docker.io/v1/":{"auth":"dTp0MHAtczNjcjN0"}}`), "docker.io", false)
	f.Add([]byte(`{"auths":{"a":{"auth":"%%%"}}}`), "a", true)
	f.Add([]byte(`{"auths":null}`), "", true)
	f.Fuzz(func(t *testing.T, raw []byte, host string, modern bool) {
		key := dockerCfgKey
		if modern {
			key = dockerConfigJSONKey
		}
		auths, err := decodeAuths(map[string][]byte{key: raw})
		if err != nil {
			if strings.Contains(err.Error(), topSecret) {
				t.Fatalf("decode error quotes the password: %v", err)
			}
			return
		}
		cfg, err := PickAuth(auths, host)
		if err != nil {
			if strings.Contains(err.Error(), topSecret) {
				t.Fatalf("pick error quotes the password: %v", err)
			}
			return
		}
		if cfg.Username == "" && cfg.IdentityToken == "" && cfg.RegistryToken == "" {
			t.Fatalf("picked an entry without credentials: %+v", cfg)
		}
	})
}
