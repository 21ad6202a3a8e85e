package v1alpha1

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// upstreamSchemaFile is upstream v1.3.0's ImageUpdater CRD schema (kept as
// data by the CRD integration test).
const upstreamSchemaFile = "../../test/kube/testdata/upstream-imageupdater-crd-v1.3.0-schema.yaml"

// extensions are the schema paths imagepilot adds to upstream v1.3.0's:
// the Gitea provider, apiURL on every provider, pull request labels.
var extensions = []string{
	"pullRequest.gitea", "pullRequest.labels", "github.apiURL", "gitlab.apiURL",
}

func isExtension(path string) bool {
	for _, e := range extensions {
		if strings.HasSuffix(path, "."+e) || strings.Contains(path, ".pullRequest.gitea.") {
			return true
		}
	}
	return false
}

func upstreamSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(upstreamSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != GroupVersion.Version {
		t.Fatalf("upstream CRD versions %+v", crd.Spec.Versions)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
}

// sampleOf builds a value for every property of an upstream schema node,
// none of them a zero value (so omitempty cannot hide a field).
func sampleOf(node map[string]any, name string) any {
	switch node["type"] {
	case "object":
		props, _ := node["properties"].(map[string]any)
		if props == nil {
			if ap, ok := node["additionalProperties"].(map[string]any); ok {
				return map[string]any{"k": sampleOf(ap, "k")}
			}
			return nil // metadata: ObjectMeta, not part of this schema
		}
		out := map[string]any{}
		for k, p := range props {
			if v := sampleOf(p.(map[string]any), k); v != nil {
				out[k] = v
			}
		}
		return out
	case "array":
		return []any{sampleOf(node["items"].(map[string]any), name)}
	case "string":
		if node["format"] == "date-time" {
			return "2026-01-02T03:04:05Z"
		}
		if enum, ok := node["enum"].([]any); ok {
			return enum[len(enum)-1]
		}
		return "value-of-" + name
	case "integer":
		return 7.0
	case "boolean":
		return true
	}
	panic("schema type " + name)
}

// TestUpstreamObjectRoundTrips shows an object using every field of
// upstream's schema decodes strictly into our types and encodes back to the
// same JSON: no field missing, renamed or of another type.
func TestUpstreamObjectRoundTrips(t *testing.T) {
	sample := sampleOf(upstreamSchema(t), "ImageUpdater").(map[string]any)
	sample["apiVersion"], sample["kind"] = GroupVersion.String(), Kind
	in, err := json.Marshal(sample)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.DisallowUnknownFields()
	var obj ImageUpdater
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("strict decode of an upstream-shaped object: %v", err)
	}
	out, err := json.Marshal(&obj)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	delete(back, "metadata") // ObjectMeta's own encoding
	var want map[string]any
	_ = json.Unmarshal(in, &want)
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip changed the object\n got %s\nwant %s", out, in)
	}
	// Spot checks that the values landed where the names say.
	ref := obj.Spec.ApplicationRefs[0]
	if ref.NamePattern != "value-of-namePattern" || ref.Images[0].ManifestTargets.Helm.Tag != "value-of-tag" ||
		obj.Status.Conditions[0].Status != metav1.ConditionUnknown || obj.Status.RecentUpdates[0].ApplicationsUpdated != 7 {
		t.Fatalf("decoded %+v", obj)
	}
}

// goJSONFields lists the JSON fields of a struct type with their tags.
func goJSONFields(typ reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" && f.Anonymous {
			maps.Copy(out, goJSONFields(f.Type)) // inline TypeMeta
			continue
		}
		out[name] = f
	}
	return out
}

var timeType = reflect.TypeFor[metav1.Time]()

// compareWithSchema checks every Go field of typ against the schema node:
// same name, compatible type, and required exactly when not omitempty.
func compareWithSchema(t *testing.T, typ reflect.Type, node map[string]any, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	wantType := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Int32: "integer", reflect.Int64: "integer",
		reflect.Slice: "array", reflect.Struct: "object", reflect.Map: "object"}[typ.Kind()]
	if typ == timeType {
		wantType = "string"
		if node["format"] != "date-time" {
			t.Errorf("%s: Go time, schema format %v", path, node["format"])
		}
	}
	if node["type"] != wantType {
		t.Errorf("%s: Go %s, schema type %v", path, typ, node["type"])
		return
	}
	switch {
	case typ == timeType:
	case typ.Kind() == reflect.Slice:
		compareWithSchema(t, typ.Elem(), node["items"].(map[string]any), path+"[]")
	case typ.Kind() == reflect.Map:
		compareWithSchema(t, typ.Elem(), node["additionalProperties"].(map[string]any), path+"{}")
	case typ.Kind() == reflect.Struct:
		props, _ := node["properties"].(map[string]any)
		var required []string
		for _, r := range asSlice(node["required"]) {
			required = append(required, r.(string))
		}
		for name, f := range goJSONFields(typ) {
			p := path + "." + name
			if name == "metadata" {
				continue
			}
			sub, ok := props[name].(map[string]any)
			if !ok {
				if !isExtension(p) {
					t.Errorf("%s: Go field %s.%s is not in upstream's schema", p, typ.Name(), f.Name)
				}
				continue
			}
			omitempty := strings.Contains(f.Tag.Get("json"), ",omitempty")
			if isRequired := slices.Contains(required, name); isRequired == omitempty {
				t.Errorf("%s: omitempty %v but upstream required %v", p, omitempty, isRequired)
			}
			compareWithSchema(t, f.Type, sub, p)
		}
		var missing []string
		for name := range props {
			if _, ok := goJSONFields(typ)[name]; !ok {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: upstream fields %v have no Go field in %s", path, missing, typ)
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestGoTypesMatchUpstreamSchema walks our types against upstream's schema:
// beyond the listed extensions every Go field is upstream's, with the same
// JSON type and the same required-ness.
func TestGoTypesMatchUpstreamSchema(t *testing.T) {
	compareWithSchema(t, reflect.TypeFor[ImageUpdater](), upstreamSchema(t), "ImageUpdater")
	for _, e := range []string{"x.pullRequest.gitea", "x.pullRequest.gitea.apiURL", "x.github.apiURL"} {
		if !isExtension(e) {
			t.Errorf("%s not treated as an extension", e)
		}
	}
	if isExtension("x.pullRequest.github") || isExtension("x.gitConfig.branch") {
		t.Error("an upstream field treated as an extension")
	}
}

// upstreamExample is an ImageUpdater as upstream's documentation writes
// them: global settings, a reference with a label selector and per-image
// overrides, and a second reference using annotations.
const upstreamExample = `
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: guestbook-updater
  namespace: argocd
spec:
  commonUpdateSettings:
    updateStrategy: semver
    pullSecret: pullsecret:argocd/regcred
    ignoreTags: ["latest"]
  writeBackConfig:
    method: git:secret:argocd/git-creds
    gitConfig:
      repository: https://github.com/example/deploy.git
      branch: main
  imagesVerification:
    cosignKey:
      secretName: cosign-pub
      key: cosign.pub
  applicationRefs:
  - namePattern: "guestbook-*"
    labelSelectors:
      matchLabels:
        env: prod
      matchExpressions:
      - key: tier
        operator: In
        values: [web]
    commonUpdateSettings:
      allowTags: "regexp:^v[0-9]+\\."
      forceUpdate: true
    writeBackConfig:
      gitConfig:
        branch: "main:image-updates"
        writeBackTarget: "helmvalues:/charts/guestbook/values.yaml"
    images:
    - alias: guestbook
      imageName: quay.io/example/guestbook:1.x
      commonUpdateSettings:
        updateStrategy: newest-build
        platforms: [linux/amd64, linux/arm64]
        ignoreTags: []
      imagesVerification:
        enabled: false
      manifestTargets:
        helm:
          name: image.repository
          tag: image.tag
    - alias: redis
      imageName: redis:~7.2
      manifestTargets:
        kustomize:
          name: docker.io/library/redis
  - namePattern: tools
    useAnnotations: true
    writeBackConfig:
      method: argocd
`

// TestUpstreamExampleResolves decodes the example strictly and resolves
// each image's effective settings through the merge helpers.
func TestUpstreamExampleResolves(t *testing.T) {
	var obj ImageUpdater
	if err := yaml.UnmarshalStrict([]byte(upstreamExample), &obj); err != nil {
		t.Fatal(err)
	}
	s := &obj.Spec
	guestbookRef, tools := &s.ApplicationRefs[0], &s.ApplicationRefs[1]
	gb, redis := &guestbookRef.Images[0], &guestbookRef.Images[1]
	tests := []struct {
		name                        string
		ref                         *ApplicationRef
		img                         *ImageConfig
		strategy, allow, pullSecret string
		force                       bool
		ignore, platforms           []string
		verify                      bool
	}{
		{name: "guestbook: image over reference over object", ref: guestbookRef, img: gb, strategy: "newest-build", allow: `regexp:^v[0-9]+\.`,
			pullSecret: "pullsecret:argocd/regcred", force: true, ignore: []string{}, platforms: []string{"linux/amd64", "linux/arm64"}},
		{name: "redis: reference over object", ref: guestbookRef, img: redis, strategy: "semver", allow: `regexp:^v[0-9]+\.`,
			pullSecret: "pullsecret:argocd/regcred", force: true, ignore: []string{"latest"}, verify: true},
		{name: "tools: the object's settings", ref: tools, strategy: "semver", pullSecret: "pullsecret:argocd/regcred", ignore: []string{"latest"}, verify: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := s.SettingsFor(tt.ref, tt.img)
			if set.StrategyOrDefault() != tt.strategy || set.AllowTagsOrDefault() != tt.allow || set.PullSecretOrDefault() != tt.pullSecret ||
				set.ForceUpdateOrDefault() != tt.force {
				t.Errorf("settings %q %q %q %v", set.StrategyOrDefault(), set.AllowTagsOrDefault(), set.PullSecretOrDefault(), set.ForceUpdateOrDefault())
			}
			if !reflect.DeepEqual(set.IgnoreTagsOrDefault(), tt.ignore) || !reflect.DeepEqual(set.PlatformsOrDefault(), tt.platforms) {
				t.Errorf("ignore %#v platforms %#v, want %#v %#v", set.IgnoreTagsOrDefault(), set.PlatformsOrDefault(), tt.ignore, tt.platforms)
			}
			if got := s.VerificationFor(tt.ref, tt.img).IsEnabled(); got != tt.verify {
				t.Errorf("verification %v, want %v", got, tt.verify)
			}
		})
	}
	wb := s.WriteBackFor(guestbookRef)
	if wb.MethodOrDefault() != "git:secret:argocd/git-creds" || wb.GitConfig.Repository != "https://github.com/example/deploy.git" ||
		wb.GitConfig.Branch != "main:image-updates" || wb.GitConfig.WriteBackTarget != "helmvalues:/charts/guestbook/values.yaml" {
		t.Errorf("guestbook write-back %+v %+v", wb, wb.GitConfig)
	}
	if wb := s.WriteBackFor(tools); wb.MethodOrDefault() != "argocd" || wb.GitConfig.Branch != "main" {
		t.Errorf("tools write-back %+v", wb)
	}
	if sel := guestbookRef.LabelSelectors; sel.MatchLabels["env"] != "prod" || sel.MatchExpressions[0].Operator != metav1.LabelSelectorOpIn {
		t.Errorf("selector %+v", sel)
	}
	if redis.ManifestTargets.Kustomize.Name != "docker.io/library/redis" || !tools.UseAnnotations {
		t.Errorf("redis targets %+v, tools annotations %v", redis.ManifestTargets, tools.UseAnnotations)
	}
	// Resolving leaves the object as it was.
	var again ImageUpdater
	_ = yaml.UnmarshalStrict([]byte(upstreamExample), &again)
	if !reflect.DeepEqual(obj, again) {
		t.Error("resolving settings changed the object")
	}
}

// mutateAll changes every string, bool and integer reachable from v.
func mutateAll(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			mutateAll(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mutateAll(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			mutateAll(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			mutateAll(e)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + "-changed")
		}
	case reflect.Bool:
		if v.CanSet() {
			v.SetBool(!v.Bool())
		}
	case reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(v.Int() + 1)
		}
	}
}

// TestDeepCopySharesNothing changes every value of a full copy and shows
// the original is untouched.
func TestDeepCopySharesNothing(t *testing.T) {
	sample := sampleOf(upstreamSchema(t), "ImageUpdater")
	raw, _ := json.Marshal(sample)
	var orig ImageUpdater
	if err := json.Unmarshal(raw, &orig); err != nil {
		t.Fatal(err)
	}
	orig.Spec.ApplicationRefs[0].WriteBackConfig.GitConfig.PullRequest.Labels = []string{"deps"}
	before, _ := json.Marshal(&orig)
	cp := orig.DeepCopy()
	mutateAll(reflect.ValueOf(cp))
	if after, _ := json.Marshal(&orig); !bytes.Equal(before, after) {
		t.Fatalf("changing the copy changed the original\nbefore %s\nafter  %s", before, after)
	}
	if changed, _ := json.Marshal(cp); bytes.Equal(before, changed) {
		t.Fatal("mutateAll changed nothing: the test cannot fail")
	}
	list := &ImageUpdaterList{Items: []ImageUpdater{orig}}
	lc := list.DeepCopyObject().(*ImageUpdaterList)
	lc.Items[0].Spec.ApplicationRefs[0].Images[0].Alias = "other"
	if list.Items[0].Spec.ApplicationRefs[0].Images[0].Alias == "other" {
		t.Fatal("list copy shares items")
	}
}
