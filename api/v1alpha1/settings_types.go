package v1alpha1

// CommonUpdateSettings are the knobs of version selection that can be set at
// three levels: the object, an application reference and an image. Every
// field is optional and has no schema default: an unset field (nil) inherits
// the value of the enclosing level, and the built-in default applies only
// when no level sets it. See Merge and the OrDefault accessors.
type CommonUpdateSettings struct {
	// UpdateStrategy is the rule that picks the new version: "semver"
	// (built-in default), "newest-build" (also "latest"), "alphabetical"
	// (also "name") or "digest". Unknown names are reported as configuration
	// errors by the controller.
	// +optional
	UpdateStrategy *string `json:"updateStrategy,omitempty"`

	// ForceUpdate updates the image even when the application does not
	// currently run it. Built-in default: false.
	// +optional
	ForceUpdate *bool `json:"forceUpdate,omitempty"`

	// AllowTags admits only matching tags: "regexp:<expression>" or "any".
	// Unset admits every tag.
	// +optional
	AllowTags *string `json:"allowTags,omitempty"`

	// IgnoreTags are glob patterns of tags never to consider. An explicit
	// empty list clears patterns inherited from an enclosing level.
	// +optional
	// +listType=atomic
	IgnoreTags []string `json:"ignoreTags,omitempty"`

	// PullSecret names the credentials used for the image's registry, in the
	// credential syntax of registries.conf (for example
	// "pullsecret:namespace/name" or "secret:namespace/name#key"). Unset uses
	// the registry's configured credentials.
	// +optional
	PullSecret *string `json:"pullSecret,omitempty"`

	// Platforms limit metadata lookups to these platforms, written
	// "os/arch" or "os/arch/variant". Unset means the controller's own
	// platform.
	// +optional
	// +listType=atomic
	Platforms []string `json:"platforms,omitempty"`
}

// WriteBackConfig says how a chosen version is recorded.
type WriteBackConfig struct {
	// Method is "argocd" (patch the Application, the built-in default),
	// "git" (commit with Argo CD's repository credentials), "git:repocreds"
	// or "git:secret:[namespace/]name" (commit with the named secret).
	// +optional
	// +kubebuilder:validation:Pattern=`^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$`
	Method string `json:"method,omitempty"`

	// GitConfig tunes commits for the git methods.
	// +optional
	GitConfig *GitConfig `json:"gitConfig,omitempty"`
}

// GitConfig tunes where and how versions are committed to Git.
type GitConfig struct {
	// Repository is the URL to commit to. Unset uses the repoURL of the
	// application's source.
	// +optional
	Repository string `json:"repository,omitempty"`

	// Branch is the branch to commit to, written "branch",
	// "base:writeBranchTemplate" or ":writeBranchTemplate". Unset uses the
	// source's targetRevision.
	// +optional
	Branch string `json:"branch,omitempty"`

	// WriteBackTarget is the file to edit: "kustomization[:dir]",
	// "helmvalues[:file]" or a file path. Unset writes
	// .argocd-source-<application>.yaml in the source path.
	// +optional
	WriteBackTarget string `json:"writeBackTarget,omitempty"`

	// PullRequest asks for a pull or merge request instead of a direct push.
	// +optional
	PullRequest *PullRequest `json:"pullRequest,omitempty"`
}

// PullRequest chooses the forge on which a change is proposed. Exactly one
// forge must be given.
//
// +kubebuilder:validation:XValidation:rule="(has(self.github) ? 1 : 0) + (has(self.gitlab) ? 1 : 0) + (has(self.gitea) ? 1 : 0) == 1",message="Exactly one of github, gitlab or gitea must be set"
type PullRequest struct {
	// GitHub proposes changes as GitHub (or GitHub Enterprise) pull requests.
	// +optional
	GitHub *GitHubPullRequest `json:"github,omitempty"`

	// GitLab proposes changes as GitLab merge requests.
	// +optional
	GitLab *GitLabPullRequest `json:"gitlab,omitempty"`

	// Gitea proposes changes as Gitea or Forgejo pull requests
	// (an imagepilot extension; upstream has no such provider).
	// +optional
	Gitea *GiteaPullRequest `json:"gitea,omitempty"`

	// Labels are put on the pull or merge request when it is created.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=255
	Labels []string `json:"labels,omitempty"`
}

// GitHubPullRequest holds GitHub pull request options.
type GitHubPullRequest struct {
	// APIURL overrides the API base URL derived from the repository URL
	// (https://api.github.com for github.com, scheme://host/api/v3 for
	// any other host, as GitHub Enterprise Server serves it). An
	// imagepilot extension.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	APIURL string `json:"apiURL,omitempty"`
}

// GitLabPullRequest holds GitLab merge request options.
type GitLabPullRequest struct {
	// APIURL overrides the API base URL derived from the repository URL
	// (scheme://host; the client adds /api/v4). An imagepilot extension.
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	APIURL string `json:"apiURL,omitempty"`
}

// GiteaPullRequest holds Gitea and Forgejo pull request options.
type GiteaPullRequest struct {
	// APIURL overrides the server URL derived from the repository URL
	// (scheme://host; the client adds /api/v1).
	// +optional
	// +kubebuilder:validation:Pattern=`^https?://`
	APIURL string `json:"apiURL,omitempty"`
}

// ImagesVerification is a signature verification policy. Blocks at the
// object, application reference and image level merge field by field, the
// most specific level winning. Only tags whose image carries a cosign
// signature by the key verify; the newest verified tag wins.
//
// +kubebuilder:validation:XValidation:rule="self.enabled == false || has(self.cosignKey)",message="at least one verification method (cosignKey) is required when verification is enabled"
type ImagesVerification struct {
	// Enabled turns verification on or off at this level. It is true when
	// the block is present and the field is not.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// CosignKey points at a secret, in the object's namespace, holding the
	// PEM public key that cosign signatures must verify against.
	// +optional
	CosignKey *SecretKeyRef `json:"cosignKey,omitempty"`
}

// SecretKeyRef points at one key of a Secret in the object's namespace.
type SecretKeyRef struct {
	// SecretName is the name of the Secret.
	// +required
	SecretName string `json:"secretName"`

	// Key is the entry of the Secret's data that holds the material, for
	// example "cosign.pub".
	// +required
	Key string `json:"key"`
}
