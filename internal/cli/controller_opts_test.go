package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// kubeconfig writes a kubeconfig whose current context has namespace ns
// ("" for none).
func kubeconfig(t *testing.T, ns string) string {
	t.Helper()
	text := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user:
    token: t
contexts:
- name: ctx
  context:
    cluster: c
    user: u
    namespace: ` + ns + `
current-context: ctx
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestControllerNamespaces: the controller's own namespace comes from
// POD_NAMESPACE, else the kubeconfig context ("default" without one), and
// --argocd-namespace defaults to it.
func TestControllerNamespaces(t *testing.T) {
	tests := []struct {
		name            string
		kubeNS          string
		env             map[string]string
		argocdNamespace string
		wantOwn         string
		wantArgoCD      string
	}{
		{name: "from the kubeconfig context", kubeNS: "image-updater", wantOwn: "image-updater", wantArgoCD: "image-updater"},
		{name: "POD_NAMESPACE wins", kubeNS: "image-updater", env: map[string]string{"POD_NAMESPACE": "pod-ns"}, wantOwn: "pod-ns", wantArgoCD: "pod-ns"},
		{name: "a context without a namespace", wantOwn: "default", wantArgoCD: "default"},
		{name: "--argocd-namespace is kept", kubeNS: "image-updater", argocdNamespace: "argocd", wantOwn: "image-updater", wantArgoCD: "argocd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t, tt.env)
			o := &controllerOptions{common: &repoOptions{namespace: tt.argocdNamespace}, kubeconfig: kubeconfig(t, tt.kubeNS), kubeQPS: 7, kubeBurst: 9}
			cfg, err := o.restConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != "https://127.0.0.1:6443" || cfg.QPS != 7 || cfg.Burst != 9 || cfg.BearerToken != "t" {
				t.Errorf("config host %q qps %v burst %d", cfg.Host, cfg.QPS, cfg.Burst)
			}
			if o.ownNamespace != tt.wantOwn || o.common.namespace != tt.wantArgoCD {
				t.Errorf("own namespace %q argocd %q, want %q %q", o.ownNamespace, o.common.namespace, tt.wantOwn, tt.wantArgoCD)
			}
		})
	}
	cleanEnv(t, nil)
	o := &controllerOptions{common: &repoOptions{}, kubeconfig: filepath.Join(t.TempDir(), "none")}
	if _, err := o.restConfig(); err == nil || !isUsage(err) || !strings.Contains(err.Error(), "give --repo URL to work on a GitOps repository, or --kubeconfig FILE") {
		t.Errorf("missing kubeconfig: %v", err)
	}
}

func TestControllerValidationAndLegacy(t *testing.T) {
	tests := []struct {
		name    string
		o       controllerOptions
		wantErr string
		legacy  bool
	}{
		{name: "defaults", o: controllerOptions{maxConcurrentReconciles: 1}},
		{name: "ten reconciles", o: controllerOptions{maxConcurrentReconciles: 10}},
		{name: "no reconciles", o: controllerOptions{maxConcurrentReconciles: 0}, wantErr: "--max-concurrent-reconciles 0: want 1 to 10"},
		{name: "eleven reconciles", o: controllerOptions{maxConcurrentReconciles: 11}, wantErr: "--max-concurrent-reconciles 11: want 1 to 10"},
		{name: "legacy filters without --legacy-annotations are not used", o: controllerOptions{maxConcurrentReconciles: 1, matchAppNames: []string{"["}}},
		{name: "legacy with filters", o: controllerOptions{maxConcurrentReconciles: 1, legacyAnnotations: true, matchAppNames: []string{"team-*"}, matchAppLabel: "tier=web"}, legacy: true},
		{name: "legacy with a bad glob", o: controllerOptions{maxConcurrentReconciles: 1, legacyAnnotations: true, matchAppNames: []string{"["}}, wantErr: `--match-application-name "["`},
		{name: "legacy with a bad selector", o: controllerOptions{maxConcurrentReconciles: 1, legacyAnnotations: true, matchAppLabel: "a in ("}, wantErr: `--match-application-label "a in ("`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.validate()
			if err == nil {
				l, lerr := tt.o.legacy()
				if lerr == nil && (l != nil) != tt.legacy {
					t.Errorf("legacy %+v, want set: %v", l, tt.legacy)
				}
				err = lerr
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !isUsage(err) {
				t.Fatalf("err = %v, want usage error %q", err, tt.wantErr)
			}
		})
	}
}

func TestScopedRegisterer(t *testing.T) {
	base := prometheus.NewRegistry()
	s := &scopedRegisterer{Registerer: base}
	a := prometheus.NewCounter(prometheus.CounterOpts{Name: "a_total", Help: "a"})
	b := prometheus.NewCounter(prometheus.CounterOpts{Name: "b_total", Help: "b"})
	s.MustRegister(a, b)
	if err := s.Register(prometheus.NewCounter(prometheus.CounterOpts{Name: "a_total", Help: "a"})); err == nil {
		t.Error("a duplicate was registered")
	}
	if len(s.registered) != 2 {
		t.Errorf("remembered %d collectors, want 2 (not the refused duplicate)", len(s.registered))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRegister of a duplicate did not panic")
			}
		}()
		s.MustRegister(a)
	}()
	s.unregisterAll()
	// A second run registers the same metrics again.
	if err := s.Register(a); err != nil {
		t.Errorf("after unregisterAll: %v", err)
	}
	s.unregisterAll()
	fams, err := base.Gather()
	if err != nil || len(fams) != 0 {
		t.Errorf("left registered: %d families, %v", len(fams), err)
	}
}
