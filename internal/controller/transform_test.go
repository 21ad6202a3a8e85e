package controller

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/api/v1alpha1"
)

func TestStripApplication(t *testing.T) {
	full := func() *argocd.Application {
		a := &argocd.Application{}
		a.Name, a.Namespace, a.UID, a.ResourceVersion = "web", "apps", "u-1", "42"
		a.Labels = map[string]string{"team": "a"}
		a.Annotations = map[string]string{
			"kubectl.kubernetes.io/last-applied-configuration": `{"big":"json"}`,
			"argocd-image-updater.argoproj.io/image-list":      "web=reg/web",
			"imagepilot.io/holds":                              "[]",
			"notified.notifications.argoproj.io":               "{}",
		}
		a.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "argocd-controller"}}
		a.Spec.Project = "default"
		a.Spec.Source = &argocd.ApplicationSource{RepoURL: "https://git/x", Helm: &argocd.ApplicationSourceHelm{Parameters: []argocd.HelmParameter{{Name: "image.tag", Value: "1"}}}}
		a.Status.Summary = argocd.ApplicationSummary{Images: []string{"reg/web:1"}, ExternalURLs: []string{"https://web"}}
		a.Status.SourceType, a.Status.SourceTypes = "Helm", []string{"Helm"}
		return a
	}
	want := full()
	want.ManagedFields = nil
	want.Annotations = map[string]string{"argocd-image-updater.argoproj.io/image-list": "web=reg/web", "imagepilot.io/holds": "[]"}
	want.Status.Summary.ExternalURLs = nil
	bare := &argocd.Application{}
	bare.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	iu := &v1alpha1.ImageUpdater{}
	iu.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	for name, tc := range map[string]struct {
		in, want any
	}{
		"full application":               {full(), want},
		"only unneeded annotations":      {bare, &argocd.Application{}},
		"other types are left unchanged": {iu, iu.DeepCopy()},
		"nil application map fields":     {&argocd.Application{}, &argocd.Application{}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := StripApplication(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
