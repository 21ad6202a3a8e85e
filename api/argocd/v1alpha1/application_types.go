package argocdv1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Application is the subset of an Argo CD Application that imagepilot uses.
// Read it with a typed client; change it only with patches (see the package
// documentation).
//
// +kubebuilder:object:root=true
type Application struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata; annotations carry image updater settings.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec is the desired deployment.
	Spec ApplicationSpec `json:"spec"`
	// Status is Argo CD's view of the deployment.
	Status ApplicationStatus `json:"status,omitempty"`
}

// ApplicationList is a list of Applications.
//
// +kubebuilder:object:root=true
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Applications.
	Items []Application `json:"items"`
}

// ApplicationSpec is the part of an Application's spec imagepilot uses.
type ApplicationSpec struct {
	// Source is the single source of a single-source application.
	Source *ApplicationSource `json:"source,omitempty"`
	// Sources are the sources of a multi-source application.
	Sources []ApplicationSource `json:"sources,omitempty"`
	// SourceHydrator, when set, replaces Source: Argo CD renders the dry
	// source and pushes the result to the sync source before syncing it.
	SourceHydrator *SourceHydrator `json:"sourceHydrator,omitempty"`
	// Destination is the cluster and namespace deployed to.
	Destination ApplicationDestination `json:"destination"`
	// Project is the Argo CD project the application belongs to.
	Project string `json:"project"`
}

// HasMultipleSources reports whether the application uses spec.sources.
func (s *ApplicationSpec) HasMultipleSources() bool {
	return len(s.Sources) > 0
}

// SourceHydrator is the part of Argo CD's source hydrator configuration
// imagepilot uses: the dry source holds the manifests people edit (and
// imagepilot writes to); the sync source holds what Argo CD rendered.
type SourceHydrator struct {
	// DrySource is where the unrendered manifests live.
	DrySource DrySource `json:"drySource"`
	// SyncSource is where Argo CD pushes the rendered manifests.
	SyncSource SyncSource `json:"syncSource"`
}

// DrySource is the source of unrendered manifests of a hydrated
// application.
type DrySource struct {
	// RepoURL is the Git repository URL.
	RepoURL string `json:"repoURL"`
	// TargetRevision is the branch, tag or commit to read.
	TargetRevision string `json:"targetRevision"`
	// Path is the directory within the repository.
	Path string `json:"path"`
	// Helm holds Helm parameters and values.
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// Kustomize holds Kustomize overrides.
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// Plugin holds config management plugin settings.
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
}

// SyncSource is where a hydrated application's rendered manifests live.
type SyncSource struct {
	// TargetBranch is the branch Argo CD pushes rendered manifests to.
	TargetBranch string `json:"targetBranch"`
	// Path is the directory of the rendered manifests.
	Path string `json:"path"`
}

// Source returns the dry source as an ApplicationSource (the source
// imagepilot reads and writes for a hydrated application).
func (d DrySource) Source() ApplicationSource {
	return ApplicationSource{RepoURL: d.RepoURL, TargetRevision: d.TargetRevision, Path: d.Path, Helm: d.Helm, Kustomize: d.Kustomize, Plugin: d.Plugin}
}

// ApplicationSource is one source of manifests.
type ApplicationSource struct {
	// RepoURL is the Git or Helm repository URL.
	RepoURL string `json:"repoURL"`
	// Path is the directory within a Git repository.
	Path string `json:"path,omitempty"`
	// TargetRevision is the branch, tag, commit or chart version.
	TargetRevision string `json:"targetRevision,omitempty"`
	// Chart is the chart name for a Helm repository source.
	Chart string `json:"chart,omitempty"`
	// Ref names the source so other sources can refer to its files.
	Ref string `json:"ref,omitempty"`
	// Name is an optional name for the source.
	Name string `json:"name,omitempty"`
	// Helm holds Helm options.
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// Kustomize holds Kustomize options.
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// Plugin holds Config Management Plugin options.
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
}

// ApplicationSourceHelm holds the Helm options imagepilot reads or writes.
type ApplicationSourceHelm struct {
	// Parameters override chart values.
	Parameters []HelmParameter `json:"parameters,omitempty"`
	// ValueFiles are values files relative to the chart.
	ValueFiles []string `json:"valueFiles,omitempty"`
	// Values is an inline values document.
	Values string `json:"values,omitempty"`
	// ValuesObject is an inline values object.
	ValuesObject *runtime.RawExtension `json:"valuesObject,omitempty"`
	// ReleaseName overrides the Helm release name.
	ReleaseName string `json:"releaseName,omitempty"`
}

// HelmParameter overrides one chart value.
type HelmParameter struct {
	// Name is the dotted value path.
	Name string `json:"name,omitempty"`
	// Value is the value to set.
	Value string `json:"value,omitempty"`
	// ForceString keeps the value a string (helm --set-string).
	ForceString bool `json:"forceString,omitempty"`
}

// ApplicationSourceKustomize holds the Kustomize options imagepilot reads or
// writes.
type ApplicationSourceKustomize struct {
	// Images are image overrides written "[old=]name[:tag][@digest]".
	Images []string `json:"images,omitempty"`
	// NamePrefix is prepended to resource names.
	NamePrefix string `json:"namePrefix,omitempty"`
	// NameSuffix is appended to resource names.
	NameSuffix string `json:"nameSuffix,omitempty"`
	// Namespace overrides the namespace of resources.
	Namespace string `json:"namespace,omitempty"`
}

// ApplicationSourcePlugin holds Config Management Plugin options.
type ApplicationSourcePlugin struct {
	// Name is the plugin's name.
	Name string `json:"name,omitempty"`
	// Env are environment variables passed to the plugin.
	Env []EnvEntry `json:"env,omitempty"`
}

// EnvEntry is one plugin environment variable.
type EnvEntry struct {
	// Name is the variable's name.
	Name string `json:"name"`
	// Value is the variable's value.
	Value string `json:"value"`
}

// ApplicationDestination is where the application is deployed.
type ApplicationDestination struct {
	// Server is the API server URL of the target cluster.
	Server string `json:"server,omitempty"`
	// Namespace is the target namespace.
	Namespace string `json:"namespace,omitempty"`
	// Name is the target cluster's name.
	Name string `json:"name,omitempty"`
}

// ApplicationStatus is the part of Argo CD's status imagepilot reads.
type ApplicationStatus struct {
	// Summary lists facts about the live resources.
	Summary ApplicationSummary `json:"summary,omitempty"`
	// SourceType is the detected type of a single source (Helm, Kustomize,
	// Directory, Plugin).
	SourceType string `json:"sourceType,omitempty"`
	// SourceTypes are the detected types of the sources of a multi-source
	// application, in order.
	SourceTypes []string `json:"sourceTypes,omitempty"`
}

// ApplicationSummary lists facts about the live resources.
type ApplicationSummary struct {
	// Images are the container images the live resources run.
	Images []string `json:"images,omitempty"`
	// ExternalURLs are URLs the application exposes.
	ExternalURLs []string `json:"externalURLs,omitempty"`
}

// Source types as Argo CD reports them in status.sourceType(s).
const (
	SourceTypeHelm      = "Helm"
	SourceTypeKustomize = "Kustomize"
	SourceTypeDirectory = "Directory"
	SourceTypePlugin    = "Plugin"
)
