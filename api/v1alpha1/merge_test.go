package v1alpha1

import (
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestMerge(t *testing.T) {
	tests := []struct {
		name          string
		parent, child *CommonUpdateSettings
		want          CommonUpdateSettings
	}{
		{name: "both nil", want: CommonUpdateSettings{}},
		{
			name:   "nil child keeps parent",
			parent: &CommonUpdateSettings{UpdateStrategy: ptr("digest"), IgnoreTags: []string{"*-rc"}},
			want:   CommonUpdateSettings{UpdateStrategy: ptr("digest"), IgnoreTags: []string{"*-rc"}},
		},
		{
			name:  "nil parent takes child",
			child: &CommonUpdateSettings{ForceUpdate: ptr(true)},
			want:  CommonUpdateSettings{ForceUpdate: ptr(true)},
		},
		{
			name:   "child field wins, others inherit",
			parent: &CommonUpdateSettings{UpdateStrategy: ptr("newest-build"), AllowTags: ptr("regexp:^v"), PullSecret: ptr("env:CREDS")},
			child:  &CommonUpdateSettings{AllowTags: ptr("any")},
			want:   CommonUpdateSettings{UpdateStrategy: ptr("newest-build"), AllowTags: ptr("any"), PullSecret: ptr("env:CREDS")},
		},
		{
			name:   "setting only forceUpdate does not reset the strategy",
			parent: &CommonUpdateSettings{UpdateStrategy: ptr("alphabetical")},
			child:  &CommonUpdateSettings{ForceUpdate: ptr(false)},
			want:   CommonUpdateSettings{UpdateStrategy: ptr("alphabetical"), ForceUpdate: ptr(false)},
		},
		{
			name:   "explicit false overrides true",
			parent: &CommonUpdateSettings{ForceUpdate: ptr(true)},
			child:  &CommonUpdateSettings{ForceUpdate: ptr(false)},
			want:   CommonUpdateSettings{ForceUpdate: ptr(false)},
		},
		{
			name:   "child list replaces parent list",
			parent: &CommonUpdateSettings{IgnoreTags: []string{"a"}, Platforms: []string{"linux/amd64"}},
			child:  &CommonUpdateSettings{Platforms: []string{"linux/arm64", "linux/arm/v7"}},
			want:   CommonUpdateSettings{IgnoreTags: []string{"a"}, Platforms: []string{"linux/arm64", "linux/arm/v7"}},
		},
		{
			name:   "explicit empty list clears",
			parent: &CommonUpdateSettings{IgnoreTags: []string{"a"}},
			child:  &CommonUpdateSettings{IgnoreTags: []string{}},
			want:   CommonUpdateSettings{IgnoreTags: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge(tt.parent, tt.child)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Merge() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMergeSharesNoMemory(t *testing.T) {
	parent := &CommonUpdateSettings{UpdateStrategy: ptr("semver"), IgnoreTags: []string{"a"}}
	child := &CommonUpdateSettings{Platforms: []string{"linux/amd64"}, AllowTags: ptr("any")}
	got := Merge(parent, child)
	*got.UpdateStrategy = "digest"
	got.IgnoreTags[0] = "changed"
	got.Platforms[0] = "changed"
	*got.AllowTags = "changed"
	if *parent.UpdateStrategy != "semver" || parent.IgnoreTags[0] != "a" {
		t.Errorf("parent modified: %+v", parent)
	}
	if child.Platforms[0] != "linux/amd64" || *child.AllowTags != "any" {
		t.Errorf("child modified: %+v", child)
	}
}

func TestSettingsForThreeLevels(t *testing.T) {
	spec := ImageUpdaterSpec{
		CommonUpdateSettings: &CommonUpdateSettings{UpdateStrategy: ptr("newest-build"), PullSecret: ptr("pullsecret:argocd/regcred")},
		ApplicationRefs: []ApplicationRef{{
			NamePattern:          "guestbook-*",
			CommonUpdateSettings: &CommonUpdateSettings{ForceUpdate: ptr(true), IgnoreTags: []string{"latest"}},
			Images: []ImageConfig{{
				Alias:                "web",
				ImageName:            "ghcr.io/team/web",
				CommonUpdateSettings: &CommonUpdateSettings{UpdateStrategy: ptr("digest")},
			}},
		}},
	}
	ref := &spec.ApplicationRefs[0]
	tests := []struct {
		name string
		ref  *ApplicationRef
		img  *ImageConfig
		want CommonUpdateSettings
	}{
		{name: "global only", want: CommonUpdateSettings{UpdateStrategy: ptr("newest-build"), PullSecret: ptr("pullsecret:argocd/regcred")}},
		{name: "global and ref", ref: ref, want: CommonUpdateSettings{
			UpdateStrategy: ptr("newest-build"), PullSecret: ptr("pullsecret:argocd/regcred"),
			ForceUpdate: ptr(true), IgnoreTags: []string{"latest"},
		}},
		{name: "all three", ref: ref, img: &ref.Images[0], want: CommonUpdateSettings{
			UpdateStrategy: ptr("digest"), PullSecret: ptr("pullsecret:argocd/regcred"),
			ForceUpdate: ptr(true), IgnoreTags: []string{"latest"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spec.SettingsFor(tt.ref, tt.img)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SettingsFor() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMergeWriteBack(t *testing.T) {
	tests := []struct {
		name          string
		parent, child *WriteBackConfig
		want          WriteBackConfig
	}{
		{name: "both nil", want: WriteBackConfig{}},
		{
			name:   "method from child, git config from parent",
			parent: &WriteBackConfig{Method: "git", GitConfig: &GitConfig{Branch: "main"}},
			child:  &WriteBackConfig{Method: "git:secret:argocd/git-creds"},
			want:   WriteBackConfig{Method: "git:secret:argocd/git-creds", GitConfig: &GitConfig{Branch: "main"}},
		},
		{
			name:   "git config merged field by field",
			parent: &WriteBackConfig{Method: "git", GitConfig: &GitConfig{Branch: "main", Repository: "https://git.example.com/a.git"}},
			child:  &WriteBackConfig{GitConfig: &GitConfig{WriteBackTarget: "kustomization:../base", Branch: "main:update-{{.SHA256}}"}},
			want: WriteBackConfig{Method: "git", GitConfig: &GitConfig{
				Branch: "main:update-{{.SHA256}}", Repository: "https://git.example.com/a.git", WriteBackTarget: "kustomization:../base",
			}},
		},
		{
			name:  "child git config without parent's",
			child: &WriteBackConfig{GitConfig: &GitConfig{PullRequest: &PullRequest{GitHub: &GitHubPullRequest{}}}},
			want:  WriteBackConfig{GitConfig: &GitConfig{PullRequest: &PullRequest{GitHub: &GitHubPullRequest{}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeWriteBack(tt.parent, tt.child)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeWriteBack() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerificationFor(t *testing.T) {
	global := &ImagesVerification{CosignKey: &SecretKeyRef{SecretName: "cosign", Key: "cosign.pub"}}
	off := &ImagesVerification{Enabled: ptr(false)}
	spec := ImageUpdaterSpec{ImagesVerification: global}
	ref := &ApplicationRef{NamePattern: "a", ImagesVerification: off}
	img := &ImageConfig{Alias: "x", ImageName: "nginx"}

	tests := []struct {
		name        string
		ref         *ApplicationRef
		img         *ImageConfig
		wantEnabled bool
	}{
		{name: "global applies", wantEnabled: true},
		{name: "ref opts out", ref: ref, wantEnabled: false},
		{name: "image without block inherits ref", ref: ref, img: img, wantEnabled: false},
		{name: "image block without enabled keeps the ref's", ref: ref, img: &ImageConfig{ImagesVerification: global}, wantEnabled: false},
		{name: "image enables", ref: ref, img: &ImageConfig{ImagesVerification: &ImagesVerification{Enabled: ptr(true)}}, wantEnabled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spec.VerificationFor(tt.ref, tt.img).IsEnabled(); got != tt.wantEnabled {
				t.Errorf("VerificationFor().IsEnabled() = %v, want %v", got, tt.wantEnabled)
			}
		})
	}
	// The key comes from the object, the switch from the image.
	merged := spec.VerificationFor(ref, &ImageConfig{ImagesVerification: &ImagesVerification{Enabled: ptr(true)}})
	if merged.CosignKey == nil || merged.CosignKey.SecretName != "cosign" {
		t.Errorf("merged key: %+v", merged)
	}
	if (&ImageUpdaterSpec{}).VerificationFor(nil, nil) != nil {
		t.Error("no block at any level must give nil")
	}
}
