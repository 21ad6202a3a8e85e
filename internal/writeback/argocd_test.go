package writeback

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

func appObject(spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": "app", "namespace": "argocd"},
		"spec":     spec,
	}}
	return u
}

func decision(t *testing.T, image string, m target.Manifest, index int, tag string) updater.Decision {
	t.Helper()
	spec, err := imagespec.Parse(image)
	if err != nil {
		t.Fatal(err)
	}
	return updater.Decision{
		Item: updater.Item{Target: target.Target{
			App: target.AppRef{Namespace: "argocd", Name: "app"}, Image: spec, Manifest: m,
			WriteBack: target.WriteBack{Method: target.MethodArgoCD}, Source: target.Source{Index: index},
		}},
		Action: updater.ActionUpdate, NewTag: tag,
	}
}

func TestSetImage(t *testing.T) {
	for name, tc := range map[string]struct {
		spec map[string]any
		d    func(t *testing.T) updater.Decision
		path []string
		want any
	}{
		"helm merges by name": {
			spec: map[string]any{"source": map[string]any{"repoURL": "r", "helm": map[string]any{"parameters": []any{
				map[string]any{"name": "other", "value": "x"},
				map[string]any{"name": "web.tag", "value": "1.0", "keep": "me"},
			}}}},
			d: func(t *testing.T) updater.Decision {
				return decision(t, "reg.example/web", target.Manifest{Kind: target.KindHelm, HelmName: "web.repo", HelmTag: "web.tag"}, -1, "1.1")
			},
			path: []string{"spec", "source", "helm", "parameters"},
			want: []any{
				map[string]any{"name": "other", "value": "x"},
				map[string]any{"name": "web.tag", "value": "1.1", "keep": "me", "forceString": true},
				map[string]any{"name": "web.repo", "value": "reg.example/web", "forceString": true},
			},
		},
		"helm spec param creates helm block": {
			spec: map[string]any{"source": map[string]any{"repoURL": "r"}},
			d: func(t *testing.T) updater.Decision {
				return decision(t, "reg.example/web", target.Manifest{Kind: target.KindHelm, HelmSpec: "image"}, -1, "2.0")
			},
			path: []string{"spec", "source", "helm", "parameters"},
			want: []any{map[string]any{"name": "image", "value": "reg.example/web:2.0", "forceString": true}},
		},
		"kustomize replaces same image": {
			spec: map[string]any{"sources": []any{
				map[string]any{"repoURL": "a"},
				map[string]any{"repoURL": "b", "kustomize": map[string]any{"images": []any{"redis:7", "reg.example/db:1.0"}}},
			}},
			d: func(t *testing.T) updater.Decision {
				return decision(t, "reg.example/db", target.Manifest{Kind: target.KindKustomize}, 1, "1.2")
			},
			path: []string{"spec", "sources"},
			want: []any{
				map[string]any{"repoURL": "a"},
				map[string]any{"repoURL": "b", "kustomize": map[string]any{"images": []any{"redis:7", "reg.example/db:1.2"}}},
			},
		},
		"kustomize orig name": {
			spec: map[string]any{"source": map[string]any{"kustomize": map[string]any{}}},
			d: func(t *testing.T) updater.Decision {
				return decision(t, "reg.example/db", target.Manifest{Kind: target.KindKustomize, KustomizeName: "db"}, -1, "1.2")
			},
			path: []string{"spec", "source", "kustomize", "images"},
			want: []any{"db=reg.example/db:1.2"},
		},
		"plugin env": {
			spec: map[string]any{"source": map[string]any{"plugin": map[string]any{"name": "p", "env": []any{map[string]any{"name": "A", "value": "a"}}}}},
			d: func(t *testing.T) updater.Decision {
				return decision(t, "reg.example/db", target.Manifest{Kind: target.KindPlugin, PluginName: "IMG", PluginTag: "TAG"}, -1, "3")
			},
			path: []string{"spec", "source", "plugin", "env"},
			want: []any{
				map[string]any{"name": "A", "value": "a"},
				map[string]any{"name": "IMG", "value": "reg.example/db"},
				map[string]any{"name": "TAG", "value": "3"},
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			obj := appObject(tc.spec)
			if err := setImage(obj.Object, tc.d(t)); err != nil {
				t.Fatal(err)
			}
			got, _, _ := unstructured.NestedFieldNoCopy(obj.Object, tc.path...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestSetImageErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		spec  map[string]any
		index int
		m     target.Manifest
	}{
		"no source":       {map[string]any{}, -1, target.Manifest{}},
		"index too large": {map[string]any{"sources": []any{map[string]any{}}}, 3, target.Manifest{}},
		"plugin no names": {map[string]any{"source": map[string]any{}}, -1, target.Manifest{Kind: target.KindPlugin}},
		"helm not object": {map[string]any{"source": map[string]any{"helm": "x"}}, -1, target.Manifest{Kind: target.KindHelm}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := setImage(appObject(tc.spec).Object, decision(t, "nginx", tc.m, tc.index, "1")); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func newFakeClient(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := argocd.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return interceptor.NewClient(fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build(), funcs)
}

func TestArgoCDWriterRetriesOnConflict(t *testing.T) {
	obj := appObject(map[string]any{"project": "default", "destination": map[string]any{}, "source": map[string]any{"repoURL": "r", "helm": map[string]any{}}})
	edited := false
	var c client.Client
	c = newFakeClient(t, interceptor.Funcs{
		Patch: func(ctx context.Context, cl client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
			if !edited {
				// Someone else changes the object between our read and patch.
				edited = true
				other := &unstructured.Unstructured{}
				other.SetGroupVersionKind(argocd.GroupVersion.WithKind("Application"))
				if err := cl.Get(ctx, types.NamespacedName{Namespace: "argocd", Name: "app"}, other); err != nil {
					return err
				}
				if err := unstructured.SetNestedField(other.Object, "ops", "spec", "project"); err != nil {
					return err
				}
				if err := cl.Update(ctx, other); err != nil {
					return err
				}
			}
			return cl.Patch(ctx, o, p, opts...)
		},
	}, obj)
	w := &ArgoCDWriter{Client: c}
	res := w.Apply(context.Background(), []updater.Decision{decision(t, "nginx", target.Manifest{Kind: target.KindHelm}, -1, "1.2")})
	if len(res) != 1 || res[0].Err != nil || res[0].Attempts != 2 || !res[0].Changed {
		t.Fatalf("results: %+v", res)
	}
	var app argocd.Application
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "argocd", Name: "app"}, &app); err != nil {
		t.Fatal(err)
	}
	if app.Spec.Project != "ops" || len(app.Spec.Source.Helm.Parameters) != 2 || app.Spec.Source.Helm.Parameters[1].Value != "1.2" {
		t.Fatalf("app spec: %+v %+v", app.Spec, app.Spec.Source.Helm)
	}
}

func TestArgoCDWriterDryRunAndNoChange(t *testing.T) {
	obj := appObject(map[string]any{"source": map[string]any{"repoURL": "r", "helm": map[string]any{"parameters": []any{
		map[string]any{"name": "image.name", "value": "nginx", "forceString": true},
		map[string]any{"name": "image.tag", "value": "1.2", "forceString": true},
	}}}})
	patched := 0
	c := newFakeClient(t, interceptor.Funcs{Patch: func(ctx context.Context, cl client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
		patched++
		return cl.Patch(ctx, o, p, opts...)
	}}, obj)
	d := decision(t, "nginx", target.Manifest{Kind: target.KindHelm}, -1, "1.2")
	if res := (&ArgoCDWriter{Client: c}).Apply(context.Background(), []updater.Decision{d}); res[0].Changed || res[0].Err != nil {
		t.Fatalf("unchanged: %+v", res)
	}
	d.NewTag = "1.3"
	if res := (&ArgoCDWriter{Client: c, DryRun: true}).Apply(context.Background(), []updater.Decision{d}); !res[0].Changed || res[0].Err != nil {
		t.Fatalf("dry run: %+v", res)
	}
	if patched != 0 {
		t.Fatalf("patched %d times", patched)
	}
}
