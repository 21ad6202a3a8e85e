package writeback

import (
	"fmt"
	"path"
	"strings"

	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// Value is an image version as written into manifests.
type Value struct {
	// Name is the image name (what Helm name parameters receive).
	Name string
	// Tag is the tag; Digest the pinned digest, when the strategy follows one.
	Tag, Digest string
}

// TagValue is the tag as written to a Helm tag parameter: tag or tag@digest.
func (v Value) TagValue() string {
	if v.Digest == "" {
		return v.Tag
	}
	if v.Tag == "" {
		return v.Digest
	}
	return v.Tag + "@" + v.Digest
}

// Ref is name:tag[@digest].
func (v Value) Ref() string {
	if v.Tag == "" && v.Digest != "" {
		return v.Name + "@" + v.Digest
	}
	return v.Name + ":" + v.TagValue()
}

// manifestKind decides whether a target is written as Helm or Kustomize.
func manifestKind(t target.Target) string {
	switch {
	case t.Manifest.Kind != "":
		return t.Manifest.Kind
	case t.Source.Kind == target.KindHelm || t.Source.Kind == target.KindKustomize || t.Source.Kind == target.KindPlugin:
		return t.Source.Kind
	case t.Manifest.KustomizeName != "":
		return target.KindKustomize
	default:
		return target.KindHelm
	}
}

// helmParams are the parameters the override file carries for v.
func helmParams(t target.Target, v Value) []yamledit.HelmParam {
	if t.Manifest.HelmSpec != "" {
		return []yamledit.HelmParam{{Name: t.Manifest.HelmSpec, Value: v.Ref(), ForceString: true}}
	}
	return []yamledit.HelmParam{
		{Name: t.Manifest.HelmNameParam(), Value: v.Name, ForceString: true},
		{Name: t.Manifest.HelmTagParam(), Value: v.TagValue(), ForceString: true},
	}
}

// kustomizeImage is the override-file entry for v.
func kustomizeImage(t target.Target, v Value) yamledit.KustomizeImage {
	img := yamledit.KustomizeImage{Name: v.Name, Tag: v.Tag, Digest: v.Digest}
	if orig := t.Manifest.KustomizeImageName(t.Image); orig != v.Name {
		img.Orig = orig
	}
	return img
}

// editDoc sets the target's image to v in a Helm values file or a
// kustomization.
func editDoc(kind string, t target.Target, d *yamledit.Doc, v Value) error {
	switch kind {
	case FileKustomization:
		orig := t.Manifest.KustomizeImageName(t.Image)
		newName := ""
		if v.Name != orig {
			newName = v.Name
		}
		_, err := d.SetKustomizeImage(orig, newName, v.Tag, v.Digest)
		return err
	case FileHelmValues:
		if t.Manifest.HelmSpec != "" {
			_, err := d.SetHelmValue(t.Manifest.HelmSpec, v.Ref())
			return err
		}
		if _, err := d.SetHelmValue(t.Manifest.HelmNameParam(), v.Name); err != nil {
			return err
		}
		_, err := d.SetHelmValue(t.Manifest.HelmTagParam(), v.TagValue())
		return err
	}
	return fmt.Errorf("%w: unknown file kind %q", ErrTarget, kind)
}

// read returns the image value data holds for t, if any.
func read(kind string, t target.Target, data []byte) (Value, bool, error) {
	if kind == FileOverride && manifestKind(t) == target.KindPlugin {
		return readPluginOverride(t, data)
	}
	if kind == FileOverride {
		ov, err := yamledit.ReadSourceOverride(data)
		if err != nil {
			return Value{}, false, err
		}
		return overrideValue(t, ov)
	}
	d, err := yamledit.Parse(data)
	if err != nil {
		return Value{}, false, err
	}
	return docValue(kind, t, d)
}

// docValue reads t's image from a parsed Helm values file or kustomization.
func docValue(kind string, t target.Target, d *yamledit.Doc) (Value, bool, error) {
	switch kind {
	case FileKustomization:
		img, ok, err := d.KustomizeImage(t.Manifest.KustomizeImageName(t.Image))
		if err != nil || !ok {
			return Value{}, false, err
		}
		name := img.NewName
		if name == "" {
			name = img.Name
		}
		return Value{Name: name, Tag: img.NewTag, Digest: img.Digest}, img.NewTag != "" || img.Digest != "", nil
	case FileHelmValues:
		return helmValue(t, d)
	}
	return Value{}, false, fmt.Errorf("%w: unknown file kind %q", ErrTarget, kind)
}

// overrideValue reads t's image from an .argocd-source file.
func overrideValue(t target.Target, ov yamledit.SourceOverride) (Value, bool, error) {
	if manifestKind(t) == target.KindKustomize {
		want := t.Manifest.KustomizeImageName(t.Image)
		for _, img := range ov.Images {
			if img.Key() == want || img.Name == want {
				return Value{Name: img.Name, Tag: img.Tag, Digest: img.Digest}, true, nil
			}
		}
		return Value{}, false, nil
	}
	params := map[string]string{}
	for _, p := range ov.HelmParams {
		params[p.Name] = p.Value
	}
	if t.Manifest.HelmSpec != "" {
		ref, ok := params[t.Manifest.HelmSpec]
		return splitRef(ref), ok, nil
	}
	tagValue, ok := params[t.Manifest.HelmTagParam()]
	if !ok {
		return Value{}, false, nil
	}
	v := Value{Name: params[t.Manifest.HelmNameParam()]}
	v.Tag, v.Digest = imagespec.SplitTagValue(tagValue)
	return v, true, nil
}

func helmValue(t target.Target, d *yamledit.Doc) (Value, bool, error) {
	if t.Manifest.HelmSpec != "" {
		ref, ok, err := d.HelmValue(t.Manifest.HelmSpec)
		return splitRef(ref), ok, err
	}
	tagValue, ok, err := d.HelmValue(t.Manifest.HelmTagParam())
	if err != nil || !ok {
		return Value{}, false, err
	}
	name, _, err := d.HelmValue(t.Manifest.HelmNameParam())
	if err != nil {
		return Value{}, false, err
	}
	v := Value{Name: name}
	v.Tag, v.Digest = imagespec.SplitTagValue(tagValue)
	return v, true, nil
}

// splitRef splits name:tag@digest into a Value.
func splitRef(ref string) Value {
	var v Value
	v.Name, v.Tag, v.Digest = imagespec.SplitReference(ref)
	return v
}

// valueFiles are the Helm value files of a source, relative to the repo root.
func valueFiles(s target.Source) []string {
	files := s.ValueFiles
	if len(files) == 0 {
		files = []string{"values.yaml"}
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		if strings.Contains(f, "://") || strings.HasPrefix(f, "$") {
			continue // remote or multi-source reference: not in this repository
		}
		out = append(out, path.Join(s.Path, f))
	}
	return out
}
