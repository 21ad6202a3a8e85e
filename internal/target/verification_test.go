package target

import (
	"errors"
	"strings"
	"testing"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func TestTargetsForVerification(t *testing.T) {
	key := func(name string) *v1alpha1.ImagesVerification {
		return &v1alpha1.ImagesVerification{CosignKey: &v1alpha1.SecretKeyRef{SecretName: name, Key: "cosign.pub"}}
	}
	off := &v1alpha1.ImagesVerification{Enabled: ptr(false)}
	on := &v1alpha1.ImagesVerification{Enabled: ptr(true)}
	images := func(verify ...*v1alpha1.ImagesVerification) []v1alpha1.ImageConfig {
		out := []v1alpha1.ImageConfig{{Alias: "web", ImageName: "nginx"}, {Alias: "db", ImageName: "postgres"}}
		for i, v := range verify {
			out[i].ImagesVerification = v
		}
		return out
	}
	ref := func(r v1alpha1.ApplicationRef) []v1alpha1.ApplicationRef {
		r.NamePattern = "a"
		return []v1alpha1.ApplicationRef{r}
	}
	const refField = "spec.applicationRefs[0]"
	for name, tc := range map[string]struct {
		spec        v1alpha1.ImageUpdaterSpec
		annotations map[string]string
		// want is "secret@field" per image, "" for no verification.
		want      []string
		wantField string // a configuration error naming this field
	}{
		"none": {
			spec: v1alpha1.ImageUpdaterSpec{ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images()})},
			want: []string{"", ""},
		},
		"object level": {
			spec: v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images()})},
			want: []string{"org@spec.imagesVerification.cosignKey", "org@spec.imagesVerification.cosignKey"},
		},
		"ref overrides the key": {
			spec: v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{ImagesVerification: key("team"), Images: images()})},
			want: []string{"team@" + refField + ".imagesVerification.cosignKey", "team@" + refField + ".imagesVerification.cosignKey"},
		},
		"image overrides one image": {
			spec: v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images(nil, key("db"))})},
			want: []string{"org@spec.imagesVerification.cosignKey", "db@" + refField + ".images[1].imagesVerification.cosignKey"},
		},
		"image opts out": {
			spec: v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images(off)})},
			want: []string{"", "org@spec.imagesVerification.cosignKey"},
		},
		"ref off, image re-enables with the object's key": {
			spec: v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{ImagesVerification: off, Images: images(on)})},
			want: []string{"org@spec.imagesVerification.cosignKey", ""},
		},
		"enabled without any key": {
			spec:      v1alpha1.ImageUpdaterSpec{ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images(nil, on)})},
			wantField: refField + ".images[1].imagesVerification",
		},
		"empty secret name": {
			spec:      v1alpha1.ImageUpdaterSpec{ImagesVerification: key(""), ApplicationRefs: ref(v1alpha1.ApplicationRef{Images: images()})},
			wantField: "spec.imagesVerification.cosignKey.secretName",
		},
		"useAnnotations: ref block": {
			spec:        v1alpha1.ImageUpdaterSpec{ApplicationRefs: ref(v1alpha1.ApplicationRef{UseAnnotations: true, ImagesVerification: key("team")})},
			annotations: ann("image-list", "web=nginx,db=postgres"),
			want:        []string{"team@" + refField + ".imagesVerification.cosignKey", "team@" + refField + ".imagesVerification.cosignKey"},
		},
		"useAnnotations: object block applies too": {
			spec:        v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{UseAnnotations: true})},
			annotations: ann("image-list", "web=nginx"),
			want:        []string{"org@spec.imagesVerification.cosignKey"},
		},
		"useAnnotations: ref opts out": {
			spec:        v1alpha1.ImageUpdaterSpec{ImagesVerification: key("org"), ApplicationRefs: ref(v1alpha1.ApplicationRef{UseAnnotations: true, ImagesVerification: off})},
			annotations: ann("image-list", "web=nginx"),
			want:        []string{""},
		},
		"useAnnotations: enabled without key": {
			spec:        v1alpha1.ImageUpdaterSpec{ApplicationRefs: ref(v1alpha1.ApplicationRef{UseAnnotations: true, ImagesVerification: &v1alpha1.ImagesVerification{}})},
			annotations: ann("image-list", "web=nginx"),
			wantField:   refField + ".imagesVerification",
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := app("a", nil)
			a.Annotations = tc.annotations
			targets, errs := TargetsFor(&tc.spec, 0, &a)
			if tc.wantField != "" {
				if len(targets) != 0 || len(errs) == 0 {
					t.Fatalf("targets %d errs %v, want configuration errors naming %s", len(targets), errs, tc.wantField)
				}
				for _, err := range errs {
					if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.wantField) || strings.Count(err.Error(), ErrConfig.Error()) != 1 {
						t.Errorf("error %v, want one configuration error naming %s", err, tc.wantField)
					}
				}
				return
			}
			if len(errs) > 0 || len(targets) != len(tc.want) {
				t.Fatalf("targets %d errs %v, want %d targets", len(targets), errs, len(tc.want))
			}
			for i, tg := range targets {
				got := ""
				if v := tg.Verification; v != nil {
					got = v.SecretName + "@" + v.Field
					if v.Key != "cosign.pub" || v.String() != v.SecretName+"#cosign.pub" {
						t.Errorf("target %d: %+v", i, v)
					}
				}
				if got != tc.want[i] {
					t.Errorf("target %d (%s): verification %q, want %q", i, tg.Image.Alias, got, tc.want[i])
				}
			}
		})
	}
}
