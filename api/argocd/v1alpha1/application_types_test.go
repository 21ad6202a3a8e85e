package argocdv1alpha1

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

const sampleApplication = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  annotations:
    argocd-image-updater.argoproj.io/image-list: web=ghcr.io/team/web:~1.2
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: web}
  syncPolicy: {automated: {prune: true}}
  sources:
  - repoURL: https://charts.example.com
    chart: web
    targetRevision: 1.2.3
    helm:
      parameters:
      - {name: image.tag, value: "1.2.0", forceString: true}
      valuesObject: {replicas: 2}
  - repoURL: https://git.example.com/k.git
    path: overlays/prod
    kustomize: {images: ["web=ghcr.io/team/web:1.2.0"]}
  - repoURL: https://git.example.com/p.git
    plugin: {name: envsubst, env: [{name: IMAGE, value: "web:1"}]}
status:
  sourceTypes: [Helm, Kustomize, Plugin]
  summary: {images: ["ghcr.io/team/web:1.2.0"]}
  sync: {status: Synced}
`

func TestApplicationDecodesArgoCDShape(t *testing.T) {
	var app Application
	if err := yaml.Unmarshal([]byte(sampleApplication), &app); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !app.Spec.HasMultipleSources() || len(app.Spec.Sources) != 3 {
		t.Fatalf("sources = %+v", app.Spec.Sources)
	}
	helm := app.Spec.Sources[0].Helm
	if want := []HelmParameter{{Name: "image.tag", Value: "1.2.0", ForceString: true}}; !reflect.DeepEqual(helm.Parameters, want) {
		t.Errorf("helm parameters = %+v", helm.Parameters)
	}
	if helm.ValuesObject == nil || string(helm.ValuesObject.Raw) != `{"replicas":2}` {
		t.Errorf("valuesObject = %v", helm.ValuesObject)
	}
	if got := app.Spec.Sources[1].Kustomize.Images; !reflect.DeepEqual(got, []string{"web=ghcr.io/team/web:1.2.0"}) {
		t.Errorf("kustomize images = %v", got)
	}
	if got := app.Spec.Sources[2].Plugin.Env; !reflect.DeepEqual(got, []EnvEntry{{Name: "IMAGE", Value: "web:1"}}) {
		t.Errorf("plugin env = %v", got)
	}
	if !reflect.DeepEqual(app.Status.SourceTypes, []string{SourceTypeHelm, SourceTypeKustomize, SourceTypePlugin}) ||
		!reflect.DeepEqual(app.Status.Summary.Images, []string{"ghcr.io/team/web:1.2.0"}) {
		t.Errorf("status = %+v", app.Status)
	}
}

func TestHelmParameterWireNames(t *testing.T) {
	data, err := json.Marshal(HelmParameter{Name: "a", Value: "b", ForceString: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"name":"a","value":"b","forceString":true}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}

func TestAddToScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{&Application{}, &ApplicationList{}} {
		gvks, _, err := s.ObjectKinds(obj)
		if err != nil || len(gvks) != 1 || gvks[0].GroupVersion() != GroupVersion {
			t.Errorf("ObjectKinds(%T) = %v, %v", obj, gvks, err)
		}
	}
}
