package v1alpha1

import "slices"

// Built-in defaults that apply when no level sets a field.
const (
	// DefaultUpdateStrategy is the strategy used when none is set.
	DefaultUpdateStrategy = "semver"
	// DefaultWriteBackMethod is the write-back method used when none is set.
	DefaultWriteBackMethod = "argocd"
)

// StrategyOrDefault returns the update strategy, or DefaultUpdateStrategy
// when it is unset. It is safe on a nil receiver.
func (s *CommonUpdateSettings) StrategyOrDefault() string {
	if s == nil || s.UpdateStrategy == nil || *s.UpdateStrategy == "" {
		return DefaultUpdateStrategy
	}
	return *s.UpdateStrategy
}

// ForceUpdateOrDefault returns ForceUpdate, or false when it is unset.
func (s *CommonUpdateSettings) ForceUpdateOrDefault() bool {
	if s == nil || s.ForceUpdate == nil {
		return false
	}
	return *s.ForceUpdate
}

// AllowTagsOrDefault returns AllowTags, or "" (every tag) when it is unset.
func (s *CommonUpdateSettings) AllowTagsOrDefault() string {
	if s == nil || s.AllowTags == nil {
		return ""
	}
	return *s.AllowTags
}

// IgnoreTagsOrDefault returns a copy of IgnoreTags, or nil when unset.
func (s *CommonUpdateSettings) IgnoreTagsOrDefault() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.IgnoreTags)
}

// PullSecretOrDefault returns PullSecret, or "" (the registry's own
// credentials) when it is unset.
func (s *CommonUpdateSettings) PullSecretOrDefault() string {
	if s == nil || s.PullSecret == nil {
		return ""
	}
	return *s.PullSecret
}

// PlatformsOrDefault returns a copy of Platforms, or nil (the controller's
// own platform) when unset.
func (s *CommonUpdateSettings) PlatformsOrDefault() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.Platforms)
}

// MethodOrDefault returns the write-back method, or DefaultWriteBackMethod
// when it is unset. It is safe on a nil receiver.
func (w *WriteBackConfig) MethodOrDefault() string {
	if w == nil || w.Method == "" {
		return DefaultWriteBackMethod
	}
	return w.Method
}

// IsEnabled reports whether the policy asks for verification: the block is
// present and Enabled is unset or true. A nil policy is disabled.
func (v *ImagesVerification) IsEnabled() bool {
	if v == nil {
		return false
	}
	return v.Enabled == nil || *v.Enabled
}
