package v1alpha1

import "slices"

// Merge resolves settings field by field: each field set in child wins,
// every other field comes from parent. Unset fields stay unset, so the
// result can be merged again and finally read with the OrDefault accessors.
// Either argument may be nil. The result shares no memory with the inputs.
//
// Slices count as set when non-nil: an explicit empty list in child clears
// the parent's list.
func Merge(parent, child *CommonUpdateSettings) CommonUpdateSettings {
	var out CommonUpdateSettings
	if parent != nil {
		out = *parent.DeepCopy()
	}
	if child == nil {
		return out
	}
	c := child.DeepCopy()
	out.UpdateStrategy = pick(out.UpdateStrategy, c.UpdateStrategy)
	out.ForceUpdate = pick(out.ForceUpdate, c.ForceUpdate)
	out.AllowTags = pick(out.AllowTags, c.AllowTags)
	out.PullSecret = pick(out.PullSecret, c.PullSecret)
	out.IgnoreTags = pickSlice(out.IgnoreTags, c.IgnoreTags)
	out.Platforms = pickSlice(out.Platforms, c.Platforms)
	return out
}

// MergeWriteBack resolves write-back configuration field by field, child over
// parent, down to the fields of gitConfig. Either argument may be nil.
func MergeWriteBack(parent, child *WriteBackConfig) WriteBackConfig {
	var out WriteBackConfig
	if parent != nil {
		out = *parent.DeepCopy()
	}
	if child == nil {
		return out
	}
	c := child.DeepCopy()
	if c.Method != "" {
		out.Method = c.Method
	}
	if c.GitConfig == nil {
		return out
	}
	if out.GitConfig == nil {
		out.GitConfig = &GitConfig{}
	}
	mergeGitConfig(out.GitConfig, c.GitConfig)
	return out
}

func mergeGitConfig(dst, src *GitConfig) {
	if src.Repository != "" {
		dst.Repository = src.Repository
	}
	if src.Branch != "" {
		dst.Branch = src.Branch
	}
	if src.WriteBackTarget != "" {
		dst.WriteBackTarget = src.WriteBackTarget
	}
	if src.PullRequest != nil {
		dst.PullRequest = src.PullRequest
	}
}

// MergeVerification resolves verification policies field by field, later
// levels over earlier ones (upstream's rule): Enabled and CosignKey each come
// from the most specific level that sets them. It returns nil when no level
// has a block, so IsEnabled is false; a present block with Enabled unset is
// enabled.
func MergeVerification(levels ...*ImagesVerification) *ImagesVerification {
	var out *ImagesVerification
	for _, l := range levels {
		if l == nil {
			continue
		}
		if out == nil {
			out = &ImagesVerification{}
		}
		c := l.DeepCopy()
		if c.Enabled != nil {
			out.Enabled = c.Enabled
		}
		if c.CosignKey != nil {
			out.CosignKey = c.CosignKey
		}
	}
	return out
}

// SettingsFor resolves the update settings of one image of one application
// reference: the object's settings, then the reference's, then the image's.
// ref and img may be nil.
func (s *ImageUpdaterSpec) SettingsFor(ref *ApplicationRef, img *ImageConfig) CommonUpdateSettings {
	out := Merge(nil, s.CommonUpdateSettings)
	if ref != nil {
		out = Merge(&out, ref.CommonUpdateSettings)
	}
	if img != nil {
		out = Merge(&out, img.CommonUpdateSettings)
	}
	return out
}

// WriteBackFor resolves the write-back configuration of an application
// reference: the object's, then the reference's. ref may be nil.
func (s *ImageUpdaterSpec) WriteBackFor(ref *ApplicationRef) WriteBackConfig {
	if ref == nil {
		return MergeWriteBack(nil, s.WriteBackConfig)
	}
	return MergeWriteBack(s.WriteBackConfig, ref.WriteBackConfig)
}

// VerificationFor resolves the verification policy of one image of one
// application reference: the object's, the reference's and the image's
// blocks merged field by field (see MergeVerification). ref and img may be
// nil.
func (s *ImageUpdaterSpec) VerificationFor(ref *ApplicationRef, img *ImageConfig) *ImagesVerification {
	levels := []*ImagesVerification{s.ImagesVerification}
	if ref != nil {
		levels = append(levels, ref.ImagesVerification)
	}
	if img != nil {
		levels = append(levels, img.ImagesVerification)
	}
	return MergeVerification(levels...)
}

func pick[T any](parent, child *T) *T {
	if child != nil {
		return child
	}
	return parent
}

func pickSlice(parent, child []string) []string {
	if child != nil {
		return slices.Clone(child)
	}
	return parent
}
