package verify

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/verify"
	"github.com/imagepilot/imagepilot/test/infra"
)

func newClient(t *testing.T, reg *infra.Registry) *registry.Client {
	t.Helper()
	c, err := registry.New(registry.WithResolver(func(host, repo string) registryconf.Registry {
		return registryconf.Registry{Name: "test", APIURL: reg.URL, Prefix: reg.Host}
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cycle runs one update cycle for repo as the planner does: one listing,
// then the policy with the cycle's metadata.
func cycle(t *testing.T, c *registry.Client, repo name.Repository, pol *policy.Policy) policy.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cy := c.NewCycle()
	tags, err := cy.Tags(ctx, repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pol.Choose(ctx, tags, cy.Metadata(repo, nil))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestVerificationCostPerCycle counts every registry request of two cycles
// with the same long-lived client and verifier: the second cycle makes no
// signature request at all, for a verified winner above an unsigned and a
// wrongly signed tag, and semver's only extra request is one HEAD of the
// winner's tag.
func TestVerificationCostPerCycle(t *testing.T) {
	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) { testCostPerCycle(t, format) })
	}
}

func testCostPerCycle(t *testing.T, format string) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	dir := t.TempDir()
	a, b := generateKey(t, dir, "a"), generateKey(t, dir, "b")
	img := reg.Repo("team/cost")
	d := seed(t, reg, "team/cost", "1.0.0", "1.1.0", "1.2.0", "2.0.0")
	signWith := sign
	if format == "bundle" {
		signWith = signBundle
	}
	signWith(t, dir, a, img+"@"+d["1.1.0"])
	signWith(t, dir, b, img+"@"+d["1.2.0"]) // wrong key
	// 2.0.0 is unsigned.
	repo, err := name.NewRepository(img)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.LoadFiles([]string{a.pub})
	if err != nil {
		t.Fatal(err)
	}
	for _, strategy := range []string{"semver", "newest-build"} {
		t.Run(strategy, func(t *testing.T) {
			c := newClient(t, reg)
			plain, err := policy.Compile(policy.Settings{Strategy: strategy, Platforms: []string{"linux/amd64"}})
			if err != nil {
				t.Fatal(err)
			}
			verified, err := policy.Compile(policy.Settings{Strategy: strategy, Platforms: []string{"linux/amd64"}, Verify: v})
			if err != nil {
				t.Fatal(err)
			}
			// Without verification, as a baseline (warm: second cycle).
			cycle(t, c, repo, plain)
			reg.Proxy.Reset()
			if res := cycle(t, c, repo, plain); res.Tag != "2.0.0" {
				t.Fatalf("unverified: %+v", res)
			}
			base := reg.Proxy.Counts()
			reg.Proxy.Reset()

			res := cycle(t, c, repo, verified)
			if res.Tag != "1.1.0" || res.Digest != d["1.1.0"] {
				t.Fatalf("verified: %+v", res)
			}
			first := reg.Proxy.Counts()
			reg.Proxy.Reset()
			if res := cycle(t, c, repo, verified); res.Tag != "1.1.0" {
				t.Fatalf("second verified cycle: %+v", res)
			}
			second := reg.Proxy.Counts()
			reg.Proxy.Reset()
			t.Logf("%s requests per cycle: without verification %v; with: first %v, second %v", strategy, base, first, second)
			if second["GET manifest"] != 0 || second["GET blob"] != 0 {
				t.Errorf("second cycle read signatures again: %v", second)
			}
			extraHeads := second["HEAD manifest"] - base["HEAD manifest"]
			if strategy == "newest-build" && extraHeads != 0 {
				t.Errorf("newest-build: second cycle made %d extra HEADs: %v vs %v", extraHeads, second, base)
			}
			// semver reads the verified winner's digest afresh each cycle
			// (a tag can move): one HEAD; the unverified tags above it are
			// ruled out from cached digests.
			if strategy == "semver" && extraHeads != 1 {
				t.Errorf("semver: second cycle made %d extra HEADs: %v vs %v", extraHeads, second, base)
			}
			if second["GET tags"] != base["GET tags"] {
				t.Errorf("listing count changed: %v vs %v", second, base)
			}
		})
	}
}
