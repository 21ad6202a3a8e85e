package install

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/imagepilot/imagepilot/test/infra"
)

const (
	// upstreamLayout is the overlay for Argo CD Image Updater v1.x installed
	// in its own namespace.
	upstreamLayout = "overlays/upstream-layout"
	// upstreamNamespace is that namespace.
	upstreamNamespace = "argocd-image-updater-system"
)

// TestUpstreamLayoutObjects: everything in the updater's namespace but the
// Secrets/ConfigMaps Role and its binding, which are in Argo CD's; every
// binding names the service account where it is; the Deployment is told
// Argo CD's namespace, after the user's argocd.namespace key.
func TestUpstreamLayoutObjects(t *testing.T) {
	objs := mustKustomize(t, upstreamLayout)
	for _, o := range objs {
		want := upstreamNamespace
		switch {
		case o.GetName() == "imagepilot-argocd":
			want = "argocd"
		case o.GetKind() == "CustomResourceDefinition" || strings.HasPrefix(o.GetKind(), "Cluster"):
			want = ""
		}
		if o.GetNamespace() != want {
			t.Errorf("%s: namespace %q, want %q", key(o), o.GetNamespace(), want)
		}
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		for _, s := range subjects {
			m := s.(map[string]any)
			if m["kind"] == "ServiceAccount" && (m["name"] != "imagepilot" || m["namespace"] != upstreamNamespace) {
				t.Errorf("%s binds %v, want ServiceAccount %s/imagepilot", key(o), m, upstreamNamespace)
			}
		}
	}
	dep := find(objs, "Deployment", "imagepilot")
	checkOptionalRefs(t, dep, "argocd-image-updater-config")
	env := containerEnv(t, dep)
	user := slices.IndexFunc(env, func(e map[string]any) bool { return e["name"] == "ARGOCD_NAMESPACE" })
	fallback := slices.IndexFunc(env, func(e map[string]any) bool { return e["name"] == "IMAGE_UPDATER_ARGOCD_NAMESPACE" })
	if user < 0 || fallback < 0 || env[fallback]["value"] != "argocd" {
		t.Fatalf("env %v: want ARGOCD_NAMESPACE from the ConfigMap and IMAGE_UPDATER_ARGOCD_NAMESPACE=argocd", env)
	}
	// The overlay adds nothing else to what config/default ships.
	def := mustKustomize(t, "default")
	if len(def) != len(objs) {
		t.Errorf("%d objects, config/default has %d", len(objs), len(def))
	}
}

// containerEnv returns the env of the Deployment's first container.
func containerEnv(t *testing.T, dep *unstructured.Unstructured) []map[string]any {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if len(containers) == 0 {
		t.Fatalf("%s has no containers", key(dep))
	}
	raw, _, _ := unstructured.NestedSlice(containers[0].(map[string]any), "env")
	var out []map[string]any
	for _, e := range raw {
		out = append(out, e.(map[string]any))
	}
	return out
}

// referencedKeys returns the ConfigMap and Secret keys the Deployment's
// env and volumes read, as "Kind/name:key" ("Kind/name:*" for a volume of
// every key).
func referencedKeys(t *testing.T, dep *unstructured.Unstructured) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	for _, e := range containerEnv(t, dep) {
		if ref, ok, _ := unstructured.NestedMap(e, "valueFrom", "configMapKeyRef"); ok {
			keys[fmt.Sprintf("ConfigMap/%v:%v", ref["name"], ref["key"])] = true
		}
		if ref, ok, _ := unstructured.NestedMap(e, "valueFrom", "secretKeyRef"); ok {
			keys[fmt.Sprintf("Secret/%v:%v", ref["name"], ref["key"])] = true
		}
	}
	vols, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "volumes")
	for _, v := range vols {
		vm := v.(map[string]any)
		for _, src := range []struct{ field, kind, nameKey string }{{"configMap", "ConfigMap", "name"}, {"secret", "Secret", "secretName"}} {
			m, ok, _ := unstructured.NestedMap(vm, src.field)
			if !ok {
				continue
			}
			items, _ := m["items"].([]any)
			if len(items) == 0 {
				keys[fmt.Sprintf("%s/%v:*", src.kind, m[src.nameKey])] = true // every key
			}
			for _, it := range items {
				keys[fmt.Sprintf("%s/%v:%v", src.kind, m[src.nameKey], it.(map[string]any)["key"])] = true
			}
		}
	}
	return keys
}

// TestUpstreamLayoutOverUpstreamInstall installs config/overlays/
// upstream-layout for real (server-side apply) over an Argo CD Image
// Updater v1.3 install in argocd-image-updater-system with Argo CD in
// argocd: the user's registries.conf, other ConfigMap keys and webhook
// Secret stay byte for byte; the Deployment the API server stored reads
// every one of their keys, in its own namespace; and the API server's
// authorizer gives its service account what it needs where it needs it.
func TestUpstreamLayoutOverUpstreamInstall(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	ensureNamespace(t, env, "argocd")
	ensureNamespace(t, env, upstreamNamespace)
	before := upstreamInstall(t, env, upstreamNamespace)
	if !strings.Contains(fmt.Sprint(before["ConfigMap/argocd-image-updater-config"]), "registry.example.com") {
		t.Fatalf("fixture lacks registries.conf: %v", before)
	}
	for _, obj := range mustKustomize(t, upstreamLayout) {
		if err := env.Apply(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if after := userData(t, env, upstreamNamespace); !reflect.DeepEqual(before, after) {
		t.Errorf("install changed the user's configuration:\nbefore %v\n after %v", before, after)
	}

	// The Deployment as stored reads the user's objects in its namespace.
	dep := &unstructured.Unstructured{}
	dep.SetAPIVersion("apps/v1")
	dep.SetKind("Deployment")
	if err := env.Client.Get(ctx, types.NamespacedName{Namespace: upstreamNamespace, Name: "imagepilot"}, dep); err != nil {
		t.Fatal(err)
	}
	checkOptionalRefs(t, dep, "argocd-image-updater-config")
	refs := referencedKeys(t, dep)
	for k, data := range before {
		if refs[k+":*"] {
			continue // mounted whole (the SSH config)
		}
		m, _ := data.(map[string]any)
		for field := range m {
			if !refs[k+":"+field] {
				t.Errorf("the Deployment does not read %s key %q", k, field)
			}
		}
	}
	var argocdNS string
	for _, e := range containerEnv(t, dep) {
		if e["name"] == "IMAGE_UPDATER_ARGOCD_NAMESPACE" {
			argocdNS, _ = e["value"].(string)
		}
	}
	if argocdNS != "argocd" {
		t.Errorf("stored Deployment names Argo CD's namespace %q, want argocd", argocdNS)
	}

	sa := "system:serviceaccount:" + upstreamNamespace + ":imagepilot"
	for _, c := range []struct {
		verb, group, resource, namespace string
		want                             bool
	}{
		{"list", "", "secrets", "argocd", true},
		{"get", "", "configmaps", "argocd", true},
		{"watch", "", "secrets", "argocd", false},
		{"get", "", "secrets", upstreamNamespace, false},
		{"get", "", "secrets", "team-a", false},
		{"patch", "argoproj.io", "applications", "argocd", true},
		{"update", "argoproj.io", "applications", "argocd", false},
		{"list", "argocd-image-updater.argoproj.io", "imageupdaters", upstreamNamespace, true},
		{"patch", "argocd-image-updater.argoproj.io", "imageupdaters/status", upstreamNamespace, true},
		{"create", "coordination.k8s.io", "leases", upstreamNamespace, true},
		{"create", "coordination.k8s.io", "leases", "argocd", false},
	} {
		got, err := allowed(ctx, env, sa, c.verb, c.group, c.resource, c.namespace, c.want)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %s/%s in %s: allowed=%v, want %v", c.verb, c.group, c.resource, c.namespace, got, c.want)
		}
	}
}
