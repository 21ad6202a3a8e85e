package kube

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/imagepilot/imagepilot/test/infra"
)

// renderKustomization builds a kustomization directory under config/ the
// way `kubectl kustomize` does.
func renderKustomization(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	path := filepath.Join(infra.KubeRepoRoot(), "config", dir)
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), path)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", path, err)
	}
	data, err := resMap.AsYaml()
	if err != nil {
		t.Fatalf("render %s: %v", path, err)
	}
	objs, err := infra.KubeDecodeYAML(data)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return objs
}

func TestConfigDefaultRendersExpectedObjects(t *testing.T) {
	objs := renderKustomization(t, "default")
	want := map[string]bool{
		"CustomResourceDefinition/imageupdaters.argocd-image-updater.argoproj.io": false,
		"ServiceAccount/imagepilot":              false,
		"ClusterRole/imagepilot":                 false,
		"ClusterRoleBinding/imagepilot":          false,
		"Role/imagepilot-leader-election":        false,
		"RoleBinding/imagepilot-leader-election": false,
		"ConfigMap/argocd-image-updater-config":  false,
		"Deployment/imagepilot":                  false,
		"Service/imagepilot-metrics":             false,
	}
	for _, o := range objs {
		key := o.GetKind() + "/" + o.GetName()
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected object %s", key)
		}
		want[key] = true
		switch o.GetKind() {
		case "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding":
		default:
			if o.GetNamespace() != "argocd" {
				t.Errorf("%s in namespace %q, want argocd", key, o.GetNamespace())
			}
		}
	}
	for key, seen := range want {
		if !seen {
			t.Errorf("missing %s", key)
		}
	}
}

// TestConfigDefaultAcceptedByAPIServer sends every object of config/default
// to a real API server with server-side apply in dry-run mode.
func TestConfigDefaultAcceptedByAPIServer(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}
	if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace argocd: %v", err)
	}
	for _, obj := range renderKustomization(t, "default") {
		t.Run(obj.GetKind()+"/"+obj.GetName(), func(t *testing.T) {
			if err := env.Apply(ctx, obj, client.DryRunAll); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestConfigSamplesAcceptedByAPIServer applies config/samples as a user
// would (kubectl apply -k config/samples -n NS), for real.
func TestConfigSamplesAcceptedByAPIServer(t *testing.T) {
	env := infra.StartKube(t)
	ns := env.Namespace(t)
	objs := renderKustomization(t, "samples")
	if len(objs) < 4 {
		t.Fatalf("config/samples rendered %d objects", len(objs))
	}
	for _, obj := range objs {
		obj.SetNamespace(ns)
		if err := env.Apply(context.Background(), obj); err != nil {
			t.Error(err)
		}
	}
}
