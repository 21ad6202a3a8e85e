// Package argocdv1alpha1 holds a minimal, hand-written subset of Argo CD's
// Application API (argoproj.io/v1alpha1): only the fields imagepilot reads or
// writes. It exists so the project can use a typed controller-runtime client
// without depending on the Argo CD module.
//
// Because these types omit most of Argo CD's fields, decoding an Application
// into them drops everything they do not know. Never write such an object
// back with a whole-object Update: that would erase the unknown fields.
// Writers must send patches that name only the fields they own (a JSON merge
// patch or JSON patch built from the fields changed, or server-side apply
// with imagepilot's field manager), with metadata.resourceVersion in the
// patch when optimistic concurrency is wanted.
//
// +kubebuilder:object:generate=true
// +groupName=argoproj.io
package argocdv1alpha1
