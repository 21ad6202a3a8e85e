package install

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/imagepilot/imagepilot/test/infra"
)

// valueSets are the chart renderings tested here and applied to the API
// server in TestChartAcceptedByAPIServer.
var valueSets = []struct {
	name   string
	values string
	// want: kind -> count of objects of that kind.
	want map[string]int
	// check looks at details.
	check func(t *testing.T, objs []*unstructured.Unstructured)
}{
	{
		name: "defaults",
		want: map[string]int{"CustomResourceDefinition": 1, "ServiceAccount": 1, "ClusterRole": 4, "ClusterRoleBinding": 1, "Role": 2, "RoleBinding": 2, "Deployment": 1, "Service": 1, "ConfigMap": 0, "Secret": 0},
		check: func(t *testing.T, objs []*unstructured.Unstructured) {
			crd := find(objs, "CustomResourceDefinition", "imageupdaters.argocd-image-updater.argoproj.io")
			if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
				t.Errorf("CRD annotations %v, want helm.sh/resource-policy: keep", crd.GetAnnotations())
			}
			checkOptionalRefs(t, find(objs, "Deployment", "ip-imagepilot"), "argocd-image-updater-config")
			checkVerbs(t, objs, "argoproj.io", "applications", map[string][]string{"ClusterRole/ip-imagepilot": {"get", "list", "watch", "patch"}})
			checkVerbs(t, objs, "", "secrets", map[string][]string{"Role/ip-imagepilot-argocd": {"get", "list"}})
			checkVerbs(t, objs, "", "configmaps", map[string][]string{"Role/ip-imagepilot-argocd": {"get"}})
		},
	},
	{
		name: "argo-helm values with configuration, other Argo CD namespace, cluster-wide secrets",
		values: `
argocdNamespace: argocd-elsewhere
rbac:
  secretsClusterWide: true
config:
  log.level: debug
  kube.events: false
  git.user: bot
  git.commit-message-template: "bump {{ .AppName }}"
  registries:
  - name: GHCR
    api_url: https://ghcr.io
    prefix: ghcr.io
    credentials: pullsecret:argocd/ghcr
  sshConfig:
    config: |
      Host *
        PubkeyAcceptedAlgorithms +ssh-rsa
authScripts:
  enabled: true
  scripts:
    ecr.sh: |
      #!/bin/sh
      echo user:pass
extraEnv:
- name: AWS_REGION
  value: eu-west-1
volumes:
- name: signing
  secret:
    secretName: signing-key
volumeMounts:
- name: signing
  mountPath: /app/signing
run:
  interval: 1h30m
  logFormat: json
`,
		want: map[string]int{"ConfigMap": 3, "ClusterRole": 5, "ClusterRoleBinding": 2, "Secret": 0},
		check: func(t *testing.T, objs []*unstructured.Unstructured) {
			cm := find(objs, "ConfigMap", "argocd-image-updater-config")
			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			if data["log.level"] != "debug" || data["kube.events"] != "false" || data["git.user"] != "bot" {
				t.Errorf("ConfigMap data %v", data)
			}
			if _, ok := data["git.email"]; ok {
				t.Errorf("unset git.email rendered: %v", data)
			}
			var conf struct {
				Registries []map[string]any `json:"registries"`
			}
			if err := yaml.Unmarshal([]byte(data["registries.conf"]), &conf); err != nil || len(conf.Registries) != 1 || conf.Registries[0]["prefix"] != "ghcr.io" {
				t.Errorf("registries.conf %q (%v)", data["registries.conf"], err)
			}
			role := find(objs, "Role", "ip-imagepilot-argocd")
			if role.GetNamespace() != "argocd-elsewhere" {
				t.Errorf("Argo CD Role in %q", role.GetNamespace())
			}
			args := containerField(t, objs, "args")
			for _, want := range []string{"--argocd-namespace=argocd-elsewhere", "--interval=1h30m", "--logformat=json"} {
				if !strings.Contains(args, want) {
					t.Errorf("args %s lack %s", args, want)
				}
			}
			if !strings.Contains(containerField(t, objs, "env"), "AWS_REGION") || !strings.Contains(containerField(t, objs, "volumeMounts"), "/app/signing") || !strings.Contains(containerField(t, objs, "volumeMounts"), "/scripts") {
				t.Error("extraEnv, volumeMounts or authScripts not in the container")
			}
			checkVerbs(t, objs, "", "secrets", map[string][]string{"Role/ip-imagepilot-argocd": {"get", "list"}, "ClusterRole/ip-imagepilot-secrets-reader": {"get"}})
		},
	},
	{
		name: "webhook, ingress, metrics, network policy, pdb",
		values: `
webhook:
  enabled: true
ingress:
  enabled: true
  hostname: hooks.example.com
  ingressClassName: nginx
  extraHosts:
  - name: hooks2.example.com
  tls:
  - secretName: hooks-tls
    hosts: [hooks.example.com]
metrics:
  serviceMonitor:
    enabled: true
    additionalLabels:
      release: prometheus
  grafanaDashboard:
    enabled: true
networkPolicy:
  enabled: true
  metricsFrom:
  - namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: monitoring
pdb:
  enabled: true
  minAvailable: 1
replicaCount: 2
podLabels:
  team: platform
`,
		want: map[string]int{"Service": 2, "Ingress": 1, "ServiceMonitor": 1, "NetworkPolicy": 1, "PodDisruptionBudget": 1, "ConfigMap": 1},
		check: func(t *testing.T, objs []*unstructured.Unstructured) {
			dash := find(objs, "ConfigMap", "ip-imagepilot-dashboard")
			if dash == nil || dash.GetLabels()["grafana_dashboard"] != "1" {
				t.Fatalf("dashboard ConfigMap %v", dash)
			}
			body, _, _ := unstructured.NestedString(dash.Object, "data", "imagepilot.json")
			var parsed map[string]any
			if err := json.Unmarshal([]byte(body), &parsed); err != nil || parsed["uid"] != "imagepilot" {
				t.Errorf("dashboard JSON in the ConfigMap: %v", err)
			}
			ing := find(objs, "Ingress", "ip-imagepilot")
			rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
			if len(rules) != 2 {
				t.Errorf("ingress rules %v", rules)
			}
			if !strings.Contains(fmt.Sprint(rules[0]), "ip-imagepilot-webhook") || !strings.Contains(fmt.Sprint(rules[1]), "hooks2.example.com") {
				t.Errorf("ingress rules %v do not route both hosts to the webhook Service", rules)
			}
			svc := find(objs, "Service", "ip-imagepilot-webhook")
			port, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
			if port[0].(map[string]any)["targetPort"] != "webhook" {
				t.Errorf("webhook Service ports %v", port)
			}
			if !strings.Contains(containerField(t, objs, "args"), "--enable-webhook") {
				t.Error("webhook not enabled in args")
			}
			pdb := find(objs, "PodDisruptionBudget", "ip-imagepilot")
			if v, _, _ := unstructured.NestedFieldNoCopy(pdb.Object, "spec", "minAvailable"); fmt.Sprint(v) != "1" {
				t.Errorf("pdb minAvailable %v", v)
			}
			sm := find(objs, "ServiceMonitor", "ip-imagepilot")
			if sm.GetLabels()["release"] != "prometheus" {
				t.Errorf("ServiceMonitor labels %v", sm.GetLabels())
			}
			eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			if eps[0].(map[string]any)["scheme"] != "https" {
				t.Errorf("ServiceMonitor endpoint %v, want https (metrics.secure)", eps[0])
			}
			np := find(objs, "NetworkPolicy", "ip-imagepilot")
			ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
			if len(ingress) != 3 {
				t.Errorf("NetworkPolicy ingress %v, want metrics, probes, webhook", ingress)
			}
		},
	},
	{
		name:   "no CRD, no cluster roles, existing service account",
		values: "crds:\n  install: false\ncreateClusterRoles: false\nserviceAccount:\n  create: false\n  name: existing\n",
		want:   map[string]int{"CustomResourceDefinition": 0, "ClusterRole": 0, "ClusterRoleBinding": 0, "ServiceAccount": 0, "Role": 2},
		check: func(t *testing.T, objs []*unstructured.Unstructured) {
			rb := find(objs, "RoleBinding", "ip-imagepilot-argocd")
			subj, _, _ := unstructured.NestedSlice(rb.Object, "subjects")
			if subj[0].(map[string]any)["name"] != "existing" {
				t.Errorf("RoleBinding subjects %v", subj)
			}
		},
	},
	{
		name:   "CRD not kept, extra objects",
		values: "crds:\n  keep: false\n  additionalLabels:\n    team: platform\nextraObjects:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: '{{ .Release.Name }}-extra'\n  data:\n    a: b\n",
		want:   map[string]int{"ConfigMap": 1},
		check: func(t *testing.T, objs []*unstructured.Unstructured) {
			crd := find(objs, "CustomResourceDefinition", "imageupdaters.argocd-image-updater.argoproj.io")
			if _, ok := crd.GetAnnotations()["helm.sh/resource-policy"]; ok || crd.GetLabels()["team"] != "platform" {
				t.Errorf("CRD annotations %v labels %v", crd.GetAnnotations(), crd.GetLabels())
			}
			if find(objs, "ConfigMap", "ip-extra") == nil {
				t.Error("extra object not rendered with its template")
			}
		},
	},
}

func containerField(t *testing.T, objs []*unstructured.Unstructured, field string) string {
	t.Helper()
	dep := find(objs, "Deployment", "ip-imagepilot")
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	b, err := yaml.Marshal(containers[0].(map[string]any)[field])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestChartValueSets(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			objs := mustChart(t, chartRelease{name: "ip", namespace: "argocd", values: vs.values})
			got := kinds(objs)
			for kind, n := range vs.want {
				if got[kind] != n {
					t.Errorf("%d %s objects, want %d (all: %v)", got[kind], kind, n, got)
				}
			}
			for _, o := range objs {
				if o.GetKind() == "Secret" || (o.GetKind() == "ConfigMap" && userObjects["ConfigMap/"+o.GetName()] && vs.values == "") {
					t.Errorf("renders %s with default values", key(o))
				}
			}
			if vs.check != nil {
				vs.check(t, objs)
			}
		})
	}
}

// TestChartRejectsBadValues: values.schema.json and the templates stop a
// bad value at render time, saying which.
func TestChartRejectsBadValues(t *testing.T) {
	tests := []struct {
		name, values, want string
	}{
		{"bad interval", "run:\n  interval: 5 minutes\n", "interval"},
		{"unknown top-level key", "replicas: 2\n", "replicas"},
		{"unknown nested key", "metrics:\n  serviceMonitor:\n    enable: true\n", "enable"},
		{"bad log level", "run:\n  logLevel: verbose\n", "logLevel"},
		{"bad ServiceMonitor interval", "metrics:\n  serviceMonitor:\n    interval: often\n", "interval"},
		{"bad credentials", "config:\n  registries:\n  - api_url: https://r.example.com\n    credentials: vault:x\n", "credentials"},
		{"registry without api_url", "config:\n  registries:\n  - prefix: r.example.com\n", "api_url"},
		{"bad port", "containerPorts:\n  metrics: 70000\n", "metrics"},
		{"ingress without webhook", "ingress:\n  enabled: true\n", "ingress.enabled needs webhook.enabled"},
		{"ServiceMonitor without metrics Service", "metrics:\n  enabled: false\n  serviceMonitor:\n    enabled: true\n", "needs metrics.enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderChart(chartRelease{name: "ip", namespace: "argocd", values: tt.values}, nil)
			if err == nil {
				t.Fatalf("values %q rendered", tt.values)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestChartCRDIsConfigCRD: the chart's CRD is config/crd's, rendered from
// a template (not crds/, which Helm never upgrades), and its dashboard is
// deploy/grafana's.
func TestChartCRDIsConfigCRD(t *testing.T) {
	root := infra.KubeRepoRoot()
	a, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", "argocd-image-updater.argoproj.io_imageupdaters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "charts", "imagepilot", "files", "crd-imageupdaters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("charts/imagepilot/files/crd-imageupdaters.yaml differs from config/crd/bases: run hack/generate.sh")
	}
	d1, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "imagepilot.json"))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := os.ReadFile(filepath.Join(root, "charts", "imagepilot", "dashboards", "imagepilot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d1, d2) {
		t.Error("charts/imagepilot/dashboards/imagepilot.json differs from deploy/grafana/imagepilot.json: copy it")
	}
	if _, err := os.Stat(filepath.Join(root, "charts", "imagepilot", "crds")); err == nil {
		t.Error("charts/imagepilot/crds exists: Helm would install the CRD twice and never upgrade it")
	}
	// The rendered CRD is the file's, with only labels and annotations added.
	objs := mustChart(t, chartRelease{name: "ip", namespace: "argocd"})
	crd := find(objs, "CustomResourceDefinition", "imageupdaters.argocd-image-updater.argoproj.io")
	file, err := infra.KubeDecodeYAML(a)
	if err != nil {
		t.Fatal(err)
	}
	gotSpec, _ := yaml.Marshal(crd.Object["spec"])
	wantSpec, _ := yaml.Marshal(file[0].Object["spec"])
	if !bytes.Equal(gotSpec, wantSpec) {
		t.Error("rendered CRD spec differs from the file's")
	}
}
