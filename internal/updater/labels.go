package updater

import (
	"context"
	"fmt"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
)

// LabelSource tells the OCI labels (the image config's config.Labels) of a
// decision's new image. Labels are asked only when something needs them (a
// commit template that uses .Labels), so a cycle that moves nothing, or a
// template without labels, costs no registry request.
type LabelSource interface {
	// Labels returns the new image's labels; nil when it has none.
	Labels(ctx context.Context) (map[string]string, error)
}

// StaticLabels is a LabelSource with known labels (tests, samples).
type StaticLabels map[string]string

// Labels returns the labels.
func (s StaticLabels) Labels(context.Context) (map[string]string, error) { return s, nil }

// registryLabels asks the cycle's registry for the chosen tag's image
// config; the registry caches what a manifest says by digest, so the
// newest-build strategy (which read the config already) and a second ask
// cost nothing.
type registryLabels struct {
	reg        Registry
	img        imagespec.Spec
	pullSecret string
	tag        string
	platforms  []policy.Platform
}

// Labels fetches the labels of the chosen image for the policy's platforms.
func (r registryLabels) Labels(ctx context.Context) (map[string]string, error) {
	md, err := r.reg.Metadata(ctx, r.img, r.pullSecret)
	if err != nil {
		return nil, fmt.Errorf("registry metadata for %s: %w", r.img.FullName(), err)
	}
	info, err := md.Created(ctx, r.tag, r.platforms)
	if err != nil {
		return nil, fmt.Errorf("labels of %s:%s: %w", r.img.FullName(), r.tag, err)
	}
	return info.Labels, nil
}
