package yamledit

import (
	"fmt"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"strings"
	"unicode/utf8"
)

// KustomizeImage is a Kustomize image override as Argo CD writes it in
// spec.source.kustomize.images and in .argocd-source files:
// "[orig=]name[:tag][@digest]".
type KustomizeImage struct {
	// Orig is the image name to replace ("" when Name itself is matched).
	Orig string
	// Name is the image to use.
	Name string
	// Tag is the tag to use ("" for none).
	Tag string
	// Digest is the digest to use, "sha256:..." ("" for none).
	Digest string
}

// ParseKustomizeImage parses "[orig=]name[:tag][@digest]".
func ParseKustomizeImage(s string) (KustomizeImage, error) {
	var img KustomizeImage
	if s == "" || !utf8.ValidString(s) || strings.ContainsFunc(s, isSpaceOrControl) {
		return img, fmt.Errorf("%w: %q is empty, not UTF-8, or has spaces or control characters", ErrInvalidImage, s)
	}
	rest := s
	if orig, after, ok := strings.Cut(s, "="); ok {
		if orig == "" {
			return img, fmt.Errorf("%w: %q has an empty original name", ErrInvalidImage, s)
		}
		img.Orig, rest = orig, after
	}
	// The one reference splitter, shared with reading deployed values.
	img.Name, img.Tag, img.Digest = imagespec.SplitReference(rest)
	if strings.Contains(rest, "@") {
		if alg, hex, ok := strings.Cut(img.Digest, ":"); !ok || alg == "" || hex == "" || strings.Contains(img.Digest, "@") {
			return img, fmt.Errorf("%w: %q has a malformed digest", ErrInvalidImage, s)
		}
	}
	if nameTag, _, _ := strings.Cut(rest, "@"); strings.HasSuffix(nameTag, ":") {
		return img, fmt.Errorf("%w: %q has an empty tag", ErrInvalidImage, s)
	}
	if img.Name == "" || strings.ContainsAny(img.Name, "=@") {
		return img, fmt.Errorf("%w: %q has no valid image name", ErrInvalidImage, s)
	}
	return img, nil
}

// String formats the override as "[orig=]name[:tag][@digest]".
func (k KustomizeImage) String() string {
	var b strings.Builder
	if k.Orig != "" {
		b.WriteString(k.Orig + "=")
	}
	b.WriteString(k.Name)
	if k.Tag != "" {
		b.WriteString(":" + k.Tag)
	}
	if k.Digest != "" {
		b.WriteString("@" + k.Digest)
	}
	return b.String()
}

// Key is the image name overrides are matched by: Orig when set, else Name.
func (k KustomizeImage) Key() string {
	if k.Orig != "" {
		return k.Orig
	}
	return k.Name
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7F || (r >= 0x80 && r <= 0x9F) || r == 0x2028 || r == 0x2029 || r == 0xFEFF
}
