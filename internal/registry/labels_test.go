package registry

import (
	"context"
	"maps"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/imagepilot/imagepilot/internal/policy"
)

func labelledImage(t *testing.T, created time.Time, p v1.Platform, labels map[string]string) v1.Image {
	t.Helper()
	img := testImage(t, created, p)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	c.Labels = labels
	if img, err = mutate.Config(img, c); err != nil {
		t.Fatal(err)
	}
	return img
}

// Created carries the image config's labels: a single image's own, an
// index's from the child that counts (the newest matching one).
func TestCreatedCarriesConfigLabels(t *testing.T) {
	reg := newTestRegistry(t)
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm := v1.Platform{OS: "linux", Architecture: "arm64"}
	reg.push(t, "single", labelledImage(t, day(1), amd, map[string]string{"rev": "single"}), "1")
	reg.push(t, "plain", testImage(t, day(1), amd), "1")
	reg.pushIndex(t, "multi", "1",
		platformImage{amd, labelledImage(t, day(1), amd, map[string]string{"rev": "amd"})},
		platformImage{arm, labelledImage(t, day(2), arm, map[string]string{"rev": "arm"})})
	tests := []struct {
		repo      string
		platforms []policy.Platform
		want      map[string]string
	}{
		{"single", nil, map[string]string{"rev": "single"}},
		{"plain", nil, nil},
		{"multi", []policy.Platform{{OS: "linux", Architecture: "amd64"}}, map[string]string{"rev": "amd"}},
		{"multi", nil, map[string]string{"rev": "arm"}},
	}
	c := newTestClient(t)
	for _, tt := range tests {
		info, err := c.NewCycle().Metadata(reg.repo(tt.repo), nil).Created(context.Background(), "1", tt.platforms)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.repo, tt.platforms, err)
		}
		if !maps.Equal(info.Labels, tt.want) {
			t.Errorf("%s %v: labels %v, want %v", tt.repo, tt.platforms, info.Labels, tt.want)
		}
		// The caller's copy cannot change the cache.
		if info.Labels != nil {
			info.Labels["rev"] = "changed"
		}
	}
	info := mustCreated(t, c.NewCycle().Metadata(reg.repo("single"), nil), "1", nil)
	if info.Labels["rev"] != "single" {
		t.Errorf("cached labels changed by a caller: %v", info.Labels)
	}
}
