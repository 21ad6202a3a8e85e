package updater

import (
	"context"

	"github.com/imagepilot/imagepilot/internal/imagespec"
)

// Expecter is a Registry that can prepare for the images a Plan call is
// going to ask about (internal/access asks one registry token for several
// repositories). It is optional: a Registry without it is asked image by
// image.
type Expecter interface {
	Expect(ctx context.Context, images []ExpectedImage)
}

// ExpectedImage is an image a Plan call will list, with the pull secret it
// will use.
type ExpectedImage struct {
	Image      imagespec.Spec
	PullSecret string
}

// expectedImages returns the distinct images of items that will be listed
// (those live or forced), in the items' order.
func expectedImages(items []Item) []ExpectedImage {
	seen := map[ExpectedImage]bool{}
	var out []ExpectedImage
	for _, it := range items {
		if !it.Current.Live && !it.Target.ForceUpdate {
			continue
		}
		e := ExpectedImage{Image: it.Target.Image, PullSecret: it.Target.PullSecret}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
