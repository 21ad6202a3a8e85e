package v1alpha1

// ManifestTarget says where an image's version lives in the application's
// manifests. Exactly one of Helm, Kustomize or Plugin must be given when the
// block is present; without the block the source type decides.
//
// +kubebuilder:validation:XValidation:rule="(has(self.helm) ? 1 : 0) + (has(self.kustomize) ? 1 : 0) + (has(self.plugin) ? 1 : 0) == 1",message="Exactly one of helm, kustomize, or plugin must be specified within manifestTargets if the block is present."
type ManifestTarget struct {
	// Helm writes the version into Helm parameters.
	// +optional
	Helm *HelmTarget `json:"helm,omitempty"`

	// Kustomize writes the version into a Kustomize images entry.
	// +optional
	Kustomize *KustomizeTarget `json:"kustomize,omitempty"`

	// Plugin writes the version into environment variables of a Config
	// Management Plugin source.
	// +optional
	Plugin *PluginTarget `json:"plugin,omitempty"`
}

// HelmTarget names the Helm parameters (dotted value paths) that receive an
// image's repository, tag or full reference.
type HelmTarget struct {
	// Name is the parameter for the image repository, for example
	// "image.repository". Defaults to "image.name"; ignored when Spec is set.
	// +optional
	Name string `json:"name,omitempty"`

	// Tag is the parameter for the tag, for example "image.tag". Defaults to
	// "image.tag"; ignored when Spec is set.
	// +optional
	Tag string `json:"tag,omitempty"`

	// Spec is a single parameter that receives "repository:tag"; when set,
	// Name and Tag are not written.
	// +optional
	Spec string `json:"spec,omitempty"`
}

// KustomizeTarget names the image entry of a kustomization to rewrite.
type KustomizeTarget struct {
	// Name is the image name as the kustomization's images list knows it
	// (its "name" field), for example "docker.io/library/nginx".
	// +required
	Name string `json:"name"`
}

// PluginTarget names the environment variables of a Config Management Plugin
// source that receive an image's repository, tag or full reference. Spec or
// Name must be given.
//
// +kubebuilder:validation:XValidation:rule="has(self.spec) || has(self.name)",message="At least one of spec or name must be specified in plugin target."
type PluginTarget struct {
	// Name is the variable for the image repository; ignored when Spec is set.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// Tag is the variable for the tag; ignored when Spec is set.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Tag string `json:"tag,omitempty"`

	// Spec is a single variable that receives "repository:tag"; when set,
	// Name and Tag are not written.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Spec string `json:"spec,omitempty"`
}
