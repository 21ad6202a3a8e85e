package cloud

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gcpMetadata is the GCE/GKE metadata server's token endpoint (and the
// few values the Google client libraries read besides).
type gcpMetadata struct {
	iss    *issued
	tokens atomic.Int64
}

func (m *gcpMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Metadata-Flavor") != "Google" {
		http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
		return
	}
	w.Header().Set("Metadata-Flavor", "Google")
	switch r.URL.Path {
	case "/computeMetadata/v1/instance/service-accounts/default/token":
		m.tokens.Add(1)
		tok := "ya29." + randomHex(20)
		m.iss.add("oauth2accesstoken", tok)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})
	case "/computeMetadata/v1/universe/universe-domain":
		_, _ = w.Write([]byte("googleapis.com"))
	case "/computeMetadata/v1/project/project-id":
		_, _ = w.Write([]byte("test-project"))
	default:
		http.NotFound(w, r)
	}
}

func TestGCPMetadataServerEndToEnd(t *testing.T) {
	iss := newIssued()
	reg := startRegistry(t, iss, nil)
	md := &gcpMetadata{iss: iss}
	srv := httptest.NewServer(md)
	t.Cleanup(srv.Close)
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	const host = "europe-west1-docker.pkg.dev"
	code, out := check(t, writeConf(t, host, reg.URL, "provider:auto"), host+"/team/app")
	if code != 0 || !strings.Contains(out, "1.1.0") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if md.tokens.Load() != 1 {
		t.Fatalf("%d metadata token requests, want 1", md.tokens.Load())
	}
	t.Run("metadata server down fails at the cloud credentials step", func(t *testing.T) {
		srv.Close()
		start := time.Now()
		code, out := check(t, writeConf(t, "gcr.io", reg.URL, "provider:gcp"), "gcr.io/team/app")
		if code == 0 || !strings.Contains(out, "cloud credentials") {
			t.Fatalf("exit %d after %s:\n%s", code, time.Since(start), out)
		}
	})
	t.Run("unreadable key file fails at the token file step", func(t *testing.T) {
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json")
		code, out := check(t, writeConf(t, "gcr.io", reg.URL, "provider:gcp"), "gcr.io/team/app")
		if code == 0 || !strings.Contains(out, "token file") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}
