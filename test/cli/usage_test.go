package cli_test

import (
	"strings"
	"testing"
)

// TestUsageErrors: usage mistakes exit 2 with a message that says what to
// do.
func TestUsageErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // no ~/.kube/config
	t.Setenv("KUBECONFIG", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("IMAGEPILOT_REPO", "")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"run without --repo or cluster", []string{"run", "--once"}, nil, []string{"no --repo given and no Kubernetes cluster", "--repo URL", "--kubeconfig FILE"}},
		{"webhook without --repo or cluster", []string{"webhook"}, nil, []string{"no --repo given and no Kubernetes cluster"}},
		{"plan without --repo", []string{"plan"}, nil, []string{"plan needs --repo URL"}},
		{"check without image", []string{"check"}, nil, []string{"check takes one image", "imagepilot check nginx:~1.26"}},
		{"test without image", []string{"test"}, nil, []string{"test takes one image"}},
		{"check with two images", []string{"check", "a", "b"}, nil, []string{"got 2 arguments"}},
		{"flags before the command, as upstream's install.yaml", []string{"--metrics-bind-address=:8443", "run", "--once"}, nil, []string{"no --repo given and no Kubernetes cluster"}},
		{"unknown flag", []string{"run", "--bogus"}, nil, []string{"unknown flag: --bogus", "see 'imagepilot run --help'"}},
		{"malformed upstream variable", []string{"run", "--once"}, map[string]string{"MAX_CONCURRENT_APPS": "many"}, []string{`MAX_CONCURRENT_APPS="many"`, "--max-concurrent-apps", "from 1 to 100"}},
		{"malformed kube events", []string{"run", "--once"}, map[string]string{"IMAGE_UPDATER_KUBE_EVENTS": "off"}, []string{"IMAGE_UPDATER_KUBE_EVENTS", "true or false"}},
		{"reconciles out of range", []string{"run", "--max-concurrent-reconciles", "0"}, nil, []string{"want 1 to 10"}},
		{"bad TLS version", []string{"webhook", "--repo", t.TempDir(), "--tlsminversion", "1.4"}, nil, []string{"--tlsminversion", "1.1, 1.2 or 1.3"}},
		{"webhook port 0", []string{"webhook", "--repo", t.TempDir(), "--webhook-port", "0"}, nil, []string{"--webhook-bind-address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, stderr := imagepilot(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2:\n%s%s", code, out, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestVersionShort(t *testing.T) {
	code, out, _ := imagepilot(t, "version", "--short")
	if code != 0 || strings.Count(out, "\n") != 1 || strings.ContainsAny(strings.TrimSpace(out), " (") {
		t.Fatalf("version --short: exit %d %q", code, out)
	}
	code, long, _ := imagepilot(t, "version")
	if code != 0 || !strings.HasPrefix(long, "imagepilot "+strings.TrimSpace(out)+" (commit ") {
		t.Fatalf("version: %q", long)
	}
}
