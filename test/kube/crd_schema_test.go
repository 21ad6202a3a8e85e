package kube

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/test/infra"
)

const ourCRDFile = "argocd-image-updater.argoproj.io_imageupdaters.yaml"

func loadYAMLMap(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return m
}

// walkSchema calls visit for every map in the tree with its JSON path.
func walkSchema(node any, path string, visit func(path string, m map[string]any)) {
	switch n := node.(type) {
	case map[string]any:
		visit(path, n)
		for k, v := range n {
			walkSchema(v, path+"."+k, visit)
		}
	case []any:
		for i, v := range n {
			walkSchema(v, path+"["+strconv.Itoa(i)+"]", visit)
		}
	}
}

func TestCRDHasNoDefaultsUnderCommonUpdateSettings(t *testing.T) {
	crd := loadYAMLMap(t, filepath.Join(infra.KubeCRDDir(), ourCRDFile))
	blocks := 0
	walkSchema(crd, "", func(path string, m map[string]any) {
		if !strings.Contains(path, ".commonUpdateSettings") {
			return
		}
		if strings.HasSuffix(path, ".commonUpdateSettings") {
			blocks++
		}
		if _, ok := m["default"]; ok {
			t.Errorf("default at %s", path)
		}
	})
	if blocks != 3 {
		t.Errorf("found %d commonUpdateSettings blocks, want 3 (spec, applicationRef, image)", blocks)
	}
}

// stripKeys removes descriptions everywhere and, under commonUpdateSettings,
// defaults: the two ways our CRD is allowed to differ from upstream's.
func stripKeys(node any, underCommon bool) any {
	switch n := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(n))
		for k, v := range n {
			if k == "description" || (k == "default" && underCommon) {
				continue
			}
			out[k] = stripKeys(v, underCommon || k == "commonUpdateSettings")
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = stripKeys(v, underCommon)
		}
		return out
	default:
		return n
	}
}

func TestCRDSchemaMatchesUpstreamExceptCommonDefaults(t *testing.T) {
	ours := loadYAMLMap(t, filepath.Join(infra.KubeCRDDir(), ourCRDFile))
	upstream := loadYAMLMap(t, filepath.Join("testdata", "upstream-imageupdater-crd-v1.3.0-schema.yaml"))
	checkPullRequestLabels(t, ours)
	checkPullRequestExtensions(t, ours)
	got := stripKeys(ours["spec"], false)
	want := stripKeys(upstream["spec"], false)
	if reflect.DeepEqual(got, want) {
		return
	}
	gotYAML, _ := yaml.Marshal(got)
	wantYAML, _ := yaml.Marshal(want)
	t.Errorf("CRD spec differs from upstream's beyond commonUpdateSettings defaults\n--- ours\n%s\n--- upstream\n%s", gotYAML, wantYAML)
}

// checkPullRequestExtensions asserts imagepilot's additions to both
// pullRequest blocks (the gitea provider, apiURL on every provider, the
// validation rule counting three providers) and removes them, leaving
// upstream v1.3.0's schema.
func checkPullRequestExtensions(t *testing.T, crd map[string]any) {
	t.Helper()
	found := 0
	walkSchema(crd, "", func(path string, m map[string]any) {
		if !strings.HasSuffix(path, ".pullRequest") {
			return
		}
		found++
		props, _ := m["properties"].(map[string]any)
		for _, p := range []string{"github", "gitlab", "gitea"} {
			prov, _ := props[p].(map[string]any)
			pp, _ := prov["properties"].(map[string]any)
			api, _ := pp["apiURL"].(map[string]any)
			if api["type"] != "string" || api["pattern"] != "^https?://" || len(pp) != 1 {
				t.Errorf("%s.%s: %v", path, p, prov)
			}
			delete(prov, "properties")
		}
		delete(props, "gitea")
		rules, _ := m["x-kubernetes-validations"].([]any)
		if len(rules) != 1 {
			t.Errorf("%s: validations %v", path, rules)
			return
		}
		r, _ := rules[0].(map[string]any)
		if r["rule"] != "(has(self.github) ? 1 : 0) + (has(self.gitlab) ? 1 : 0) + (has(self.gitea) ? 1 : 0) == 1" {
			t.Errorf("%s: rule %v", path, r["rule"])
		}
		r["rule"] = "(has(self.github) ? 1 : 0) + (has(self.gitlab) ? 1 : 0) == 1"
		r["message"] = "Exactly one of github or gitlab must be set"
	})
	if found != 2 {
		t.Errorf("found %d pullRequest blocks, want 2", found)
	}
}

// checkPullRequestLabels asserts that both pullRequest blocks (spec and
// applicationRef level) have upstream main's labels field, a list of 1 to
// 100 strings of 1 to 255 characters, and removes it, the one field our CRD
// has beyond upstream v1.3.0's.
func checkPullRequestLabels(t *testing.T, crd map[string]any) {
	t.Helper()
	found := 0
	walkSchema(crd, "", func(path string, m map[string]any) {
		if !strings.HasSuffix(path, ".pullRequest.properties") {
			return
		}
		labels, ok := m["labels"].(map[string]any)
		if !ok {
			t.Errorf("%s: no labels field", path)
			return
		}
		found++
		delete(m, "labels")
		items, _ := labels["items"].(map[string]any)
		if labels["type"] != "array" || labels["maxItems"] != float64(100) || labels["x-kubernetes-list-type"] != "atomic" ||
			items["type"] != "string" || items["minLength"] != float64(1) || items["maxLength"] != float64(255) {
			t.Errorf("%s.labels: %v", path, labels)
		}
	})
	if found != 2 {
		t.Errorf("found labels in %d pullRequest blocks, want 2", found)
	}
}
