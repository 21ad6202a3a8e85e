package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImageUpdater selects Argo CD Applications and describes how the container
// images they run are kept up to date.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced
// +kubebuilder:printcolumn:name="Apps",type=integer,JSONPath=`.status.applicationsMatched`
// +kubebuilder:printcolumn:name="Images",type=integer,JSONPath=`.status.imagesManaged`
// +kubebuilder:printcolumn:name="Last Checked",type=date,JSONPath=`.status.lastCheckedAt`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
type ImageUpdater struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user asks for: the applications to manage, the images
	// in them and the settings that govern their updates. The schema leaves
	// it optional, as upstream's does; an object without it selects nothing.
	// +optional
	Spec ImageUpdaterSpec `json:"spec,omitempty"`

	// Status is what the controller last observed and did.
	// +optional
	Status ImageUpdaterStatus `json:"status,omitempty"`
}

// ImageUpdaterList is a list of ImageUpdater objects.
//
// +kubebuilder:object:root=true
type ImageUpdaterList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ImageUpdater objects in the list.
	Items []ImageUpdater `json:"items"`
}

// ImageUpdaterSpec is the desired state of an ImageUpdater. Settings given
// here apply to every selected application unless an application reference or
// an image overrides them.
type ImageUpdaterSpec struct {
	// CommonUpdateSettings are the update settings shared by every application
	// and image of this object. Each field may be overridden, one by one, by an
	// application reference and then by an image.
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`

	// WriteBackConfig says how chosen versions are recorded for every selected
	// application, unless an application reference overrides it.
	// +optional
	WriteBackConfig *WriteBackConfig `json:"writeBackConfig,omitempty"`

	// ImagesVerification is the signature verification policy for all images
	// of this object, unless an application reference or an image overrides it.
	// +optional
	ImagesVerification *ImagesVerification `json:"imagesVerification,omitempty"`

	// ApplicationRefs select the Argo CD Applications this object manages, in
	// the object's own namespace. Each entry is identified by its namePattern.
	// An application takes the most specific entry that matches it.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +listType=map
	// +listMapKey=namePattern
	ApplicationRefs []ApplicationRef `json:"applicationRefs"`
}

// ApplicationRef selects applications by name pattern and labels, and carries
// the images to update in them along with settings that override the
// object-wide ones.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.useAnnotations) && self.useAnnotations == true) ? (has(self.images) && size(self.images) > 0) : true",message="Either useAnnotations must be true, or images must be provided with at least one item"
type ApplicationRef struct {
	// NamePattern is a glob (path.Match syntax) matched against application
	// names; a pattern without wildcards matches one application exactly.
	// +required
	NamePattern string `json:"namePattern"`

	// LabelSelectors narrows the match to applications whose labels satisfy
	// the selector.
	// +optional
	LabelSelectors *metav1.LabelSelector `json:"labelSelectors,omitempty"`

	// UseAnnotations, when true, takes the image list and every setting from
	// the application's argocd-image-updater.argoproj.io/* annotations; only
	// namePattern and labelSelectors of this entry are then used.
	// +optional
	// +kubebuilder:default=false
	UseAnnotations bool `json:"useAnnotations,omitempty"`

	// CommonUpdateSettings override the object-wide settings, field by
	// field, for the applications this entry selects.
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`

	// WriteBackConfig overrides the object-wide write-back configuration for
	// the applications this entry selects.
	// +optional
	WriteBackConfig *WriteBackConfig `json:"writeBackConfig,omitempty"`

	// ImagesVerification overrides the object-wide verification policy for
	// the applications this entry selects.
	// +optional
	ImagesVerification *ImagesVerification `json:"imagesVerification,omitempty"`

	// Images are the container images to keep current in the selected
	// applications, identified by alias. Required unless useAnnotations is
	// true.
	// +optional
	// +listType=map
	// +listMapKey=alias
	Images []ImageConfig `json:"images,omitempty"`
}

// ImageConfig names one container image to follow, the settings that govern
// its updates and where in the application's manifests its version lives.
type ImageConfig struct {
	// Alias is a short name for the image, unique within its application
	// reference. It names the image in annotations, logs, metrics and status.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9][a-zA-Z0-9-._]*$`
	Alias string `json:"alias"`

	// ImageName is the image to follow: registry host (Docker Hub when
	// absent), repository and, optionally after a colon, a version
	// constraint (a semver range, or the tag to follow for the digest
	// strategy), for example "ghcr.io/team/app:~1.4".
	// +required
	ImageName string `json:"imageName"`

	// CommonUpdateSettings override, field by field, the settings inherited
	// from the application reference and the object for this image only.
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`

	// ImagesVerification overrides the inherited verification policy for
	// this image only.
	// +optional
	ImagesVerification *ImagesVerification `json:"imagesVerification,omitempty"`

	// ManifestTargets says where the image's version is written in the
	// application: Helm parameters, a Kustomize image entry or plugin
	// environment variables. Exactly one kind may be given.
	// +optional
	ManifestTargets *ManifestTarget `json:"manifestTargets,omitempty"`
}
