package policy

import (
	"errors"
	"fmt"
	"strings"
)

// PlatformError says that the image behind a tag is for none of the wanted
// platforms. It matches [ErrNoMatchingPlatform] with errors.Is; a single
// image's config platform and an index child's platform count alike.
type PlatformError struct {
	// Index is true for a multi-arch index, false for a single image.
	Index bool
	// Have lists the image's platform (for an index: its image children's);
	// an image whose config names no platform has an empty Platform here.
	Have []Platform
	// Want lists the wanted platforms.
	Want []Platform
}

// Error implements error.
func (e *PlatformError) Error() string {
	want := joinPlatforms(e.Want)
	switch {
	case e.Index && len(e.Have) == 0:
		return fmt.Sprintf("index has no images, wanted %s", want)
	case e.Index:
		return fmt.Sprintf("index has images for %s, wanted %s", joinPlatforms(e.Have), want)
	case len(e.Have) == 0 || e.Have[0] == (Platform{}):
		return fmt.Sprintf("image config names no platform, wanted %s", want)
	default:
		return fmt.Sprintf("image is for %s, wanted %s", joinPlatforms(e.Have), want)
	}
}

// Is reports whether target is ErrNoMatchingPlatform.
func (e *PlatformError) Is(target error) bool { return target == ErrNoMatchingPlatform }

func joinPlatforms(ps []Platform) string {
	if len(ps) == 0 {
		return "any platform"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
		if p == (Platform{}) {
			parts[i] = "no platform"
		}
	}
	return strings.Join(parts, ", ")
}

// platformReason is the verdict reason for a tag ruled out by err, which
// matches ErrNoMatchingPlatform.
func platformReason(err error) string {
	const base = "no image for the wanted platforms"
	var pe *PlatformError
	if errors.As(err, &pe) {
		return base + " (" + pe.Error() + ")"
	}
	return base
}
