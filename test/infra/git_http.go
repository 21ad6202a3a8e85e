package infra

import (
	"crypto/subtle"
	"crypto/tls"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// GitHTTPBackend is where Debian installs git's smart HTTP CGI program.
const GitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// GitHTTPOptions configures StartGitHTTP.
type GitHTTPOptions struct {
	// Username and Password, when set, are required as HTTP Basic auth on
	// every request.
	Username, Password string
	// TLS serves HTTPS with a certificate from a throw-away CA.
	TLS bool
	// API, when set, serves every request under /api/ (a forge API on the
	// git server's own host, as GitHub Enterprise and GitLab serve it);
	// it does its own authentication.
	API http.Handler
}

// GitHTTPServer is a smart-HTTP Git server (git-http-backend behind
// net/http/cgi) serving the bare repositories under Root.
type GitHTTPServer struct {
	// URL is the server's base URL (http:// or https://127.0.0.1:PORT).
	URL string
	// Root holds the bare repositories; RepoURL(name) serves Root/name.
	Root string
	// CAPEM is the CA certificate to trust (TLS only).
	CAPEM []byte
	// Requests counts HTTP requests received (including rejected ones).
	Requests atomic.Int64
	// AuthFailures counts requests refused for missing or wrong credentials.
	AuthFailures atomic.Int64
}

// RepoURL returns the URL of the repository Root/name.
func (s *GitHTTPServer) RepoURL(name string) string { return s.URL + "/" + name }

// RepoPath returns the filesystem path of the repository Root/name.
func (s *GitHTTPServer) RepoPath(name string) string { return filepath.Join(s.Root, name) }

// StartGitHTTP starts a Git smart-HTTP server on 127.0.0.1 for the test's
// lifetime. It skips the test when git-http-backend is absent.
func StartGitHTTP(t testing.TB, opts GitHTTPOptions) *GitHTTPServer {
	t.Helper()
	GitRequire(t)
	if _, err := os.Stat(GitHTTPBackend); err != nil {
		t.Skipf("git-http-backend not installed: %v", err)
	}
	s := &GitHTTPServer{Root: t.TempDir()}
	backend := &cgi.Handler{
		Path: GitHTTPBackend,
		Env: []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		if opts.API != nil && strings.HasPrefix(r.URL.Path, "/api/") {
			opts.API.ServeHTTP(w, r)
			return
		}
		if opts.Username != "" || opts.Password != "" {
			user, pass, ok := r.BasicAuth()
			if !ok || !gitEqual(user, opts.Username) || !gitEqual(pass, opts.Password) {
				s.AuthFailures.Add(1)
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(handler)
	if opts.TLS {
		ca := NewTestCA(t)
		_, _, pair := ca.ServerCert(t)
		s.CAPEM = ca.PEM
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func gitEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
