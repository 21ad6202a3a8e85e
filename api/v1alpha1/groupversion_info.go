package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group of the ImageUpdater resource.
const GroupName = "argocd-image-updater.argoproj.io"

// GroupVersion identifies this version of the API.
var GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

// Kind names the ImageUpdater kind as it appears in manifests.
const Kind = "ImageUpdater"

// Resource is the plural resource name served by the API server.
const Resource = "imageupdaters"

// AddToScheme registers ImageUpdater and ImageUpdaterList with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ImageUpdater{}, &ImageUpdaterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
