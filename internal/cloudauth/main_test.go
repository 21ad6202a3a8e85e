package cloudauth

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain keeps the machine's own cloud identity and configuration out of
// the tests (every variable the SDKs read is cleared, their files point
// into an empty directory) and trusts httptest's TLS certificate through
// SSL_CERT_FILE, which Go reads once, before the first certificate check:
// the Alibaba SDK speaks only https and takes no transport.
func TestMain(m *testing.M) {
	os.Exit(runIsolated(m))
}

func runIsolated(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cloudauth-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"AWS_", "GOOGLE_", "GCE_", "CLOUDSDK_", "AZURE_", "IDENTITY_", "MSI_", "IMDS_", "ALIBABA_CLOUD_"} {
			if strings.HasPrefix(name, p) {
				_ = os.Unsetenv(name)
			}
		}
	}
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	caFile := filepath.Join(dir, "httptest-ca.pem")
	err = os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600)
	tlsSrv.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	missing := filepath.Join(dir, "missing")
	for k, v := range map[string]string{
		"SSL_CERT_FILE": caFile, "HOME": dir, "CLOUDSDK_CONFIG": missing,
		"AWS_CONFIG_FILE": missing, "AWS_SHARED_CREDENTIALS_FILE": missing, "AWS_EC2_METADATA_DISABLED": "true",
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED": "true",
		"ALIBABA_CLOUD_CREDENTIALS_FILE": missing,
	} {
		_ = os.Setenv(k, v)
	}
	return m.Run()
}

// tokenFile writes content to a file and returns its path.
func tokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustSource binds spec to host with the registry API at apiURL.
func mustSource(t *testing.T, spec, host, apiURL string) *Source {
	t.Helper()
	sp, err := ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sp, Target{Host: host, APIURL: apiURL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantStep checks that err is a *StepError at step (or nil when step is
// "") and that none of the secrets appear in it.
func wantStep(t *testing.T, err error, step string, secrets ...string) {
	t.Helper()
	if step == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	se, ok := err.(*StepError)
	if !ok {
		t.Fatalf("error %v (%T) is not a *StepError", err, err)
	}
	if se.Step != step {
		t.Fatalf("step %q, want %q: %v", se.Step, step, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error quotes the secret %q: %v", s, err)
		}
	}
}
