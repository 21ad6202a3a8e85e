package v1alpha1

import (
	"reflect"
	"testing"
)

func TestCommonUpdateSettingsDefaults(t *testing.T) {
	tests := []struct {
		name       string
		s          *CommonUpdateSettings
		strategy   string
		force      bool
		allow      string
		ignore     []string
		pullSecret string
		platforms  []string
	}{
		{name: "nil receiver", strategy: "semver"},
		{name: "empty", s: &CommonUpdateSettings{}, strategy: "semver"},
		{name: "empty strategy string", s: &CommonUpdateSettings{UpdateStrategy: ptr("")}, strategy: "semver"},
		{
			name: "all set",
			s: &CommonUpdateSettings{
				UpdateStrategy: ptr("digest"), ForceUpdate: ptr(true), AllowTags: ptr("regexp:^v1"),
				IgnoreTags: []string{"*-rc*"}, PullSecret: ptr("env:REG"), Platforms: []string{"linux/arm64"},
			},
			strategy: "digest", force: true, allow: "regexp:^v1", ignore: []string{"*-rc*"},
			pullSecret: "env:REG", platforms: []string{"linux/arm64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.StrategyOrDefault(); got != tt.strategy {
				t.Errorf("StrategyOrDefault() = %q, want %q", got, tt.strategy)
			}
			if got := tt.s.ForceUpdateOrDefault(); got != tt.force {
				t.Errorf("ForceUpdateOrDefault() = %v, want %v", got, tt.force)
			}
			if got := tt.s.AllowTagsOrDefault(); got != tt.allow {
				t.Errorf("AllowTagsOrDefault() = %q, want %q", got, tt.allow)
			}
			if got := tt.s.IgnoreTagsOrDefault(); !reflect.DeepEqual(got, tt.ignore) {
				t.Errorf("IgnoreTagsOrDefault() = %v, want %v", got, tt.ignore)
			}
			if got := tt.s.PullSecretOrDefault(); got != tt.pullSecret {
				t.Errorf("PullSecretOrDefault() = %q, want %q", got, tt.pullSecret)
			}
			if got := tt.s.PlatformsOrDefault(); !reflect.DeepEqual(got, tt.platforms) {
				t.Errorf("PlatformsOrDefault() = %v, want %v", got, tt.platforms)
			}
		})
	}
}

func TestMethodOrDefault(t *testing.T) {
	tests := []struct {
		name string
		w    *WriteBackConfig
		want string
	}{
		{name: "nil", want: "argocd"},
		{name: "empty", w: &WriteBackConfig{}, want: "argocd"},
		{name: "git", w: &WriteBackConfig{Method: "git:repocreds"}, want: "git:repocreds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.MethodOrDefault(); got != tt.want {
				t.Errorf("MethodOrDefault() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestImagesVerificationIsEnabled(t *testing.T) {
	tests := []struct {
		name string
		v    *ImagesVerification
		want bool
	}{
		{name: "absent", want: false},
		{name: "present, enabled unset", v: &ImagesVerification{}, want: true},
		{name: "explicit true", v: &ImagesVerification{Enabled: ptr(true)}, want: true},
		{name: "explicit false", v: &ImagesVerification{Enabled: ptr(false)}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.IsEnabled(); got != tt.want {
				t.Errorf("IsEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}
