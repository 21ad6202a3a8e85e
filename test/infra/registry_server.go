package infra

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"go.yaml.in/yaml/v3"
)

// RegistryBinary is the Debian docker-registry (CNCF distribution 2.8).
const RegistryBinary = "/usr/bin/docker-registry"

// RegistryAuth selects how the registry authenticates clients.
type RegistryAuth int

const (
	// RegistryAnonymous lets everyone pull and push.
	RegistryAnonymous RegistryAuth = iota
	// RegistryBasic demands HTTP Basic auth from an htpasswd (bcrypt) file.
	RegistryBasic
	// RegistryToken demands bearer tokens from a TokenServer.
	RegistryToken
)

// NotificationEndpoint is one notifications.endpoints entry: the registry
// POSTs push/pull events to URL with Headers.
type NotificationEndpoint struct {
	Name    string
	URL     string
	Headers map[string][]string
	// Timeout, Threshold and Backoff default to 2s, 3 and 1s.
	Timeout   time.Duration
	Threshold int
	Backoff   time.Duration
}

// RegistryOptions configure StartRegistry. The zero value is an anonymous
// plain-http registry.
type RegistryOptions struct {
	Auth RegistryAuth
	// Username and Password for Basic and Token (default user / secret).
	Username, Password string
	// TLS serves https with a certificate from a fresh TestCA.
	TLS bool
	// TokenLifetime is the bearer token lifetime (default 5 minutes).
	TokenLifetime time.Duration
	// TokenAccept, with RegistryToken, replaces the Username/Password check
	// of the token server (TokenServer.Accept).
	TokenAccept func(user, password string) bool
	// Handlers serve extra exact paths on the registry's host
	// (FaultProxyOptions.Handlers).
	Handlers map[string]http.Handler
	// Notifications are webhook endpoints the registry calls.
	Notifications []NotificationEndpoint
}

// Registry is a running docker-registry behind a FaultProxy. Clients use
// Host/URL (the proxy), so every request is counted and faults apply.
type Registry struct {
	// Host is 127.0.0.1:port of the proxy, for image references.
	Host string
	// URL is the proxy's base URL (http:// or https://).
	URL string
	// Direct is the registry's own base URL, bypassing the proxy.
	Direct string
	// Proxy counts requests and injects faults.
	Proxy *FaultProxy
	// CA is set with TLS.
	CA *TestCA
	// Token is set with RegistryToken.
	Token *TokenServer
	// Username and Password are the accepted credentials (Basic, Token).
	Username, Password string
	// Dir holds config, storage and log (the log is in registry.log).
	Dir string
}

// SkipIfNoRegistry skips the test when docker-registry is not installed.
func SkipIfNoRegistry(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(RegistryBinary); err != nil {
		t.Skipf("%s not installed (apt-get install docker-registry apache2-utils): %v", RegistryBinary, err)
	}
}

// StartRegistry runs `docker-registry serve` on a free 127.0.0.1 port with
// a FaultProxy in front, waits until it answers and stops it on t.Cleanup.
// It skips the test when the binary (or htpasswd for Basic) is missing.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	SkipIfNoRegistry(t)
	if opts.Username == "" {
		opts.Username, opts.Password = "user", "secret"
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = 5 * time.Minute
	}
	r := &Registry{Dir: t.TempDir(), Username: opts.Username, Password: opts.Password}
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	var proxyCert *tls.Certificate
	cfg := r.baseConfig(t)
	if opts.TLS {
		scheme = "https"
		r.CA = NewTestCA(t)
		certPEM, keyPEM, pair := r.CA.ServerCert(t)
		proxyCert = &pair
		cfg["http"].(map[string]any)["tls"] = map[string]any{
			"certificate": r.writeFile(t, "server.crt", certPEM), "key": r.writeFile(t, "server.key", keyPEM),
		}
	}
	proxyURL := scheme + "://" + proxyLn.Addr().String()
	r.configureAuth(t, cfg, opts, proxyURL)
	cfg["notifications"] = notificationsConfig(opts.Notifications)
	r.Direct = scheme + "://" + cfg["http"].(map[string]any)["addr"].(string)
	r.run(t, cfg)
	direct, _ := url.Parse(r.Direct)
	popts := FaultProxyOptions{Listener: proxyLn, TLS: proxyCert, Handlers: opts.Handlers}
	if r.CA != nil {
		popts.BackendCAs = r.CA.Pool
	}
	if r.Token != nil {
		popts.Token = r.Token
	}
	r.Proxy = NewFaultProxy(t, direct, popts)
	r.URL, r.Host = r.Proxy.URL, r.Proxy.Host
	return r
}

func (r *Registry) baseConfig(t testing.TB) map[string]any {
	return map[string]any{
		"version": "0.1",
		"log":     map[string]any{"level": "warn", "accesslog": map[string]any{"disabled": true}},
		"storage": map[string]any{
			"filesystem": map[string]any{"rootdirectory": filepath.Join(r.Dir, "data")},
			"delete":     map[string]any{"enabled": true},
		},
		"http": map[string]any{"addr": freeAddr(t), "secret": "imagepilot-test"},
	}
}

func (r *Registry) configureAuth(t testing.TB, cfg map[string]any, opts RegistryOptions, proxyURL string) {
	switch opts.Auth {
	case RegistryBasic:
		out, err := exec.Command("htpasswd", "-Bbn", opts.Username, opts.Password).Output()
		if err != nil {
			t.Skipf("htpasswd (apache2-utils) unavailable: %v", err)
		}
		cfg["auth"] = map[string]any{"htpasswd": map[string]any{"realm": "imagepilot-test", "path": r.writeFile(t, "htpasswd", out)}}
	case RegistryToken:
		r.Token = NewTokenServer(t, opts.Username, opts.Password, opts.TokenLifetime)
		r.Token.Accept = opts.TokenAccept
		cfg["auth"] = map[string]any{"token": map[string]any{
			"realm": proxyURL + "/token", "service": r.Token.Service, "issuer": r.Token.Issuer,
			"rootcertbundle": r.writeFile(t, "token.crt", r.Token.CertPEM),
		}}
	}
}

func notificationsConfig(eps []NotificationEndpoint) map[string]any {
	var list []any
	for i, ep := range eps {
		name := ep.Name
		if name == "" {
			name = fmt.Sprintf("endpoint-%d", i)
		}
		timeout, threshold, backoff := ep.Timeout, ep.Threshold, ep.Backoff
		if timeout == 0 {
			timeout = 2 * time.Second
		}
		if threshold == 0 {
			threshold = 3
		}
		if backoff == 0 {
			backoff = time.Second
		}
		list = append(list, map[string]any{
			"name": name, "url": ep.URL, "headers": ep.Headers,
			"timeout": timeout.String(), "threshold": threshold, "backoff": backoff.String(),
		})
	}
	return map[string]any{"endpoints": list}
}

// run starts the registry and waits for it.
func (r *Registry) run(t testing.TB, cfg map[string]any) {
	t.Helper()
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := r.writeFile(t, "config.yml", data)
	logFile, err := os.Create(filepath.Join(r.Dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(RegistryBinary, "serve", path)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
	})
	r.waitReady(t, done)
}

func (r *Registry) waitReady(t testing.TB, exited <-chan struct{}) {
	t.Helper()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // readiness probe only
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
			t.Fatalf("docker-registry exited early:\n%s", log)
		default:
		}
		resp, err := client.Get(r.Direct + "/v2/")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry at %s not ready after 15s", r.Direct)
}

func (r *Registry) writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(r.Dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Auth returns the registry's credentials as an authenticator (anonymous
// for RegistryAnonymous).
func (r *Registry) Auth() authn.Authenticator {
	if r.Token == nil && !r.basic() {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

func (r *Registry) basic() bool {
	_, err := os.Stat(filepath.Join(r.Dir, "htpasswd"))
	return err == nil
}

// RemoteOptions are go-containerregistry options for pushing to and
// pulling from this registry (credentials and, with TLS, the CA).
func (r *Registry) RemoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithAuth(r.Auth()), remote.WithContext(ctx)}
	if r.CA != nil {
		tr := remote.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: r.CA.Pool, MinVersion: tls.VersionTLS12}
		opts = append(opts, remote.WithTransport(tr))
	}
	return opts
}

// Repo returns "host:port/path" for an image reference on this registry.
func (r *Registry) Repo(path string) string {
	return r.Host + "/" + strings.TrimPrefix(path, "/")
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
