package install

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/test/infra"
)

// overlays are the kustomizations a user applies (kubectl apply -k).
var overlays = []string{"default", "overlays/cluster-secrets", upstreamLayout}

// kustomizeBuild builds config/dir the way `kubectl kustomize` does.
func kustomizeBuild(dir string) ([]*unstructured.Unstructured, error) {
	path := filepath.Join(infra.KubeRepoRoot(), "config", dir)
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), path)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", path, err)
	}
	data, err := resMap.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", path, err)
	}
	return infra.KubeDecodeYAML(data)
}

func mustKustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kustomizeBuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// chartRelease names a rendering of the chart.
type chartRelease struct {
	name, namespace string
	values          string // YAML, as in a values file
}

// renderChart renders charts/imagepilot as `helm install` would: values
// validated against values.schema.json, templates rendered, with lookups
// answered by the API server behind cfg (nil: no cluster, as helm
// template). Objects come in Helm's install order by kind.
func renderChart(r chartRelease, cfg *rest.Config) ([]*unstructured.Unstructured, error) {
	ch, err := loader.Load(filepath.Join(infra.KubeRepoRoot(), "charts", "imagepilot"))
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	user := map[string]any{}
	if err := yaml.Unmarshal([]byte(r.values), &user); err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	vals, err := chartutil.ToRenderValues(ch, user, common.ReleaseOptions{Name: r.name, Namespace: r.namespace, IsInstall: true, Revision: 1}, common.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	eng := engine.Engine{}
	if cfg != nil {
		eng = engine.New(cfg)
	}
	eng.Strict = true
	out, err := eng.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(out))
	for name := range out {
		if strings.HasSuffix(name, ".yaml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var objs []*unstructured.Unstructured
	for _, name := range names {
		docs, err := infra.KubeDecodeYAML([]byte(out[name]))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		objs = append(objs, docs...)
	}
	sort.SliceStable(objs, func(i, j int) bool { return kindOrder(objs[i].GetKind()) < kindOrder(objs[j].GetKind()) })
	return objs, nil
}

// kindOrder puts definitions and namespaced prerequisites first, as Helm's
// install order does.
func kindOrder(kind string) int {
	for i, k := range []string{"CustomResourceDefinition", "ServiceAccount", "Secret", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service"} {
		if k == kind {
			return i
		}
	}
	return 100
}

func mustChart(t *testing.T, r chartRelease) []*unstructured.Unstructured {
	t.Helper()
	objs, err := renderChart(r, nil)
	if err != nil {
		t.Fatalf("render chart with values %q: %v", r.values, err)
	}
	return objs
}

// key is Kind/namespace/name.
func key(o *unstructured.Unstructured) string {
	return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func kinds(objs []*unstructured.Unstructured) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.GetKind()]++
	}
	return m
}

// rule is one RBAC rule, flattened for comparison.
type rule struct {
	groups, resources, verbs []string
}

func rules(t *testing.T, o *unstructured.Unstructured) []rule {
	t.Helper()
	raw, _, _ := unstructured.NestedSlice(o.Object, "rules")
	var out []rule
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("%s: rule %v is not an object", key(o), r)
		}
		strs := func(f string) []string {
			s, _, _ := unstructured.NestedStringSlice(m, f)
			return s
		}
		out = append(out, rule{groups: strs("apiGroups"), resources: strs("resources"), verbs: strs("verbs")})
	}
	return out
}

// verbsOn returns the verbs objs' (Cluster)Roles grant on resource of group,
// by role name.
func verbsOn(t *testing.T, objs []*unstructured.Unstructured, group, resource string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, o := range objs {
		if o.GetKind() != "ClusterRole" && o.GetKind() != "Role" {
			continue
		}
		for _, r := range rules(t, o) {
			if contains(r.groups, group) && contains(r.resources, resource) {
				name := o.GetKind() + "/" + o.GetName()
				out[name] = append(out[name], r.verbs...)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s || v == "*" {
			return true
		}
	}
	return false
}
