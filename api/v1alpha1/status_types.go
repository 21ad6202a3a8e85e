package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImageUpdaterStatus is what the controller last observed and did for an
// ImageUpdater.
type ImageUpdaterStatus struct {
	// ObservedGeneration is the metadata.generation the status describes.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// LastCheckedAt is when registries were last asked for new versions.
	// +optional
	LastCheckedAt *metav1.Time `json:"lastCheckedAt,omitempty"`

	// LastUpdatedAt is when an image version was last written.
	// +optional
	LastUpdatedAt *metav1.Time `json:"lastUpdatedAt,omitempty"`

	// ApplicationsMatched counts the applications the selectors matched.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ApplicationsMatched int32 `json:"applicationsMatched,omitempty"`

	// ImagesManaged counts the images checked for updates.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ImagesManaged int32 `json:"imagesManaged,omitempty"`

	// RecentUpdates lists the image versions written in the last cycle that
	// wrote any.
	// +optional
	// +listType=atomic
	RecentUpdates []RecentUpdate `json:"recentUpdates,omitempty"`

	// Conditions summarise the object's state; see the Condition constants.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// RecentUpdate records one image version that was written.
type RecentUpdate struct {
	// Alias is the alias of the updated image.
	// +required
	Alias string `json:"alias"`

	// Image is the image repository that was updated.
	// +required
	Image string `json:"image"`

	// NewVersion is the tag or digest written.
	// +required
	NewVersion string `json:"newVersion"`

	// ApplicationsUpdated counts the applications that received the version.
	// +required
	// +kubebuilder:validation:Minimum=0
	ApplicationsUpdated int32 `json:"applicationsUpdated"`

	// UpdatedAt is when the version was written.
	// +required
	UpdatedAt metav1.Time `json:"updatedAt"`

	// Message adds detail, such as the commit or the previous version.
	// +optional
	Message string `json:"message,omitempty"`
}
