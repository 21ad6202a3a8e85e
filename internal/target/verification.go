package target

import (
	"fmt"
	"strings"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

// Verification is the signature policy of one image, resolved from an
// ImageUpdater's imagesVerification blocks (object, applicationRef and
// image level, merged field by field). It names the public key; reading
// the key is the caller's part (the controller reads the Secret in the
// ImageUpdater's namespace, repo mode maps it to a file).
type Verification struct {
	// SecretName and Key name the Secret entry that holds the PEM public
	// key cosign signatures must verify with.
	SecretName, Key string
	// Field is the path of the cosignKey that applies (for example
	// spec.applicationRefs[0].images[1].imagesVerification.cosignKey), so
	// errors say where the key was configured.
	Field string
}

// String names the key as "secretName#key" (never the key itself).
func (v Verification) String() string { return v.SecretName + "#" + v.Key }

// verificationFor resolves the verification policy of one image (img may
// be nil: the images of a useAnnotations reference). It returns nil when
// verification is off, and an error starting with the field path when it
// is on without a usable cosignKey (callers wrap it in ErrConfig).
func verificationFor(spec *v1alpha1.ImageUpdaterSpec, ref *v1alpha1.ApplicationRef, img *v1alpha1.ImageConfig, refPath, imgPath string) (*Verification, error) {
	merged := spec.VerificationFor(ref, img)
	if !merged.IsEnabled() {
		return nil, nil
	}
	type level struct {
		path string
		v    *v1alpha1.ImagesVerification
	}
	levels := []level{{"spec.imagesVerification", spec.ImagesVerification}, {refPath + ".imagesVerification", ref.ImagesVerification}}
	if img != nil {
		levels = append(levels, level{imgPath + ".imagesVerification", img.ImagesVerification})
	}
	keyField, enabledField := "", ""
	for _, l := range levels {
		if l.v == nil {
			continue
		}
		if enabledField == "" || l.v.Enabled != nil {
			enabledField = l.path
		}
		if l.v.CosignKey != nil {
			keyField = l.path + ".cosignKey"
		}
	}
	k := merged.CosignKey
	if k == nil {
		return nil, fmt.Errorf("%s: verification is enabled but no level sets cosignKey (the only verification method)", enabledField)
	}
	var missing []string
	if strings.TrimSpace(k.SecretName) == "" {
		missing = append(missing, keyField+".secretName")
	}
	if strings.TrimSpace(k.Key) == "" {
		missing = append(missing, keyField+".key")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: must not be empty", strings.Join(missing, ", "))
	}
	return &Verification{SecretName: k.SecretName, Key: k.Key, Field: keyField}, nil
}
