package argocdv1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is Argo CD's API group.
const GroupName = "argoproj.io"

// GroupVersion identifies Argo CD's v1alpha1 API.
var GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

// ApplicationKind is the kind of Argo CD Applications.
const ApplicationKind = "Application"

// ApplicationResource is the plural resource name of Applications.
const ApplicationResource = "applications"

// AddToScheme registers Application and ApplicationList with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Application{}, &ApplicationList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
