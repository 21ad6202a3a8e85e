// Package v1alpha1 holds the ImageUpdater API: the custom resource that tells
// imagepilot which Argo CD Applications to watch, which container images in
// them to keep current, by which policy, and where to record a change.
//
// The schema is wire-compatible with the ImageUpdater resource of Argo CD
// Image Updater v1.3 (group argocd-image-updater.argoproj.io, version
// v1alpha1): every object that CRD accepts is accepted here. One deliberate
// difference: nothing inside commonUpdateSettings has a schema default, so an
// unset field is visible as nil and inherits from the enclosing level. Use the
// OrDefault accessors and Merge to resolve the effective values instead of
// reading the fields directly.
//
// +kubebuilder:object:generate=true
// +groupName=argocd-image-updater.argoproj.io
package v1alpha1
