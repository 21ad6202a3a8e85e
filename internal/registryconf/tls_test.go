package registryconf

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestTLSConfigAgainstServer performs real TLS handshakes on loopback with
// a server whose certificate is not in the system pool.
func TestTLSConfigAgainstServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	serverCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	otherCA, _ := testCA(t)

	tests := []struct {
		name    string
		reg     Registry
		wantErr bool
	}{
		{"system pool only rejects", Registry{Name: "r"}, true},
		{"ca_data trusts", Registry{Name: "r", CAData: serverCA}, false},
		{"ca_file trusts", Registry{Name: "r", CAFile: writeFile(t, "ca.pem", serverCA)}, false},
		{"unrelated CA rejects", Registry{Name: "r", CAData: otherCA}, true},
		{"insecure skips verification", Registry{Name: "r", Insecure: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.reg.TLSConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.InsecureSkipVerify != tt.reg.Insecure {
				t.Errorf("InsecureSkipVerify = %v, want %v", cfg.InsecureSkipVerify, tt.reg.Insecure)
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("request error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	for _, r := range []Registry{
		{Name: "r", CAFile: "/nonexistent/ca.pem"},
		{Name: "r", CAFile: writeFile(t, "bad.pem", "garbage")},
		{Name: "r", CAData: "garbage"},
	} {
		if _, err := r.TLSConfig(); err == nil {
			t.Errorf("TLSConfig(%+v) succeeded, want error", r)
		}
	}
}
