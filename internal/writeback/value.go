package writeback

import (
	"fmt"
	"path"
	"strings"

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

// ParseTagValue splits tag[@digest] (or a bare digest).
func ParseTagValue(s string) (tag, digest string) {
	if strings.HasPrefix(s, "sha256:") {
		return "", s
	}
	tag, digest, _ = strings.Cut(s, "@")
	return tag, digest
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

// edit returns data with the target's image set to v.
func edit(f File, t target.Target, data []byte, v Value) ([]byte, bool, error) {
	switch f.Kind {
	case FileOverride:
		if manifestKind(t) == target.KindPlugin {
			return mergePluginOverride(t, data, v)
		}
		if manifestKind(t) == target.KindKustomize {
			return yamledit.MergeSourceOverride(data, nil, []yamledit.KustomizeImage{kustomizeImage(t, v)})
		}
		return yamledit.MergeSourceOverride(data, helmParams(t, v), nil)
	case FileKustomization:
		orig := t.Manifest.KustomizeImageName(t.Image)
		newName := ""
		if v.Name != orig {
			newName = v.Name
		}
		return yamledit.SetKustomizeImage(data, orig, newName, v.Tag, v.Digest)
	case FileHelmValues:
		return editHelmValues(t, data, v)
	}
	return nil, false, fmt.Errorf("%w: unknown file kind %q", ErrTarget, f.Kind)
}

func editHelmValues(t target.Target, data []byte, v Value) ([]byte, bool, error) {
	if t.Manifest.HelmSpec != "" {
		return yamledit.SetHelmValue(data, t.Manifest.HelmSpec, v.Ref())
	}
	out, c1, err := yamledit.SetHelmValue(data, t.Manifest.HelmNameParam(), v.Name)
	if err != nil {
		return nil, false, err
	}
	out, c2, err := yamledit.SetHelmValue(out, t.Manifest.HelmTagParam(), v.TagValue())
	if err != nil {
		return nil, false, err
	}
	return out, c1 || c2, nil
}

// read returns the image value data holds for t, if any.
func read(kind string, t target.Target, data []byte) (Value, bool, error) {
	switch kind {
	case FileOverride:
		return readOverride(t, data)
	case FileKustomization:
		img, ok, err := yamledit.GetKustomizeImage(data, t.Manifest.KustomizeImageName(t.Image))
		if err != nil || !ok {
			return Value{}, false, err
		}
		name := img.NewName
		if name == "" {
			name = img.Name
		}
		return Value{Name: name, Tag: img.NewTag, Digest: img.Digest}, img.NewTag != "" || img.Digest != "", nil
	case FileHelmValues:
		return readHelmValues(t, data)
	}
	return Value{}, false, fmt.Errorf("%w: unknown file kind %q", ErrTarget, kind)
}

func readOverride(t target.Target, data []byte) (Value, bool, error) {
	if manifestKind(t) == target.KindPlugin {
		return readPluginOverride(t, data)
	}
	ov, err := yamledit.ReadSourceOverride(data)
	if err != nil {
		return Value{}, false, err
	}
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
	v.Tag, v.Digest = ParseTagValue(tagValue)
	return v, true, nil
}

func readHelmValues(t target.Target, data []byte) (Value, bool, error) {
	if t.Manifest.HelmSpec != "" {
		ref, ok, err := yamledit.GetHelmValue(data, t.Manifest.HelmSpec)
		return splitRef(ref), ok, err
	}
	tagValue, ok, err := yamledit.GetHelmValue(data, t.Manifest.HelmTagParam())
	if err != nil || !ok {
		return Value{}, false, err
	}
	name, _, err := yamledit.GetHelmValue(data, t.Manifest.HelmNameParam())
	if err != nil {
		return Value{}, false, err
	}
	v := Value{Name: name}
	v.Tag, v.Digest = ParseTagValue(tagValue)
	return v, true, nil
}

// splitRef splits name:tag@digest, the colon being after the last slash.
func splitRef(ref string) Value {
	var v Value
	ref, v.Digest, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		v.Name, v.Tag = ref[:i], ref[i+1:]
	} else {
		v.Name = ref
	}
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
