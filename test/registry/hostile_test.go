package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/test/infra"
)

// hostileTags are names a registry (or something between it and us) could
// list that are no valid tag references. Each sorts above the real tags as
// a version or a name, so a client that kept one would choose it.
var hostileTags = []string{
	"9.0.0$(id)",
	"{{ .X }}",
	"9.0.0\r\nX-Injected: 1",
	"9.0.0\n",
	"9.0.0\u202e",
	"9.0.0 ",
	"../../etc",
	"9.0.0/../../x",
	".9.0.0",
	"-9.0.0",
	"9" + strings.Repeat("0", 128),
	"",
}

// TestInvalidTagNamesDroppedWhenListed puts a proxy that adds hostile
// names to every tag listing in front of the real registry: the names are
// dropped from the listing (and reported as Invalid), never chosen by any
// strategy, and never reach a request.
func TestInvalidTagNamesDroppedWhenListed(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	infra.PushImage(t, reg.Repo("hostile/app"), infra.NewImage(t, infra.ImageSpec{Created: time.Now().UTC().Truncate(time.Second)}), reg.RemoteOptions(ctx), "1.0.0", "1.1.0")
	rw := infra.StartTagRewriter(t, reg.URL, hostileTags)
	c, err := registry.New(registry.WithRetryPolicy(testRetry), registry.WithResolver(func(host, repo string) registryconf.Registry {
		return registryconf.Registry{Name: "rewriter", APIURL: rw.URL, Prefix: rw.Host}
	}))
	if err != nil {
		t.Fatal(err)
	}
	reg.Proxy.Reset()
	r := repoOf(t, reg, "hostile/app")
	cy := c.NewCycle()
	l, err := cy.Listing(ctx, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(l.Tags, []string{"1.0.0", "1.1.0"}) || !slices.Equal(l.Invalid, hostileTags) {
		t.Fatalf("listing tags %q invalid %q", l.Tags, l.Invalid)
	}
	for _, s := range []policy.Settings{{Strategy: "semver"}, {Strategy: "alphabetical"}, {Strategy: "newest-build", Platforms: []string{"linux/amd64"}}} {
		pol, err := policy.Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		// Even handed the raw names (as check -v does), no strategy picks one.
		res, err := pol.Choose(ctx, append(slices.Clone(l.Tags), l.Invalid...), cy.Metadata(r, nil))
		if err != nil || res.Tag != "1.1.0" {
			t.Fatalf("%s chose %q, %v", s.Strategy, res.Tag, err)
		}
		for _, v := range res.Verdicts {
			if slices.Contains(l.Invalid, v.Tag) && (v.Eligible || (v.Tag != "" && v.Reason != policy.ReasonInvalidTag)) {
				t.Errorf("%s: verdict %+v for an invalid name", s.Strategy, v)
			}
		}
	}
	if _, err := cy.Metadata(r, nil).Digest(ctx, "../../etc"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Digest of an invalid name: %v, want ErrNotFound without a request", err)
	}
	for _, req := range reg.Proxy.Requests() {
		if req.Kind == infra.KindManifest && !strings.HasSuffix(req.Path, "/1.0.0") && !strings.HasSuffix(req.Path, "/1.1.0") && !strings.Contains(req.Path, "/sha256:") {
			t.Errorf("request for an unexpected reference: %s %s", req.Method, req.Path)
		}
	}
}

// TestStalledRegistryDoesNotHoldUpOthers plans images of a registry that
// sends headers and then stalls next to images of the real registry: the
// stalled ones fail with ErrTimeout within the bound, the others update.
func TestStalledRegistryDoesNotHoldUpOthers(t *testing.T) {
	reg, stuck, conf := realAndStuck(t, 3)
	ctx := ctxFor(t)
	const stall = 700 * time.Millisecond
	c, err := registry.New(registry.WithRetryPolicy(testRetry), registry.WithResolver(conf.Lookup),
		registry.WithTimeouts(3*time.Second, stall, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var items []updater.Item
	add := func(image string, settings policy.Settings) {
		spec, err := imagespec.Parse(image)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, updater.Item{
			Target:  target.Target{App: target.AppRef{Name: "app"}, Image: spec, Policy: settings},
			Current: updater.Current{Tag: "1.0.0", Live: true},
		})
	}
	for i := range 6 { // more stuck repositories than the planner runs at once
		add(fmt.Sprintf("%s/stuck/app%d", stuck.Host, i), policy.Settings{})
	}
	for i := range 3 {
		add(fmt.Sprintf("%s/ok/app%d", reg.Host, i), policy.Settings{})
	}
	add(fmt.Sprintf("%s/ok/app0", reg.Host), policy.Settings{Strategy: "newest-build", Platforms: []string{"linux/amd64"}})
	planner := &updater.Planner{Registry: access.NewView(access.NewResolver(conf, nil), c.NewCycle()), Concurrency: 2}
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	start := time.Now()
	decisions := planner.Plan(pctx, items)
	elapsed := time.Since(start)
	for _, d := range decisions {
		stuckImage := strings.Contains(d.Target.Image.Name, "/stuck/")
		switch {
		case stuckImage && (d.Action != updater.ActionError || !errors.Is(d.Err, registry.ErrTimeout)):
			t.Errorf("%s: %s %q (%v), want a timeout error", d.Target.Image.Name, d.Action, d.Reason, d.Err)
		case !stuckImage && (d.Action != updater.ActionUpdate || d.NewTag != "1.2.0"):
			t.Errorf("%s: %s %q (%v), want update to 1.2.0", d.Target.Image.Name, d.Action, d.Reason, d.Err)
		}
	}
	// One stall timeout (plus a little), not one per stuck repository, and
	// far from the request and operation bounds.
	if elapsed > 3*stall+2*time.Second {
		t.Errorf("planning took %s with a stall bound of %s", elapsed, stall)
	}
	if n := stuck.Stalled(); n < 1 || n > 2 {
		t.Errorf("%d requests left hanging on the stuck registry, want 1 or 2 (the planner runs 2 at once)", n)
	}
	t.Logf("planned %d images in %s; %d requests stalled", len(items), elapsed, stuck.Stalled())
}

// TestNoHeadersFailsOnceWithinBound asks a registry that never answers a
// HEAD: the request fails with ErrTimeout after the request bound, is not
// retried, and the registry is not asked again in the cycle.
func TestNoHeadersFailsOnceWithinBound(t *testing.T) {
	stuck := infra.StartStallingRegistry(t)
	conf, err := registryconf.Parse(fmt.Appendf(nil, "registries:\n- name: stuck\n  prefix: %s\n  api_url: %s\n", stuck.Host, stuck.URL))
	if err != nil {
		t.Fatal(err)
	}
	const bound = 800 * time.Millisecond
	c, err := registry.New(registry.WithRetryPolicy(testRetry), registry.WithResolver(conf.Lookup), registry.WithTimeouts(bound, bound, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cy := c.NewCycle()
	start := time.Now()
	for i := range 3 {
		r := repoOf(t, &infra.Registry{Host: stuck.Host}, fmt.Sprintf("stuck/app%d", i))
		if _, err := cy.Metadata(r, nil).Digest(ctxFor(t), "1.0.0"); !errors.Is(err, registry.ErrTimeout) {
			t.Fatalf("Digest: %v, want ErrTimeout", err)
		}
	}
	if d := time.Since(start); d > 2*bound+time.Second {
		t.Errorf("three digests took %s with a request bound of %s", d, bound)
	}
	if n := stuck.Stalled(); n != 1 {
		t.Errorf("%d requests sent to the stuck registry, want 1 (no retry, not asked again)", n)
	}
}

// TestCycleTimeLimitBoundsSlowRegistries plans next to the real registry a
// registry that stalls mid-answer, with request bounds far longer than the
// cycle's time limit (a registry that trickles bytes never trips the stall
// bound): the plan returns at the limit, the stuck images fail with
// updater.ErrPlanTimeout, and the images decided before it keep their
// updates.
func TestCycleTimeLimitBoundsSlowRegistries(t *testing.T) {
	reg, stuck, conf := realAndStuck(t, 2)
	ctx := ctxFor(t)
	c, err := registry.New(registry.WithRetryPolicy(testRetry), registry.WithResolver(conf.Lookup),
		registry.WithTimeouts(time.Minute, time.Minute, 2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var items []updater.Item
	for _, image := range []string{reg.Host + "/ok/app0", reg.Host + "/ok/app1", stuck.Host + "/stuck/app0", stuck.Host + "/stuck/app1", stuck.Host + "/stuck/app2"} {
		spec, err := imagespec.Parse(image)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, updater.Item{
			Target:  target.Target{App: target.AppRef{Name: "app"}, Image: spec},
			Current: updater.Current{Tag: "1.0.0", Live: true},
		})
	}
	const limit = 1500 * time.Millisecond
	planner := &updater.Planner{Registry: access.NewView(access.NewResolver(conf, nil), c.NewCycle()), Concurrency: 2, Timeout: limit}
	start := time.Now()
	decisions := planner.Plan(ctx, items)
	elapsed := time.Since(start)
	for _, d := range decisions {
		stuckImage := strings.Contains(d.Target.Image.Name, "/stuck/")
		switch {
		case stuckImage && (d.Action != updater.ActionError || !errors.Is(d.Err, updater.ErrPlanTimeout)):
			t.Errorf("%s: %s %q, want the cycle time limit error", d.Target.Image.Name, d.Action, d.Reason)
		case !stuckImage && (d.Action != updater.ActionUpdate || d.NewTag != "1.2.0"):
			t.Errorf("%s: %s %q (%v), want update to 1.2.0", d.Target.Image.Name, d.Action, d.Reason, d.Err)
		}
	}
	if elapsed > limit+2*time.Second {
		t.Errorf("planning took %s with a cycle limit of %s", elapsed, limit)
	}
	t.Logf("planned %d images in %s; %d requests stalled", len(items), elapsed, stuck.Stalled())
}

// realAndStuck starts the real registry with n repositories ok/appN holding
// 1.0.0 and 1.2.0, and a stalling one, both in a registries.conf.
func realAndStuck(t *testing.T, n int) (*infra.Registry, *infra.StallingRegistry, *registryconf.Config) {
	t.Helper()
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	stuck := infra.StartStallingRegistry(t)
	for i := range n {
		infra.PushImage(t, reg.Repo(fmt.Sprintf("ok/app%d", i)), infra.NewImage(t, infra.ImageSpec{Created: time.Now().UTC().Truncate(time.Second)}), reg.RemoteOptions(ctxFor(t)), "1.0.0", "1.2.0")
	}
	conf, err := registryconf.Parse(fmt.Appendf(nil, "registries:\n- name: real\n  prefix: %s\n  api_url: %s\n- name: stuck\n  prefix: %s\n  api_url: %s\n",
		reg.Host, reg.URL, stuck.Host, stuck.URL))
	if err != nil {
		t.Fatal(err)
	}
	return reg, stuck, conf
}
