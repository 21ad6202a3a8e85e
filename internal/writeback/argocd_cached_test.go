package writeback

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	argocd "github.com/imagepilot/imagepilot/api/argocd/v1alpha1"
	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// TestArgoCDWriterApplyCached checks that a held object is patched without
// a read, and that a stale one (another writer changed it since) costs one
// read and a second patch, keeping the other writer's change.
func TestArgoCDWriterApplyCached(t *testing.T) {
	for name, tc := range map[string]struct {
		stale              bool
		wantGets, wantPats int
	}{
		"fresh cached object": {stale: false, wantGets: 0, wantPats: 1},
		"stale cached object": {stale: true, wantGets: 1, wantPats: 2},
	} {
		t.Run(name, func(t *testing.T) {
			obj := appObject(map[string]any{"project": "default", "destination": map[string]any{}, "source": map[string]any{"repoURL": "r", "helm": map[string]any{}}})
			gets, patches := 0, 0
			c := newFakeClient(t, interceptor.Funcs{
				Get: func(ctx context.Context, cl client.WithWatch, k client.ObjectKey, o client.Object, opts ...client.GetOption) error {
					gets++
					return cl.Get(ctx, k, o, opts...)
				},
				Patch: func(ctx context.Context, cl client.WithWatch, o client.Object, p client.Patch, opts ...client.PatchOption) error {
					patches++
					return cl.Patch(ctx, o, p, opts...)
				},
			}, obj)
			key := types.NamespacedName{Namespace: "argocd", Name: "app"}
			var cached argocd.Application
			if err := c.Get(context.Background(), key, &cached); err != nil {
				t.Fatal(err)
			}
			if tc.stale {
				u := &unstructured.Unstructured{}
				u.SetGroupVersionKind(argocd.GroupVersion.WithKind("Application"))
				if err := c.Get(context.Background(), key, u); err != nil {
					t.Fatal(err)
				}
				if err := unstructured.SetNestedField(u.Object, "ops", "spec", "project"); err != nil {
					t.Fatal(err)
				}
				if err := c.Update(context.Background(), u); err != nil {
					t.Fatal(err)
				}
			}
			gets, patches = 0, 0
			w := &ArgoCDWriter{Client: c}
			ref := target.AppRef{Namespace: "argocd", Name: "app"}
			res := w.ApplyCached(context.Background(), []updater.Decision{decision(t, "nginx", target.Manifest{Kind: target.KindHelm}, -1, "1.2")},
				map[target.AppRef]*argocd.Application{ref: &cached})
			if len(res) != 1 || res[0].Err != nil || !res[0].Changed {
				t.Fatalf("results: %+v", res)
			}
			if gets != tc.wantGets || patches != tc.wantPats {
				t.Fatalf("gets=%d patches=%d, want %d and %d", gets, patches, tc.wantGets, tc.wantPats)
			}
			var got argocd.Application
			if err := c.Get(context.Background(), key, &got); err != nil {
				t.Fatal(err)
			}
			wantProject := map[bool]string{false: "default", true: "ops"}[tc.stale]
			if got.Spec.Project != wantProject || len(got.Spec.Source.Helm.Parameters) != 2 || got.Spec.Source.Helm.Parameters[1].Value != "1.2" {
				t.Fatalf("spec: %+v %+v", got.Spec, got.Spec.Source.Helm)
			}
		})
	}
}
