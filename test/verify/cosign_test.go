package verify

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/test/infra"
)

// signArgs are the cosign flags that write a legacy sha256-<hex>.sig tag
// to a plain-http loopback registry without a transparency log.
func signArgs(k keyPair, ref string) []string {
	return []string{"sign", "--key", k.priv, "--tlog-upload=false", "--yes",
		"--allow-insecure-registry", "--allow-http-registry",
		"--new-bundle-format=false", "--use-signing-config=false", ref}
}

type checkOut struct {
	Tag, Digest string
	Found       bool
	Verdicts    []policy.Verdict
}

// check runs `imagepilot check -v -o json` and decodes the answer.
func check(t *testing.T, conf, image string, args ...string) (int, checkOut, string) {
	t.Helper()
	code, out, stderr := imagepilot(t, append([]string{"check", image, "--registries-conf-path", conf, "-o", "json", "-v"}, args...)...)
	var res checkOut
	if code == 0 || code == 1 {
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("json: %v\n%s\n%s", err, out, stderr)
		}
	}
	return code, res, stderr
}

func verdict(t *testing.T, res checkOut, tag string) policy.Verdict {
	t.Helper()
	for _, v := range res.Verdicts {
		if v.Tag == tag {
			return v
		}
	}
	t.Fatalf("no verdict for %s in %+v", tag, res.Verdicts)
	return policy.Verdict{}
}

func TestCheckPicksNewestSignedTag(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a, b := generateKey(t, dir, "a"), generateKey(t, dir, "b")
	conf := plainConf(t, reg)
	img := reg.Repo("team/app")
	d := seed(t, reg, "team/app", "1.0.0", "1.1.0", "2.0.0")

	// Nothing signed: nothing eligible, every checked tag says why.
	code, res, stderr := check(t, conf, img, "--cosign-key", a.pub)
	if code != 1 || res.Found {
		t.Fatalf("unsigned: exit %d %+v %s", code, res, stderr)
	}
	for _, tag := range []string{"1.0.0", "1.1.0", "2.0.0"} {
		if v := verdict(t, res, tag); v.Eligible || v.Signature != "not verified: no signature" {
			t.Errorf("unsigned %s: %+v", tag, v)
		}
	}

	// 1.1.0 signed by a, 2.0.0 by b: with a only, 1.1.0 wins over the
	// newer 2.0.0, which is reported as signed with the wrong key.
	sign(t, dir, a, img+"@"+d["1.1.0"])
	sign(t, dir, b, img+"@"+d["2.0.0"])
	code, res, stderr = check(t, conf, img, "--cosign-key", a.pub)
	if code != 0 || res.Tag != "1.1.0" || res.Digest != d["1.1.0"] {
		t.Fatalf("signed by a: exit %d %+v %s", code, res, stderr)
	}
	if v := verdict(t, res, "2.0.0"); v.Eligible || v.Signature != "not verified: wrong key" {
		t.Errorf("2.0.0 with a only: %+v", v)
	}
	if v := verdict(t, res, "1.1.0"); v.Signature != "verified: signed by a.pub" {
		t.Errorf("1.1.0: %+v", v)
	}
	if v := verdict(t, res, sigTag(d["1.1.0"])); v.Eligible || v.Reason != policy.ReasonCosignTag {
		t.Errorf("signature tag: %+v", v)
	}

	// Either key is enough.
	code, res, _ = check(t, conf, img, "--cosign-key", a.pub, "--cosign-key", b.pub)
	if code != 0 || res.Tag != "2.0.0" {
		t.Fatalf("keys a and b: exit %d %+v", code, res)
	}

	// The same for every strategy.
	code, res, _ = check(t, conf, img, "--cosign-key", a.pub, "--update-strategy", "newest-build", "--platforms", "linux/amd64")
	if code != 0 || res.Tag != "1.1.0" {
		t.Fatalf("newest-build: exit %d %+v", code, res)
	}
	code, res, _ = check(t, conf, img, "--cosign-key", a.pub, "--update-strategy", "alphabetical")
	if code != 0 || res.Tag != "1.1.0" {
		t.Fatalf("alphabetical: exit %d %+v", code, res)
	}
	code, res, _ = check(t, conf, img+":2.0.0", "--cosign-key", a.pub, "--update-strategy", "digest")
	if code != 1 {
		t.Fatalf("digest on a tag signed by another key: exit %d %+v", code, res)
	}

	// The text table shows the signature column.
	code, out, _ := imagepilot(t, "check", img, "--registries-conf-path", conf, "-v", "--cosign-key", a.pub)
	if code != 0 || !strings.Contains(out, "SIGNATURE") || !strings.Contains(out, "not verified: wrong key") || !strings.Contains(out, "not checked") {
		t.Fatalf("text -v: exit %d\n%s", code, out)
	}
}

func TestCheckSignatureCopiedFromAnotherDigest(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a := generateKey(t, dir, "a")
	conf := plainConf(t, reg)
	img := reg.Repo("team/copy")
	d := seed(t, reg, "team/copy", "1.0.0", "2.0.0")
	sign(t, dir, a, img+"@"+d["1.0.0"])
	copySignature(t, reg, "team/copy", d["1.0.0"], d["2.0.0"])

	code, res, stderr := check(t, conf, img, "--cosign-key", a.pub)
	if code != 0 || res.Tag != "1.0.0" {
		t.Fatalf("exit %d %+v %s", code, res, stderr)
	}
	if v := verdict(t, res, "2.0.0"); v.Eligible || v.Signature != "not verified: signature for another digest" {
		t.Errorf("2.0.0: %+v", v)
	}
}

func TestCheckMultiArchVerifiedAtIndexDigest(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a := generateKey(t, dir, "a")
	conf := plainConf(t, reg)
	repo := "team/multi"
	img := reg.Repo(repo)
	opts := reg.RemoteOptions(t.Context())
	idx := infra.PushIndex(t, img, "1.0.0", true, opts,
		infra.ImageSpec{OS: "linux", Architecture: "amd64"}, infra.ImageSpec{OS: "linux", Architecture: "arm64"})
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	// Signatures on the platform images alone do not make the tag signed.
	for _, child := range manifest.Manifests {
		sign(t, dir, a, img+"@"+child.Digest.String())
	}
	code, res, stderr := check(t, conf, img, "--cosign-key", a.pub)
	if code != 1 {
		t.Fatalf("children signed only: exit %d %+v %s", code, res, stderr)
	}
	indexDigest := digestOf(t, reg, repo, "1.0.0")
	sign(t, dir, a, img+"@"+indexDigest)
	for _, strategy := range []string{"semver", "newest-build"} {
		code, res, stderr = check(t, conf, img, "--cosign-key", a.pub, "--update-strategy", strategy, "--platforms", "linux/arm64")
		if code != 0 || res.Tag != "1.0.0" || res.Digest != indexDigest {
			t.Fatalf("%s, index signed: exit %d %+v %s", strategy, code, res, stderr)
		}
	}
}

func TestCheckImportedRSAAndEd25519Keys(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	conf := plainConf(t, reg)
	for _, kind := range []string{"rsa", "ed25519", "ecdsa-p384"} {
		t.Run(kind, func(t *testing.T) {
			k := importKey(t, dir, kind, kind)
			repo := "team/" + kind
			img := reg.Repo(repo)
			d := seed(t, reg, repo, "1.0.0", "2.0.0")
			sign(t, dir, k, img+"@"+d["1.0.0"])
			code, res, stderr := check(t, conf, img, "--cosign-key", k.pub)
			if code != 0 || res.Tag != "1.0.0" {
				t.Fatalf("exit %d %+v %s", code, res, stderr)
			}
			if v := verdict(t, res, "1.0.0"); v.Signature != "verified: signed by "+kind+".pub" {
				t.Errorf("1.0.0: %+v", v)
			}
		})
	}
}

func TestCheckBadKeyIsConfigurationError(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	conf := plainConf(t, reg)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pub")
	if err := os.WriteFile(bad, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{bad, filepath.Join(dir, "missing.pub")} {
		code, out, stderr := imagepilot(t, "check", reg.Repo("team/app"), "--registries-conf-path", conf, "--cosign-key", key)
		if code != 2 || !strings.Contains(stderr, key) || !strings.Contains(stderr, "--cosign-key") {
			t.Errorf("key %s: exit %d, stdout %q, stderr %q", key, code, out, stderr)
		}
	}
	if n := len(reg.Proxy.Requests()); n != 0 {
		t.Errorf("a bad key still made %d registry requests", n)
	}
	code, _, stderr := imagepilot(t, "plan", "--repo", dir, "--cosign-key", bad)
	if code != 2 || !strings.Contains(stderr, bad) {
		t.Errorf("plan with a bad key: exit %d %s", code, stderr)
	}
}

func TestCheckSignatureFetchErrorFailsWithoutDowngrade(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a := generateKey(t, dir, "a")
	conf := plainConf(t, reg)
	img := reg.Repo("team/err")
	d := seed(t, reg, "team/err", "1.0.0", "2.0.0")
	sign(t, dir, a, img+"@"+d["1.0.0"])
	sign(t, dir, a, img+"@"+d["2.0.0"])
	// The signature manifest of the newest tag cannot be read: no update,
	// and no fallback to the older signed 1.0.0 either.
	reg.Proxy.AddFault(infra.Fault{Kind: infra.KindManifest, Method: http.MethodGet, Status: http.StatusNotFound})
	code, out, stderr := imagepilot(t, "check", img, "--registries-conf-path", conf, "--cosign-key", a.pub)
	if code != 3 || strings.Contains(out, "1.0.0") || !strings.Contains(stderr, "2.0.0") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// signBundle signs ref in the sigstore bundle format, which cosign stores
// through the referrers tag schema (sha256-<hex>) on this registry, which
// has no referrers API.
func signBundle(t *testing.T, dir string, k keyPair, ref string) {
	t.Helper()
	cosign(t, dir, "sign", "--key", k.priv, "--tlog-upload=false", "--yes",
		"--allow-insecure-registry", "--allow-http-registry",
		"--new-bundle-format=true", "--use-signing-config=false", ref)
}

func TestCheckBundleFormat(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a, b := generateKey(t, dir, "a"), generateKey(t, dir, "b")
	conf := plainConf(t, reg)
	img := reg.Repo("team/bundle")
	d := seed(t, reg, "team/bundle", "1.0.0", "1.1.0", "2.0.0")
	signBundle(t, dir, a, img+"@"+d["1.0.0"])
	sign(t, dir, a, img+"@"+d["1.1.0"]) // legacy: both formats count
	signBundle(t, dir, b, img+"@"+d["2.0.0"])

	code, res, stderr := check(t, conf, img, "--cosign-key", a.pub)
	if code != 0 || res.Tag != "1.1.0" {
		t.Fatalf("exit %d %+v %s", code, res, stderr)
	}
	if v := verdict(t, res, "2.0.0"); v.Signature != "not verified: wrong key" {
		t.Errorf("2.0.0: %+v", v)
	}
	if v := verdict(t, res, ReferrersTagOf(d["1.0.0"])); v.Eligible || v.Reason != policy.ReasonCosignTag {
		t.Errorf("referrers tag: %+v", v)
	}
	code, res, stderr = check(t, conf, img, "--cosign-key", b.pub)
	if code != 0 || res.Tag != "2.0.0" || verdict(t, res, "2.0.0").Signature != "verified: signed by b.pub" {
		t.Fatalf("key b: exit %d %+v %s", code, res, stderr)
	}
	code, res, stderr = check(t, conf, img, "--cosign-key", a.pub, "--ignore-tags", "1.1.0")
	if code != 0 || res.Tag != "1.0.0" || verdict(t, res, "1.0.0").Signature != "verified: signed by a.pub" {
		t.Fatalf("bundle 1.0.0: exit %d %+v %s", code, res, stderr)
	}
}

// ReferrersTagOf is the referrers tag schema tag of digest.
func ReferrersTagOf(digest string) string { return strings.Replace(digest, ":", "-", 1) }
