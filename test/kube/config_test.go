package kube

import (
	"context"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// config/default and the overlays are tested in test/install.

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
