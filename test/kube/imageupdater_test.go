package kube

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/api/v1alpha1"
	"github.com/imagepilot/imagepilot/test/infra"
)

// objectFiles lists the ImageUpdater manifests that must be accepted: the
// shipped samples and the edge cases under testdata/valid.
func objectFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{
		filepath.Join(infra.KubeRepoRoot(), "config", "samples", "imageupdater_*.yaml"),
		filepath.Join("testdata", "valid", "*.yaml"),
	} {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatalf("glob %s: %v", pattern, err)
		}
		files = append(files, matches...)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d ImageUpdater manifests", len(files))
	}
	return files
}

func decodeFile(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	objs, err := infra.KubeDecodeYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return objs
}

// pruneEmpty drops empty maps, empty lists, false and "" so that two
// renderings of the same object compare equal whatever their omitempty
// choices.
func pruneEmpty(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			if p := pruneEmpty(v); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(n) == 0 {
			return nil
		}
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = pruneEmpty(v)
		}
		return out
	case bool:
		if !n {
			return nil
		}
		return n
	case string:
		if n == "" {
			return nil
		}
		return n
	default:
		return n
	}
}

// typedRoundTrip decodes the stored object into our Go types and renders it
// back, so that a field unknown to the types shows up as a difference.
func typedRoundTrip(t *testing.T, stored *unstructured.Unstructured) map[string]any {
	t.Helper()
	var typed v1alpha1.ImageUpdater
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(stored.Object, &typed); err != nil {
		t.Fatalf("decode into ImageUpdater: %v", err)
	}
	data, err := json.Marshal(typed.Spec)
	if err != nil {
		t.Fatalf("marshal spec: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("unmarshal spec: %v", err)
	}
	return m
}

func TestImageUpdaterManifestsAccepted(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	for _, file := range objectFiles(t) {
		for _, obj := range decodeFile(t, file) {
			t.Run(filepath.Base(file)+"/"+obj.GetName(), func(t *testing.T) {
				obj.SetNamespace(ns)
				if err := env.Client.Create(ctx, obj); err != nil {
					t.Fatalf("rejected: %v", err)
				}
				stored := &unstructured.Unstructured{}
				stored.SetGroupVersionKind(obj.GroupVersionKind())
				if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), stored); err != nil {
					t.Fatalf("get: %v", err)
				}
				want := pruneEmpty(stored.Object["spec"])
				if got := pruneEmpty(typedRoundTrip(t, stored)); !reflect.DeepEqual(got, want) {
					t.Errorf("typed round trip lost fields\n got: %v\nwant: %v", got, want)
				}
			})
		}
	}
}

func TestImageUpdaterNoDefaultsInCommonUpdateSettings(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	force := true
	iu := &v1alpha1.ImageUpdater{
		Spec: v1alpha1.ImageUpdaterSpec{
			CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{ForceUpdate: &force},
			ApplicationRefs: []v1alpha1.ApplicationRef{{
				NamePattern:          "app",
				CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{IgnoreTags: []string{"latest"}},
				Images: []v1alpha1.ImageConfig{{
					Alias: "a", ImageName: "nginx",
					CommonUpdateSettings: &v1alpha1.CommonUpdateSettings{Platforms: []string{"linux/amd64"}},
				}},
			}},
		},
	}
	iu.Namespace, iu.Name = env.Namespace(t), "no-defaults"
	if err := env.Client.Create(ctx, iu); err != nil {
		t.Fatalf("create: %v", err)
	}
	var got v1alpha1.ImageUpdater
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(iu), &got); err != nil {
		t.Fatalf("get: %v", err)
	}
	ref := &got.Spec.ApplicationRefs[0]
	blocks := map[string]*v1alpha1.CommonUpdateSettings{
		"spec": got.Spec.CommonUpdateSettings, "ref": ref.CommonUpdateSettings, "image": ref.Images[0].CommonUpdateSettings,
	}
	for level, s := range blocks {
		if s.UpdateStrategy != nil {
			t.Errorf("%s: updateStrategy defaulted to %q", level, *s.UpdateStrategy)
		}
	}
	for level, s := range map[string]*v1alpha1.CommonUpdateSettings{"ref": blocks["ref"], "image": blocks["image"]} {
		if s.ForceUpdate != nil {
			t.Errorf("%s: forceUpdate defaulted to %v", level, *s.ForceUpdate)
		}
	}
	eff := got.Spec.SettingsFor(ref, &ref.Images[0])
	if !eff.ForceUpdateOrDefault() || eff.StrategyOrDefault() != "semver" || len(eff.IgnoreTags) != 1 || len(eff.Platforms) != 1 {
		t.Errorf("effective settings = %+v, want the three levels merged", eff)
	}
	if ref.UseAnnotations {
		t.Error("useAnnotations must default to false")
	}
}
