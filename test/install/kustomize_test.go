package install

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// userObjects are the objects an Argo CD Image Updater user already has and
// fills in; an install must never contain them.
var userObjects = map[string]bool{
	"ConfigMap/argocd-image-updater-config":     true,
	"ConfigMap/argocd-image-updater-ssh-config": true,
	"Secret/argocd-image-updater-secret":        true,
	"Secret/argocd-image-updater-tls":           true,
}

func TestKustomizeOverlaysShipNoUserConfiguration(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			for _, o := range mustKustomize(t, dir) {
				if userObjects[o.GetKind()+"/"+o.GetName()] {
					t.Errorf("%s ships %s, which would replace the user's", dir, key(o))
				}
				if o.GetKind() == "Secret" {
					t.Errorf("%s ships Secret %s", dir, key(o))
				}
			}
		})
	}
}

func TestKustomizeDefaultObjects(t *testing.T) {
	want := []string{
		"CustomResourceDefinition//imageupdaters.argocd-image-updater.argoproj.io",
		"ServiceAccount/argocd/imagepilot",
		"ClusterRole//imagepilot",
		"ClusterRoleBinding//imagepilot",
		"ClusterRole//imagepilot-imageupdaters-view",
		"ClusterRole//imagepilot-imageupdaters-edit",
		"ClusterRole//imagepilot-metrics-reader",
		"Role/argocd/imagepilot-argocd",
		"RoleBinding/argocd/imagepilot-argocd",
		"Role/argocd/imagepilot-leader-election",
		"RoleBinding/argocd/imagepilot-leader-election",
		"Deployment/argocd/imagepilot",
		"Service/argocd/imagepilot-metrics",
	}
	var got []string
	for _, o := range mustKustomize(t, "default") {
		got = append(got, key(o))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("config/default objects:\n got %v\nwant %v", got, want)
	}
}

// TestKustomizeRBACLeastPrivilege checks what each overlay grants on the
// resources the controller touches: exactly the verbs its code calls
// (applications: get/list/watch by its cache, patch by write-back and
// holds; imageupdaters: read and status patch), Secrets only in the Argo CD
// namespace unless the overlay opts in.
func TestKustomizeRBACLeastPrivilege(t *testing.T) {
	tests := []struct {
		dir               string
		clusterWideSecret []string
	}{
		{dir: "default"},
		{dir: "overlays/cluster-secrets", clusterWideSecret: []string{"get"}},
		{dir: upstreamLayout},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			objs := mustKustomize(t, tt.dir)
			checkVerbs(t, objs, "argoproj.io", "applications", map[string][]string{"ClusterRole/imagepilot": {"get", "list", "watch", "patch"}})
			checkVerbs(t, objs, "argocd-image-updater.argoproj.io", "imageupdaters", map[string][]string{
				"ClusterRole/imagepilot":                    {"get", "list", "watch"},
				"ClusterRole/imagepilot-imageupdaters-view": {"get", "list", "watch"},
				"ClusterRole/imagepilot-imageupdaters-edit": {"create", "update", "patch", "delete", "deletecollection"},
			})
			checkVerbs(t, objs, "argocd-image-updater.argoproj.io", "imageupdaters/status", map[string][]string{
				"ClusterRole/imagepilot":                    {"get", "patch"},
				"ClusterRole/imagepilot-imageupdaters-view": {"get", "list", "watch"},
			})
			wantSecrets := map[string][]string{"Role/imagepilot-argocd": {"get", "list"}}
			if tt.clusterWideSecret != nil {
				wantSecrets["ClusterRole/imagepilot-secrets-reader"] = tt.clusterWideSecret
			}
			checkVerbs(t, objs, "", "secrets", wantSecrets)
			checkVerbs(t, objs, "", "configmaps", map[string][]string{"Role/imagepilot-argocd": {"get"}})
			role := find(objs, "Role", "imagepilot-argocd")
			if role == nil || role.GetNamespace() != "argocd" {
				t.Fatalf("Role imagepilot-argocd missing or not in argocd")
			}
			view := find(objs, "ClusterRole", "imagepilot-imageupdaters-view")
			for _, agg := range []string{"view", "edit", "admin"} {
				if view.GetLabels()["rbac.authorization.k8s.io/aggregate-to-"+agg] != "true" {
					t.Errorf("view role not aggregated to %s", agg)
				}
			}
			edit := find(objs, "ClusterRole", "imagepilot-imageupdaters-edit")
			if edit.GetLabels()["rbac.authorization.k8s.io/aggregate-to-view"] == "true" {
				t.Error("edit role aggregated to view")
			}
		})
	}
}

// checkVerbs fails unless the roles granting anything on group/resource
// are exactly those of want, each with exactly its verbs.
func checkVerbs(t *testing.T, objs []*unstructured.Unstructured, group, resource string, want map[string][]string) {
	t.Helper()
	got := verbsOn(t, objs, group, resource)
	for name, verbs := range got {
		w, ok := want[name]
		if !ok {
			t.Errorf("%s grants %v on %s %q, which it must not", name, verbs, resource, group)
			continue
		}
		a, b := slices.Clone(verbs), slices.Clone(w)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s grants %v on %s, want %v", name, verbs, resource, w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s grants nothing on %s %q", name, resource, group)
		}
	}
}

// TestKustomizeDeploymentReadsUpstreamKeysOptionally checks that every key
// of the user's ConfigMap and Secret reaches the controller as optional, so
// a missing ConfigMap, Secret or key is no error.
func TestKustomizeDeploymentReadsUpstreamKeysOptionally(t *testing.T) {
	objs := mustKustomize(t, "default")
	checkOptionalRefs(t, find(objs, "Deployment", "imagepilot"), "argocd-image-updater-config")
}

func checkOptionalRefs(t *testing.T, dep *unstructured.Unstructured, configName string) {
	t.Helper()
	if dep == nil {
		t.Fatal("no Deployment")
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	env, _, _ := unstructured.NestedSlice(c, "env")
	keys := map[string]bool{}
	for _, e := range env {
		m := e.(map[string]any)
		for _, src := range []string{"configMapKeyRef", "secretKeyRef"} {
			ref, ok, _ := unstructured.NestedMap(m, "valueFrom", src)
			if !ok {
				continue
			}
			if ref["optional"] != true {
				t.Errorf("env %v: %s %v is not optional", m["name"], src, ref)
			}
			keys[ref["name"].(string)+":"+ref["key"].(string)] = true
		}
	}
	for _, k := range []string{configName + ":interval", configName + ":log.level", configName + ":git.user", "argocd-image-updater-secret:webhook.docker-secret"} {
		if !keys[k] {
			t.Errorf("Deployment does not read %s", k)
		}
	}
	vols, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "volumes")
	found := false
	for _, v := range vols {
		cm, ok, _ := unstructured.NestedMap(v.(map[string]any), "configMap")
		if ok && cm["name"] == configName {
			found = true
			if cm["optional"] != true {
				t.Errorf("ConfigMap volume %s is not optional", configName)
			}
			if !strings.Contains(fmtItems(cm["items"]), "registries.conf") {
				t.Errorf("ConfigMap volume does not mount registries.conf: %v", cm["items"])
			}
		}
	}
	if !found {
		t.Errorf("no volume from ConfigMap %s", configName)
	}
}

func fmtItems(v any) string {
	var b strings.Builder
	items, _ := v.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			b.WriteString(m["key"].(string) + "=" + m["path"].(string) + " ")
		}
	}
	return b.String()
}
