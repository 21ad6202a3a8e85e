package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/imagepilot/imagepilot/test/infra"
)

// ensureNamespace creates namespace name unless it exists.
func ensureNamespace(t *testing.T, env *infra.KubeEnv, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
}

// notServed are kinds whose CRDs this API server does not have (the
// Prometheus Operator's); their shape is checked in TestChartValueSets.
var notServed = map[string]bool{"ServiceMonitor": true}

// TestKustomizeAcceptedByAPIServer sends every object of every overlay to a
// real API server with server-side apply in dry-run mode.
func TestKustomizeAcceptedByAPIServer(t *testing.T) {
	env := infra.StartKube(t)
	ensureNamespace(t, env, "argocd")
	ensureNamespace(t, env, upstreamNamespace)
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			for _, obj := range mustKustomize(t, dir) {
				if err := env.Apply(context.Background(), obj, client.DryRunAll); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestChartAcceptedByAPIServer renders the chart with every value set,
// lookups answered by the API server, and dry-runs the result there.
func TestChartAcceptedByAPIServer(t *testing.T) {
	env := infra.StartKube(t)
	ensureNamespace(t, env, "argocd-elsewhere")
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			ns := env.Namespace(t)
			objs, err := renderChart(chartRelease{name: "ip", namespace: ns, values: vs.values}, env.Config)
			if err != nil {
				t.Fatal(err)
			}
			for _, obj := range objs {
				if notServed[obj.GetKind()] {
					continue
				}
				helmNamespace(t, env, obj, ns)
				if err := env.Apply(context.Background(), obj, client.DryRunAll); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// helmNamespace puts a namespaced object without a namespace into the
// release's, as Helm does.
func helmNamespace(t *testing.T, env *infra.KubeEnv, obj *unstructured.Unstructured, ns string) {
	t.Helper()
	namespaced, err := env.Client.IsObjectNamespaced(obj)
	if err != nil {
		t.Fatalf("scope of %s: %v", key(obj), err)
	}
	if namespaced && obj.GetNamespace() == "" {
		obj.SetNamespace(ns)
	}
}

// upstreamInstall creates the fixture of an Argo CD Image Updater v1.3
// install in ns and returns its ConfigMaps' and Secret's data as stored.
func upstreamInstall(t *testing.T, env *infra.KubeEnv, ns string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "upstream-v1.3", "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := infra.KubeDecodeYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		o.SetNamespace(ns)
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatalf("create %s: %v", key(o), err)
		}
	}
	return userData(t, env, ns)
}

// userData reads the data of the user's objects in ns.
func userData(t *testing.T, env *infra.KubeEnv, ns string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, k := range []struct{ kind, name string }{
		{"ConfigMap", "argocd-image-updater-config"},
		{"ConfigMap", "argocd-image-updater-ssh-config"},
		{"Secret", "argocd-image-updater-secret"},
	} {
		o := &unstructured.Unstructured{}
		o.SetAPIVersion("v1")
		o.SetKind(k.kind)
		if err := env.Client.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: k.name}, o); err != nil {
			t.Fatalf("read %s %s/%s: %v", k.kind, ns, k.name, err)
		}
		out[k.kind+"/"+k.name] = o.Object["data"]
	}
	return out
}

// TestInstallOverUpstreamKeepsUserConfiguration installs config/default for
// real over an Argo CD Image Updater v1.3 install in argocd (as `kubectl
// apply --server-side -k config/default` would) and checks the user's
// registries.conf, other keys and webhook secrets are untouched; then the
// RBAC it created is asked what the controller may do.
func TestInstallOverUpstreamKeepsUserConfiguration(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	ns := "upstream-argocd"
	ensureNamespace(t, env, ns)
	before := upstreamInstall(t, env, ns)
	if !strings.Contains(fmt.Sprint(before["ConfigMap/argocd-image-updater-config"]), "registry.example.com") {
		t.Fatalf("fixture lacks registries.conf: %v", before)
	}
	sa := "system:serviceaccount:" + ns + ":imagepilot"
	for _, dir := range overlays {
		if dir == upstreamLayout {
			continue // its own namespaces: TestUpstreamLayoutOverUpstreamInstall
		}
		t.Run(dir, func(t *testing.T) {
			for _, obj := range mustKustomize(t, dir) {
				retarget(obj, "argocd", ns)
				if err := env.Apply(ctx, obj); err != nil {
					t.Fatal(err)
				}
			}
			if after := userData(t, env, ns); !reflect.DeepEqual(before, after) {
				t.Errorf("install changed the user's configuration:\nbefore %v\n after %v", before, after)
			}
			// The RBAC just applied, as the API server's authorizer sees it.
			optIn := dir == "overlays/cluster-secrets"
			checks := []struct {
				verb, group, resource, namespace string
				allowed                          bool
			}{
				{"patch", "argoproj.io", "applications", "team-a", true},
				{"watch", "argoproj.io", "applications", "team-a", true},
				{"update", "argoproj.io", "applications", "team-a", false},
				{"delete", "argoproj.io", "applications", "team-a", false},
				{"list", "argocd-image-updater.argoproj.io", "imageupdaters", "team-a", true},
				{"patch", "argocd-image-updater.argoproj.io", "imageupdaters", "team-a", false},
				{"list", "", "secrets", ns, true},
				{"watch", "", "secrets", ns, false},
				{"get", "", "configmaps", ns, true},
				{"update", "", "configmaps", ns, false},
				{"get", "", "secrets", "team-a", optIn},
				{"list", "", "secrets", "team-a", false},
				{"get", "", "configmaps", "team-a", false},
			}
			for _, c := range checks {
				name := fmt.Sprintf("%s %s/%s in %s", c.verb, c.group, c.resource, c.namespace)
				got, err := allowed(ctx, env, sa, c.verb, c.group, c.resource, c.namespace, c.allowed)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got != c.allowed {
					t.Errorf("%s: allowed=%v, want %v", name, got, c.allowed)
				}
			}
		})
	}
}

// retarget moves an object of config/default (made for namespace from)
// into namespace to, subjects included.
func retarget(obj *unstructured.Unstructured, from, to string) {
	if obj.GetNamespace() == from {
		obj.SetNamespace(to)
	}
	subjects, ok, _ := unstructured.NestedSlice(obj.Object, "subjects")
	if !ok {
		return
	}
	for _, s := range subjects {
		if m, ok := s.(map[string]any); ok && m["namespace"] == from {
			m["namespace"] = to
		}
	}
	_ = unstructured.SetNestedSlice(obj.Object, subjects, "subjects")
}

// allowed asks the API server whether user may verb the resource; RBAC
// changes reach the authorizer through a watch, so it asks again for a few
// seconds while the answer differs from want.
func allowed(ctx context.Context, env *infra.KubeEnv, user, verb, group, resource, ns string, want bool) (bool, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               user,
			Groups:             []string{"system:serviceaccounts", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Namespace: ns},
		}}
		if err := env.Client.Create(ctx, sar); err != nil {
			return false, err
		}
		if sar.Status.Allowed == want || time.Now().After(deadline) {
			return sar.Status.Allowed, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestChartOverUpstreamKeepsUserConfiguration installs the chart over an
// Argo CD Image Updater v1.3 install: with values that set no
// configuration it renders no ConfigMap and leaves the user's as they were;
// with configuration it refuses to replace a ConfigMap it does not own and
// says what to do; a ConfigMap of its own release it renders again.
func TestChartOverUpstreamKeepsUserConfiguration(t *testing.T) {
	env := infra.StartKube(t)
	ctx := context.Background()
	ns := env.Namespace(t)
	before := upstreamInstall(t, env, ns)

	// Upstream v1.x's layout: the updater's own namespace, Argo CD's apart.
	ensureNamespace(t, env, "argocd-elsewhere")
	objs, err := renderChart(chartRelease{name: "over", namespace: ns, values: "argocdNamespace: argocd-elsewhere\n"}, env.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		if userObjects[obj.GetKind()+"/"+obj.GetName()] {
			t.Errorf("renders %s over the user's", key(obj))
		}
		helmNamespace(t, env, obj, ns)
		if err := env.Apply(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if after := userData(t, env, ns); !reflect.DeepEqual(before, after) {
		t.Errorf("install changed the user's configuration:\nbefore %v\n after %v", before, after)
	}
	sa := "system:serviceaccount:" + ns + ":over-imagepilot"
	for _, c := range []struct {
		verb, resource, namespace string
		want                      bool
	}{
		{"list", "secrets", "argocd-elsewhere", true},
		{"get", "configmaps", "argocd-elsewhere", true},
		{"get", "secrets", ns, false},
		{"get", "secrets", "team-a", false},
	} {
		got, err := allowed(ctx, env, sa, c.verb, "", c.resource, c.namespace, c.want)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %s in %s: allowed=%v, want %v", c.verb, c.resource, c.namespace, got, c.want)
		}
	}

	for _, values := range []string{
		"config:\n  registries:\n  - api_url: https://ghcr.io\n    prefix: ghcr.io\n",
		"config:\n  sshConfig:\n    config: 'Host *'\n",
	} {
		_, err = renderChart(chartRelease{name: "over", namespace: ns, values: values}, env.Config)
		if err == nil || !strings.Contains(err.Error(), "exists and is not part of release over") {
			t.Errorf("values %q over a foreign ConfigMap: error %v, want a refusal naming it", values, err)
		}
	}

	// A ConfigMap the release made itself is rendered (upgrade).
	own := env.Namespace(t)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-image-updater-config", Namespace: own,
		Annotations: map[string]string{"meta.helm.sh/release-name": "mine", "meta.helm.sh/release-namespace": own}}}
	if err := env.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	objs, err = renderChart(chartRelease{name: "mine", namespace: own, values: "config:\n  log.level: debug\n"}, env.Config)
	if err != nil {
		t.Fatalf("upgrade of the release's own ConfigMap: %v", err)
	}
	if find(objs, "ConfigMap", "argocd-image-updater-config") == nil {
		t.Error("own ConfigMap not rendered on upgrade")
	}
}
