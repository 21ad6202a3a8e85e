package install

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestChartServiceAccountTokensOptIn: by default nothing may create
// service account tokens; rbac.serviceAccountTokens grants get and
// create serviceaccounts/token per namespace, only for the names listed.
func TestChartServiceAccountTokensOptIn(t *testing.T) {
	tests := []struct {
		name, values string
		want         map[string][]string // Role namespace/name -> resourceNames
	}{
		{"default", "", map[string][]string{}},
		{"two namespaces", `
rbac:
  serviceAccountTokens:
  - namespace: team-a
    names: [ecr-reader]
  - namespace: team-b
    names: [acr-reader, gar-reader]
`, map[string][]string{"team-a/ip-imagepilot-sa-tokens": {"ecr-reader"}, "team-b/ip-imagepilot-sa-tokens": {"acr-reader", "gar-reader"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := mustChart(t, chartRelease{name: "ip", namespace: "argocd", values: tt.values})
			got := map[string][]string{}
			for _, o := range objs {
				for _, rule := range saRules(o) {
					if !slices.Contains(rule.resources, "serviceaccounts/token") && !slices.Contains(rule.resources, "serviceaccounts") {
						continue
					}
					if o.GetKind() != "Role" {
						t.Errorf("%s/%s grants %v on %v: only namespaced Roles may", o.GetKind(), o.GetName(), rule.verbs, rule.resources)
					}
					wantVerbs := []string{"get"}
					if slices.Contains(rule.resources, "serviceaccounts/token") {
						wantVerbs = []string{"create"}
					}
					if !slices.Equal(rule.verbs, wantVerbs) || len(rule.resources) != 1 {
						t.Errorf("%s grants %v on %v, want %v on one resource", o.GetName(), rule.verbs, rule.resources, wantVerbs)
					}
					got[o.GetNamespace()+"/"+o.GetName()] = rule.names
				}
				if o.GetKind() == "RoleBinding" && strings.HasSuffix(o.GetName(), "-sa-tokens") {
					subj, _, _ := unstructured.NestedSlice(o.Object, "subjects")
					if len(subj) != 1 || subj[0].(map[string]any)["namespace"] != "argocd" {
						t.Errorf("RoleBinding %s/%s subjects %v, want the controller's service account", o.GetNamespace(), o.GetName(), subj)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("roles %v, want %v", got, tt.want)
			}
			for k, names := range tt.want {
				if !slices.Equal(got[k], names) {
					t.Errorf("%s resourceNames %v, want %v", k, got[k], names)
				}
			}
		})
	}
}

func TestChartRejectsBadServiceAccountTokens(t *testing.T) {
	for _, values := range []string{
		"rbac:\n  serviceAccountTokens:\n  - namespace: team-a\n",
		"rbac:\n  serviceAccountTokens:\n  - namespace: team-a\n    names: []\n",
		"rbac:\n  serviceAccountTokens:\n  - names: [x]\n",
	} {
		if _, err := renderChart(chartRelease{name: "ip", namespace: "argocd", values: values}, nil); err == nil || !strings.Contains(err.Error(), "serviceAccountTokens") {
			t.Errorf("values %q: error %v, want one naming serviceAccountTokens", values, err)
		}
	}
}

type rbacRule struct{ resources, verbs, names []string }

func saRules(o *unstructured.Unstructured) []rbacRule {
	raw, _, _ := unstructured.NestedSlice(o.Object, "rules")
	var out []rbacRule
	for _, r := range raw {
		m, _ := r.(map[string]any)
		strs := func(k string) []string {
			var s []string
			v, _ := m[k].([]any)
			for _, x := range v {
				s = append(s, x.(string))
			}
			return s
		}
		out = append(out, rbacRule{resources: strs("resources"), verbs: strs("verbs"), names: strs("resourceNames")})
	}
	return out
}
