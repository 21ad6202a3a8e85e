package argocdv1alpha1

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// everyField is an Application, as Argo CD writes one, using every field
// our types model (and no other): single source and hydrator spec, every
// source kind's fields, the status we read.
const everyField = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: team
  destination: {server: "https://kubernetes.default.svc", namespace: web, name: in-cluster}
  source:
    repoURL: https://git.example.com/deploy.git
    path: charts/web
    targetRevision: main
    chart: web
    ref: values
    name: primary
    helm:
      parameters:
      - {name: image.tag, value: "1.2.0", forceString: true}
      valueFiles: [values.yaml, "$values/prod.yaml"]
      values: "replicas: 2\n"
      valuesObject: {image: {repository: ghcr.io/team/web}}
      releaseName: web-prod
    kustomize:
      images: ["ghcr.io/team/web:1.2.0"]
      namePrefix: prod-
      nameSuffix: -v2
      namespace: web
    plugin:
      name: envsubst
      env: [{name: IMAGE, value: "web:1"}]
  sourceHydrator:
    drySource:
      repoURL: https://git.example.com/dry.git
      targetRevision: HEAD
      path: apps/web
      helm: {releaseName: dry}
      kustomize: {namePrefix: dry-}
      plugin: {name: cmp}
    syncSource: {targetBranch: env/prod, path: apps/web}
status:
  sourceType: Helm
  sourceTypes: [Helm]
  summary:
    images: ["ghcr.io/team/web:1.2.0"]
    externalURLs: ["https://web.example.com"]
`

// TestEveryFieldRoundTrips shows every field decodes strictly (its name is
// Argo CD's) and encodes back unchanged.
func TestEveryFieldRoundTrips(t *testing.T) {
	var app Application
	if err := yaml.UnmarshalStrict([]byte(everyField), &app); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	out, err := json.Marshal(&app)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	in, err := yaml.YAMLToJSON([]byte(everyField))
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(in, &want)
	got["metadata"], want["metadata"] = nil, nil // ObjectMeta's own encoding
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the Application\n got %s\nwant %s", out, in)
	}
	if app.Spec.Source.Helm.ValueFiles[1] != "$values/prod.yaml" || app.Spec.SourceHydrator.SyncSource.TargetBranch != "env/prod" ||
		app.Status.Summary.ExternalURLs[0] != "https://web.example.com" {
		t.Fatalf("decoded %+v", app.Spec)
	}
}

// TestEncodingOmitsUnsetFields pins what a minimal Application encodes to:
// the fields Argo CD requires, nothing invented.
func TestEncodingOmitsUnsetFields(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{name: "empty spec keeps destination and project", v: ApplicationSpec{}, want: `{"destination":{},"project":""}`},
		{name: "source needs only repoURL", v: ApplicationSource{RepoURL: "r"}, want: `{"repoURL":"r"}`},
		{name: "hydrator always has both sources", v: SourceHydrator{}, want: `{"drySource":{"repoURL":"","targetRevision":"","path":""},"syncSource":{"targetBranch":"","path":""}}`},
		{name: "a plugin env entry keeps an empty value", v: EnvEntry{Name: "A"}, want: `{"name":"A","value":""}`},
		{name: "an unset force-string is left out", v: HelmParameter{Name: "a", Value: "b"}, want: `{"name":"a","value":"b"}`},
		{name: "an empty status", v: ApplicationStatus{}, want: `{"summary":{}}`},
		{name: "a list always has items", v: ApplicationList{}, want: `{"metadata":{},"items":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("got %s, want %s", b, tt.want)
			}
		})
	}
}

func TestHasMultipleSources(t *testing.T) {
	tests := []struct {
		name string
		spec ApplicationSpec
		want bool
	}{
		{name: "no source at all", want: false},
		{name: "a single source", spec: ApplicationSpec{Source: &ApplicationSource{RepoURL: "r"}}, want: false},
		{name: "an empty sources list", spec: ApplicationSpec{Sources: []ApplicationSource{}}, want: false},
		{name: "one entry in sources", spec: ApplicationSpec{Sources: []ApplicationSource{{RepoURL: "r"}}}, want: true},
		{name: "sources win over source", spec: ApplicationSpec{Source: &ApplicationSource{}, Sources: []ApplicationSource{{}, {}}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.HasMultipleSources(); got != tt.want {
				t.Fatalf("HasMultipleSources() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDrySourceSource(t *testing.T) {
	d := DrySource{RepoURL: "https://git.example.com/dry.git", TargetRevision: "HEAD", Path: "apps/web",
		Helm: &ApplicationSourceHelm{ReleaseName: "r"}, Kustomize: &ApplicationSourceKustomize{NamePrefix: "p-"}, Plugin: &ApplicationSourcePlugin{Name: "cmp"}}
	want := ApplicationSource{RepoURL: d.RepoURL, TargetRevision: "HEAD", Path: "apps/web", Helm: d.Helm, Kustomize: d.Kustomize, Plugin: d.Plugin}
	if got := d.Source(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Source() = %+v, want %+v", got, want)
	}
	// Every field of DrySource has its namesake in the result: a field
	// added to one type and not carried over fails here.
	src := reflect.TypeFor[ApplicationSource]()
	for f := range reflect.TypeFor[DrySource]().Fields() {
		sf, ok := src.FieldByName(f.Name)
		jsonName := func(f reflect.StructField) string { n, _, _ := strings.Cut(f.Tag.Get("json"), ","); return n }
		if !ok || sf.Type != f.Type || jsonName(sf) != jsonName(f) {
			t.Errorf("DrySource.%s has no matching ApplicationSource field", f.Name)
		}
		if !reflect.ValueOf(d.Source()).FieldByName(f.Name).Equal(reflect.ValueOf(d).FieldByName(f.Name)) {
			t.Errorf("Source() does not carry %s", f.Name)
		}
	}
	if (DrySource{}).Source().Chart != "" {
		t.Error("an empty dry source gives a chart")
	}
}

// TestDeepCopySharesNothing shows a copied Application can be changed
// (values object, parameters, sources, status) without touching the
// original, the property the write-back's read-modify-patch relies on.
func TestDeepCopySharesNothing(t *testing.T) {
	var orig Application
	if err := yaml.Unmarshal([]byte(everyField), &orig); err != nil {
		t.Fatal(err)
	}
	orig.Spec.Sources = []ApplicationSource{*orig.Spec.Source.DeepCopy()}
	before, _ := json.Marshal(&orig)
	cp := orig.DeepCopyObject().(*Application)
	cp.Spec.Source.Helm.ValuesObject.Raw[2] = 'X'
	cp.Spec.Source.Helm.Parameters[0].Value = "9.9.9"
	cp.Spec.Source.Kustomize.Images[0] = "other"
	cp.Spec.Sources[0].Plugin.Env[0].Value = "changed"
	cp.Spec.SourceHydrator.DrySource.Helm.ReleaseName = "changed"
	cp.Status.Summary.Images[0] = "changed"
	cp.Annotations = map[string]string{"a": "b"}
	if after, _ := json.Marshal(&orig); string(after) != string(before) {
		t.Fatalf("changing the copy changed the original\nbefore %s\nafter  %s", before, after)
	}
	list := &ApplicationList{Items: []Application{orig}}
	lc := list.DeepCopyObject().(*ApplicationList)
	lc.Items[0].Spec.Project = "other"
	if list.Items[0].Spec.Project != "team" {
		t.Fatal("list copy shares items")
	}
	var nilApp *Application
	if nilApp.DeepCopy() != nil || nilApp.DeepCopyObject() != nil {
		t.Fatal("copy of nil is not nil")
	}
}

// TestSchemeDecodesApplications shows the registered scheme decodes an
// Application manifest into our type through a universal decoder.
func TestSchemeDecodesApplications(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	obj, err := s.New(GroupVersion.WithKind(ApplicationKind))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := obj.(*Application); !ok {
		t.Fatalf("scheme made %T", obj)
	}
	if _, err := s.New(GroupVersion.WithKind("AppProject")); err == nil {
		t.Fatal("a kind we do not model is registered")
	}
	if GroupVersion.WithResource(ApplicationResource).String() != "argoproj.io/v1alpha1, Resource=applications" {
		t.Fatalf("resource %s", GroupVersion.WithResource(ApplicationResource))
	}
}
