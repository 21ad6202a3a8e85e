package target

import (
	"errors"
	"fmt"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// ErrUnsupported marks a setting imagepilot accepts but cannot honour yet
// (signature verification). An application with such a setting is not
// updated: honouring the rest would deploy images nobody verified.
var ErrUnsupported = errors.New("unsupported setting")

// unsupported returns one error per setting of applicationRefs[refIndex]
// that imagepilot cannot honour yet. With useAnnotations, only the
// reference's own verification block applies (as upstream reads it); the
// object's write-back configuration is not used then.
func unsupported(spec *v1alpha1.ImageUpdaterSpec, refIndex int, app AppRef) []error {
	ref := &spec.ApplicationRefs[refIndex]
	refPath := fmt.Sprintf("spec.applicationRefs[%d]", refIndex)
	var errs []error
	seen := map[string]bool{}
	fail := func(field, what string) {
		if seen[field] {
			return // one error per block, not per image
		}
		seen[field] = true
		errs = append(errs, fmt.Errorf("%w: application %s: %s: %s are not supported yet; the application is not updated until the block is removed",
			ErrUnsupported, app, field, what))
	}
	if ref.UseAnnotations {
		if ref.ImagesVerification.IsEnabled() {
			fail(refPath+".imagesVerification", "signature verification policies")
		}
		return errs
	}
	if len(ref.Images) == 0 {
		if spec.VerificationFor(ref, nil).IsEnabled() {
			fail(verificationField(ref, nil, refPath, ""), "signature verification policies")
		}
		return errs
	}
	for j := range ref.Images {
		img := &ref.Images[j]
		if spec.VerificationFor(ref, img).IsEnabled() {
			fail(verificationField(ref, img, refPath, fmt.Sprintf("%s.images[%d]", refPath, j)), "signature verification policies")
		}
	}
	return errs
}

// verificationField names the most specific imagesVerification block that
// applies to an image (img may be nil).
func verificationField(ref *v1alpha1.ApplicationRef, img *v1alpha1.ImageConfig, refPath, imgPath string) string {
	switch {
	case img != nil && img.ImagesVerification != nil:
		return imgPath + ".imagesVerification"
	case ref.ImagesVerification != nil:
		return refPath + ".imagesVerification"
	}
	return "spec.imagesVerification"
}
