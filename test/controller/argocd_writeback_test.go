package controller_test

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
	"github.com/imagepilot/imagepilot/internal/writeback"
	"github.com/imagepilot/imagepilot/test/infra"
)

func update(t *testing.T, app *argocd.Application, image string, m target.Manifest, index int, tag string) updater.Decision {
	t.Helper()
	spec, err := imagespec.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	return updater.Decision{
		Item: updater.Item{Target: target.Target{
			App: target.AppRef{Namespace: app.Namespace, Name: app.Name}, Image: spec, Manifest: m,
			WriteBack: target.WriteBack{Method: target.MethodArgoCD}, Source: target.Source{Index: index},
		}},
		Action: updater.ActionUpdate, NewTag: tag,
	}
}

func getApp(t *testing.T, c client.Client, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(argocd.GroupVersion.WithKind(argocd.ApplicationKind))
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func field(t *testing.T, u *unstructured.Unstructured, path ...string) any {
	t.Helper()
	v, _, err := unstructured.NestedFieldNoCopy(u.Object, path...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// createUnstructured creates an Application with fields our typed struct
// lacks, to prove they survive write-back.
func createUnstructured(t *testing.T, env *infra.KubeEnv, ns, name string, spec map[string]any) {
	t.Helper()
	spec["project"] = "default"
	spec["destination"] = map[string]any{"server": "https://kubernetes.default.svc"}
	spec["syncPolicy"] = map[string]any{"automated": map[string]any{"prune": true}}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     spec,
	}}
	if err := env.Client.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func TestArgoCDWriteBackHelmKeepsConcurrentEditAndUnknownFields(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	createUnstructured(t, env, ns, "web", map[string]any{"source": map[string]any{
		"repoURL": "https://git.example/web.git", "path": "chart",
		"helm": map[string]any{
			"parameters":     []any{map[string]any{"name": "replicas", "value": "3"}},
			"fileParameters": []any{map[string]any{"name": "config", "path": "files/config.json"}},
		},
	}})
	concurrent := false
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	c := interceptor.NewClient(base, interceptor.Funcs{
		Patch: func(ctx context.Context, cl client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
			if !concurrent {
				concurrent = true
				other := getApp(t, cl, ns, "web")
				if err := unstructured.SetNestedField(other.Object, "rev-2", "spec", "source", "targetRevision"); err != nil {
					return err
				}
				if err := cl.Update(ctx, other); err != nil {
					return err
				}
			}
			return cl.Patch(ctx, o, p, opts...)
		},
	})
	app := &argocd.Application{}
	app.Namespace, app.Name = ns, "web"
	w := &writeback.ArgoCDWriter{Client: c}
	res := w.Apply(ctx, []updater.Decision{update(t, app, "reg.example/web", target.Manifest{Kind: target.KindHelm, HelmName: "web.repo", HelmTag: "web.tag"}, -1, "1.2.3")})
	if len(res) != 1 || res[0].Err != nil || res[0].Attempts != 2 {
		t.Fatalf("result %+v", res)
	}
	got := getApp(t, env.Client, ns, "web")
	if field(t, got, "spec", "source", "targetRevision") != "rev-2" {
		t.Errorf("concurrent edit lost: %v", got.Object["spec"])
	}
	if field(t, got, "spec", "syncPolicy") == nil || field(t, got, "spec", "source", "helm", "fileParameters") == nil {
		t.Errorf("unknown fields lost: %v", got.Object["spec"])
	}
	want := []any{
		map[string]any{"name": "replicas", "value": "3"},
		map[string]any{"name": "web.repo", "value": "reg.example/web", "forceString": true},
		map[string]any{"name": "web.tag", "value": "1.2.3", "forceString": true},
	}
	if params := field(t, got, "spec", "source", "helm", "parameters"); !reflect.DeepEqual(params, want) {
		t.Errorf("parameters %#v", params)
	}
}

func TestArgoCDWriteBackKustomizePluginMultiSource(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	createUnstructured(t, env, ns, "multi", map[string]any{"sources": []any{
		map[string]any{"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0",
			"helm": map[string]any{"parameters": []any{map[string]any{"name": "image.tag", "value": "1.0.0"}}}},
		map[string]any{"repoURL": "https://git.example/k.git", "path": "k",
			"kustomize": map[string]any{"images": []any{"redis:7", "reg.example/db:1.0"}, "commonLabels": map[string]any{"a": "b"}}},
		map[string]any{"repoURL": "https://git.example/p.git", "path": "p",
			"plugin": map[string]any{"name": "render", "env": []any{map[string]any{"name": "KEEP", "value": "x"}}}},
	}})
	app := &argocd.Application{}
	app.Namespace, app.Name = ns, "multi"
	w := &writeback.ArgoCDWriter{Client: env.Client}
	res := w.Apply(ctx, []updater.Decision{
		update(t, app, "reg.example/web", target.Manifest{Kind: target.KindHelm}, 0, "1.1.0"),
		update(t, app, "reg.example/db", target.Manifest{Kind: target.KindKustomize}, 1, "1.5"),
		update(t, app, "reg.example/cache", target.Manifest{Kind: target.KindPlugin, PluginSpec: "CACHE_IMAGE"}, 2, "9"),
	})
	if len(res) != 1 || res[0].Err != nil || len(res[0].Applied) != 3 {
		t.Fatalf("result %+v", res)
	}
	got := getApp(t, env.Client, ns, "multi")
	sources := field(t, got, "spec", "sources").([]any)
	helm := sources[0].(map[string]any)["helm"].(map[string]any)["parameters"]
	wantHelm := []any{
		map[string]any{"name": "image.tag", "value": "1.1.0", "forceString": true},
		map[string]any{"name": "image.name", "value": "reg.example/web", "forceString": true},
	}
	if !reflect.DeepEqual(helm, wantHelm) {
		t.Errorf("helm %#v", helm)
	}
	k := sources[1].(map[string]any)["kustomize"].(map[string]any)
	if !reflect.DeepEqual(k["images"], []any{"redis:7", "reg.example/db:1.5"}) || k["commonLabels"] == nil {
		t.Errorf("kustomize %#v", k)
	}
	env2 := sources[2].(map[string]any)["plugin"].(map[string]any)["env"]
	if !reflect.DeepEqual(env2, []any{map[string]any{"name": "KEEP", "value": "x"}, map[string]any{"name": "CACHE_IMAGE", "value": "reg.example/cache:9"}}) {
		t.Errorf("plugin env %#v", env2)
	}
}
