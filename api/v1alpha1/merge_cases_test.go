package v1alpha1

import (
	"reflect"
	"testing"
)

func TestMergeVerification(t *testing.T) {
	key := &SecretKeyRef{SecretName: "cosign", Key: "cosign.pub"}
	other := &SecretKeyRef{SecretName: "team-key", Key: "k.pub"}
	tests := []struct {
		name   string
		levels []*ImagesVerification
		want   *ImagesVerification
	}{
		{name: "no levels", want: nil},
		{name: "only nil levels", levels: []*ImagesVerification{nil, nil, nil}, want: nil},
		{name: "an empty block at the image level alone enables", levels: []*ImagesVerification{nil, nil, {}}, want: &ImagesVerification{}},
		{name: "a later key replaces an earlier one", levels: []*ImagesVerification{{CosignKey: key}, {CosignKey: other}}, want: &ImagesVerification{CosignKey: other}},
		{name: "a later block without a key keeps the earlier key", levels: []*ImagesVerification{{CosignKey: key}, {Enabled: ptr(true)}}, want: &ImagesVerification{Enabled: ptr(true), CosignKey: key}},
		{name: "a later block without enabled keeps an earlier false", levels: []*ImagesVerification{{Enabled: ptr(false)}, nil, {CosignKey: key}}, want: &ImagesVerification{Enabled: ptr(false), CosignKey: key}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeVerification(tt.levels...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("MergeVerification() = %+v, want %+v", got, tt.want)
			}
			if got != nil && got.CosignKey != nil && (got.CosignKey == key || got.CosignKey == other) {
				t.Fatal("the result shares the key with a level")
			}
		})
	}
}

// TestMergeWriteBackSharesNoMemory shows the merged configuration can be
// changed without touching either level.
func TestMergeWriteBackSharesNoMemory(t *testing.T) {
	parent := &WriteBackConfig{Method: "git", GitConfig: &GitConfig{Branch: "main", PullRequest: &PullRequest{Labels: []string{"a"}}}}
	child := &WriteBackConfig{GitConfig: &GitConfig{Repository: "https://git.example/x.git"}}
	got := MergeWriteBack(parent, child)
	got.GitConfig.Branch = "changed"
	got.GitConfig.Repository = "changed"
	got.GitConfig.PullRequest.Labels[0] = "changed"
	if parent.GitConfig.Branch != "main" || parent.GitConfig.PullRequest.Labels[0] != "a" || child.GitConfig.Repository != "https://git.example/x.git" {
		t.Fatalf("levels changed through the result: %+v %+v", parent.GitConfig, child.GitConfig)
	}
}

// TestMergeWriteBackPullRequestIsOneBlock shows a level's pullRequest block
// replaces the parent's whole (providers are exclusive: merging a github
// block into a gitlab one would give a block the CRD refuses).
func TestMergeWriteBackPullRequestIsOneBlock(t *testing.T) {
	parent := &WriteBackConfig{GitConfig: &GitConfig{PullRequest: &PullRequest{GitLab: &GitLabPullRequest{APIURL: "https://gl.example/api/v4"}, Labels: []string{"deps"}}}}
	child := &WriteBackConfig{GitConfig: &GitConfig{PullRequest: &PullRequest{GitHub: &GitHubPullRequest{}}}}
	got := MergeWriteBack(parent, child).GitConfig.PullRequest
	if got.GitLab != nil || got.GitHub == nil || got.Labels != nil {
		t.Fatalf("pull request %+v: want the child's block alone", got)
	}
	if kept := MergeWriteBack(parent, &WriteBackConfig{GitConfig: &GitConfig{Branch: "x"}}).GitConfig.PullRequest; kept.GitLab == nil || kept.Labels[0] != "deps" {
		t.Fatalf("a child without a block lost the parent's: %+v", kept)
	}
}

func TestWriteBackFor(t *testing.T) {
	spec := ImageUpdaterSpec{WriteBackConfig: &WriteBackConfig{Method: "git", GitConfig: &GitConfig{Branch: "main"}}}
	tests := []struct {
		name       string
		spec       ImageUpdaterSpec
		ref        *ApplicationRef
		wantMethod string
		wantBranch string
	}{
		{name: "no reference: the object's", spec: spec, wantMethod: "git", wantBranch: "main"},
		{name: "a reference without a block inherits", spec: spec, ref: &ApplicationRef{NamePattern: "*"}, wantMethod: "git", wantBranch: "main"},
		{name: "a reference's method wins, the branch is kept", spec: spec, ref: &ApplicationRef{WriteBackConfig: &WriteBackConfig{Method: "git:repocreds"}}, wantMethod: "git:repocreds", wantBranch: "main"},
		{name: "nothing anywhere: the default method", ref: &ApplicationRef{}, wantMethod: DefaultWriteBackMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.spec.WriteBackFor(tt.ref)
			branch := ""
			if got.GitConfig != nil {
				branch = got.GitConfig.Branch
			}
			if got.MethodOrDefault() != tt.wantMethod || branch != tt.wantBranch {
				t.Fatalf("method %q branch %q, want %q %q", got.MethodOrDefault(), branch, tt.wantMethod, tt.wantBranch)
			}
		})
	}
	got := spec.WriteBackFor(nil)
	got.GitConfig.Branch = "changed"
	if spec.WriteBackConfig.GitConfig.Branch != "main" {
		t.Fatal("WriteBackFor(nil) shares the object's git config")
	}
}

// TestOrDefaultListsAreCopies shows the list accessors return copies, and
// tell an explicit empty list from an unset one.
func TestOrDefaultListsAreCopies(t *testing.T) {
	s := &CommonUpdateSettings{IgnoreTags: []string{"latest"}, Platforms: []string{"linux/amd64"}}
	s.IgnoreTagsOrDefault()[0] = "changed"
	s.PlatformsOrDefault()[0] = "changed"
	if s.IgnoreTags[0] != "latest" || s.Platforms[0] != "linux/amd64" {
		t.Fatalf("accessors share memory: %+v", s)
	}
	empty := &CommonUpdateSettings{IgnoreTags: []string{}, Platforms: []string{}}
	if empty.IgnoreTagsOrDefault() == nil || empty.PlatformsOrDefault() == nil {
		t.Fatal("an explicit empty list reads as unset")
	}
	if (&CommonUpdateSettings{}).IgnoreTagsOrDefault() != nil {
		t.Fatal("an unset list reads as set")
	}
}
