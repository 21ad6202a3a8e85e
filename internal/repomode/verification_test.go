package repomode

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/verify"
)

func TestParseSecretKeyMapping(t *testing.T) {
	for in, want := range map[string]string{ // want "ref|file", "" for an error
		"cosign#cosign.pub=/keys/a.pub":        "cosign#cosign.pub|/keys/a.pub",
		"argocd/cosign#cosign.pub=keys/a.pub":  "argocd/cosign#cosign.pub|keys/a.pub",
		"cosign#cosign.pub=/keys/odd=name.pub": "cosign#cosign.pub|/keys/odd=name.pub",
		"/keys/a.pub":                          "",
		"cosign=/keys/a.pub":                   "",
		"cosign#=/keys/a.pub":                  "",
		"#cosign.pub=/keys/a.pub":              "",
		"/cosign#cosign.pub=/keys/a.pub":       "",
		"a/b/c#k=/f":                           "",
		"cosign#cosign.pub=":                   "",
		"cosign#k#x=/f":                        "",
		" cosign#k=/f":                         "",
	} {
		ref, file, err := ParseSecretKeyMapping(in)
		got := ref + "|" + file
		if err != nil {
			got = ""
			if !errors.Is(err, ErrBadSecretKeyMapping) || !strings.Contains(err.Error(), "[NAMESPACE/]SECRET#KEY=FILE") {
				t.Errorf("%q: error %v", in, err)
			}
		}
		if got != want {
			t.Errorf("ParseSecretKeyMapping(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzParseSecretKeyMapping(f *testing.F) {
	f.Add("argocd/cosign#cosign.pub=/k.pub")
	f.Add("a#b=")
	f.Fuzz(func(t *testing.T, s string) {
		ref, file, err := ParseSecretKeyMapping(s)
		if err != nil {
			return
		}
		if file == "" || strings.Contains(ref, "=") || strings.Count(ref, "#") != 1 || strings.Count(ref, "/") > 1 || ref+"="+file != s {
			t.Fatalf("accepted %q as %q = %q", s, ref, file)
		}
	})
}

func testKey(t *testing.T, name string) verify.Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	key, err := verify.ParseKey(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

type fixedVerifier string

func (f fixedVerifier) Verify(context.Context, policy.Metadata, string, string) (policy.Verification, error) {
	return policy.Verification{Verified: true, Reason: string(f)}, nil
}

func TestApplyVerification(t *testing.T) {
	team, org := testKey(t, "team"), testKey(t, "org")
	keys := SecretKeys{"argocd/team#cosign.pub": team, "org#cosign.pub": org}
	item := func(app, alias string, v *target.Verification) updater.Item {
		return updater.Item{Target: target.Target{App: target.AppRef{Namespace: "argocd", Name: app}, Image: imagespec.Spec{Alias: alias, Name: alias}, Verification: v}}
	}
	ver := func(secret string) *target.Verification {
		return &target.Verification{SecretName: secret, Key: "cosign.pub", Field: "spec.imagesVerification.cosignKey"}
	}
	run := fixedVerifier("run-wide")
	for name, tc := range map[string]struct {
		items   []updater.Item
		run     policy.Verifier
		want    []string // per kept item: "none", "run", "block" or "both"
		wantErr string
	}{
		"nothing":                        {items: []updater.Item{item("a", "x", nil)}, want: []string{"none"}},
		"run-wide only":                  {items: []updater.Item{item("a", "x", nil)}, run: run, want: []string{"run"}},
		"namespaced mapping":             {items: []updater.Item{item("a", "x", ver("team"))}, want: []string{"block"}},
		"any-namespace":                  {items: []updater.Item{item("a", "x", ver("org"))}, want: []string{"block"}},
		"both must verify":               {items: []updater.Item{item("a", "x", ver("team"))}, run: run, want: []string{"both"}},
		"opt-out keeps the run-wide key": {items: []updater.Item{item("a", "x", nil), item("b", "y", ver("org"))}, run: run, want: []string{"run", "both"}},
		"unmapped blocks the application": {
			items:   []updater.Item{item("a", "x", nil), item("a", "y", ver("missing")), item("b", "z", nil)},
			want:    []string{"none"},
			wantErr: `spec.imagesVerification.cosignKey: no key for Secret argocd/missing key "cosign.pub" in repo mode: pass --cosign-secret argocd/missing#cosign.pub=FILE`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			var pool verify.Pool
			got, errs := applyVerification(tc.items, tc.run, keys, &pool)
			if tc.wantErr != "" {
				if len(errs) != 1 || !errors.Is(errs[0], target.ErrConfig) || !strings.Contains(errs[0].Error(), tc.wantErr) {
					t.Fatalf("errs %v, want %q", errs, tc.wantErr)
				}
			} else if len(errs) > 0 {
				t.Fatal(errs)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d items kept, want %d", len(got), len(tc.want))
			}
			for i, it := range got {
				kind := "none"
				switch v := it.Target.Policy.Verify.(type) {
				case fixedVerifier:
					kind = "run"
				case *verify.Verifier:
					kind = "block"
				case verify.All:
					if len(v) == 2 {
						kind = "both"
					}
				}
				if kind != tc.want[i] {
					t.Errorf("item %d: verifier %T (%s), want %s", i, it.Target.Policy.Verify, kind, tc.want[i])
				}
			}
		})
	}
}
