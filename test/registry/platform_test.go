package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestSingleImagePlatformCountsLikeIndexChild pushes single-platform Docker
// schema 2 and OCI images of another platform next to indexes to the real
// registry: the platform in a single image's config must rule it in or out
// exactly as an index child's platform does, for newest-build and digest.
func TestSingleImagePlatformCountsLikeIndexChild(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{})
	ctx := ctxFor(t)
	day := func(d int) time.Time { return time.Date(2025, 7, d, 0, 0, 0, 0, time.UTC) }
	repo := reg.Repo("plat/app")
	opts := reg.RemoteOptions(ctx)
	infra.PushIndex(t, repo, "1-index", false, opts,
		infra.ImageSpec{Created: day(1), Architecture: "amd64"}, infra.ImageSpec{Created: day(2), Architecture: "arm64", Variant: "v8"})
	infra.PushImage(t, repo, infra.NewImage(t, infra.ImageSpec{Created: day(3), Architecture: "amd64"}), opts, "3-docker-amd64")
	infra.PushImage(t, repo, infra.NewImage(t, infra.ImageSpec{Created: day(4), Architecture: "amd64", OCI: true}), opts, "4-oci-amd64")
	infra.PushImage(t, repo, infra.NewImage(t, infra.ImageSpec{Created: day(5), Architecture: "arm64", Variant: "v8"}), opts, "5-docker-arm64")
	infra.PushImage(t, repo, infra.NewImage(t, infra.ImageSpec{Created: day(6), Architecture: "arm64", Variant: "v8", OCI: true}), opts, "6-oci-arm64")
	infra.PushImage(t, repo, infra.NewImage(t, infra.ImageSpec{Created: day(7), OS: "windows", Architecture: "amd64"}), opts, "7-docker-windows")
	infra.PushIndex(t, repo, "8-index-arm", true, opts,
		infra.ImageSpec{Created: day(8), Architecture: "arm64", Variant: "v8"}, infra.ImageSpec{Created: day(8), Architecture: "arm", Variant: "v7"})
	c := newClient(t, reg)
	r := repoOf(t, reg, "plat/app")

	tests := []struct {
		name      string
		platforms []string
		want      string
		ruledOut  map[string]string // tag -> expected substring of its reason
	}{
		{
			name: "linux/amd64", platforms: []string{"linux/amd64"}, want: "4-oci-amd64",
			ruledOut: map[string]string{
				"5-docker-arm64":   "image is for linux/arm64/v8, wanted linux/amd64",
				"6-oci-arm64":      "image is for linux/arm64/v8, wanted linux/amd64",
				"7-docker-windows": "image is for windows/amd64, wanted linux/amd64",
				"8-index-arm":      "index has images for linux/arm64/v8, linux/arm/v7, wanted linux/amd64",
			},
		},
		{
			name: "linux/arm64 matches v8 in config and index", platforms: []string{"linux/arm64"}, want: "8-index-arm",
			ruledOut: map[string]string{"3-docker-amd64": "image is for linux/amd64", "4-oci-amd64": "image is for linux/amd64"},
		},
		{
			name: "linux/arm64/v8 exact, index excluded by date", platforms: []string{"linux/arm64/v8", "windows/amd64"}, want: "8-index-arm",
			ruledOut: map[string]string{"3-docker-amd64": "image is for linux/amd64"},
		},
		{
			name: "linux/arm/v6 nowhere", platforms: []string{"linux/arm/v6"}, want: "",
			ruledOut: map[string]string{"6-oci-arm64": "image is for linux/arm64/v8", "1-index": "index has images for linux/amd64, linux/arm64/v8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cy := c.NewCycle()
			tags, err := cy.Tags(ctx, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := policy.Compile(policy.Settings{Strategy: "newest-build", Platforms: tt.platforms})
			if err != nil {
				t.Fatal(err)
			}
			res, err := pol.Choose(ctx, tags, cy.Metadata(r, nil))
			if err != nil {
				t.Fatal(err)
			}
			if res.Tag != tt.want || res.Found != (tt.want != "") {
				t.Fatalf("chose %q (found %v), want %q; verdicts %+v", res.Tag, res.Found, tt.want, res.Verdicts)
			}
			checkRuledOut(t, res.Verdicts, tt.ruledOut)
		})
	}

	t.Run("digest strategy follows only an image of a wanted platform", func(t *testing.T) {
		for tag, want := range map[string]bool{"3-docker-amd64": true, "4-oci-amd64": true, "1-index": true, "5-docker-arm64": false, "6-oci-arm64": false, "8-index-arm": false} {
			pol, err := policy.Compile(policy.Settings{Strategy: "digest", Constraint: tag, Platforms: []string{"linux/amd64"}})
			if err != nil {
				t.Fatal(err)
			}
			cy := c.NewCycle()
			tags, err := cy.Tags(ctx, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := pol.Choose(ctx, tags, cy.Metadata(r, nil))
			if err != nil || res.Found != want {
				t.Errorf("digest %s: found %v (%+v), %v; want found %v", tag, res.Found, res.Verdicts, err, want)
			}
		}
	})

	t.Run("Created reports a PlatformError", func(t *testing.T) {
		_, err := c.NewCycle().Metadata(r, nil).Created(context.Background(), "6-oci-arm64", amd64)
		var pe *policy.PlatformError
		if !errors.Is(err, registry.ErrNoMatchingPlatform) || !errors.As(err, &pe) || pe.Index {
			t.Fatalf("err = %v, want a single-image PlatformError", err)
		}
	})
}

func checkRuledOut(t *testing.T, verdicts []policy.Verdict, want map[string]string) {
	t.Helper()
	for tag, sub := range want {
		found := false
		for _, v := range verdicts {
			if v.Tag != tag {
				continue
			}
			found = true
			if v.Eligible || !strings.Contains(v.Reason, sub) {
				t.Errorf("verdict %s: eligible=%v reason %q, want ruled out with %q", tag, v.Eligible, v.Reason, sub)
			}
		}
		if !found {
			t.Errorf("no verdict for %s", tag)
		}
	}
}
