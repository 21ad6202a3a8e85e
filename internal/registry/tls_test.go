package registry

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagepilot/imagepilot/internal/registryconf"
)

// tlsRegistry is go-containerregistry's registry over HTTPS on 127.0.0.2
// (a loopback address go-containerregistry does not downgrade to plain
// HTTP), with a certificate from a private CA.
type tlsRegistry struct {
	host     string
	caPEM    []byte
	requests atomic.Int32
}

func newTLSRegistry(t *testing.T) *tlsRegistry {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.2")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	tr := &tlsRegistry{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	inner := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.requests.Add(1)
		inner.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tr.host = l.Addr().String()
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	repo, err := name.NewRepository(tr.host + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	push := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer push.CloseIdleConnections()
	if err := remote.Write(repo.Tag("1.0"), testImage(t, time.Now(), v1.Platform{}), remote.WithTransport(push)); err != nil {
		t.Fatal(err)
	}
	tr.requests.Store(0)
	return tr
}

func TestRegistryTLSSettings(t *testing.T) {
	reg := newTLSRegistry(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, reg.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		reg      registryconf.Registry
		wantErr  error
		wantText string
	}{
		{"verified by default: unknown CA refused", registryconf.Registry{}, ErrTransport, "certificate"},
		{"ca_file trusted", registryconf.Registry{CAFile: caFile}, nil, ""},
		{"ca_data trusted", registryconf.Registry{CAData: string(reg.caPEM)}, nil, ""},
		{"insecure skips verification", registryconf.Registry{Insecure: true}, nil, ""},
		{"missing ca_file is an error, not a fallback", registryconf.Registry{CAFile: filepath.Join(t.TempDir(), "absent.pem")}, ErrTransport, "ca_file"},
		{"ca_file without a certificate", registryconf.Registry{CAFile: notPEM}, ErrTransport, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entry := tt.reg
			entry.Name, entry.APIURL, entry.Prefix = "tls", "https://"+reg.host, reg.host
			c := newTestClient(t, WithResolver(func(string, string) registryconf.Registry { return entry }))
			repo, err := name.NewRepository(reg.host + "/team/app")
			if err != nil {
				t.Fatal(err)
			}
			before := reg.requests.Load()
			tags, err := c.NewCycle().Tags(context.Background(), repo, nil)
			if tt.wantErr == nil {
				if err != nil || len(tags) != 1 {
					t.Fatalf("listing over TLS: %v, %v", tags, err)
				}
			} else if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantText)
			}
			if asked := reg.requests.Load() > before; asked != (tt.wantErr == nil) {
				t.Errorf("requests reached the registry: %v, want %v", asked, tt.wantErr == nil)
			}
		})
	}
}

func TestAPIRepository(t *testing.T) {
	repo, err := name.NewRepository("ghcr.io/team/app")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		apiURL     string
		want       string
		wantScheme string
		wantErr    bool
	}{
		{"no api_url keeps the repository", "", "ghcr.io/team/app", "https", false},
		{"api_url host replaces the image host", "https://mirror.example.com", "mirror.example.com/team/app", "https", false},
		{"api_url path is not part of the repository", "https://mirror.example.com/ignored", "mirror.example.com/team/app", "https", false},
		{"api_url port kept", "https://mirror.example.com:8443", "mirror.example.com:8443/team/app", "https", false},
		{"http api_url is plain HTTP", "http://mirror.example.com", "mirror.example.com/team/app", "http", false},
		{"HTTP in capitals too", "HTTP://mirror.example.com", "mirror.example.com/team/app", "http", false},
		{"api_url without a host", "mirror.example.com", "", "", true},
		{"unparsable api_url", "https://[::1", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apiRepository(registryconf.Registry{Name: "m", APIURL: tt.apiURL}, repo)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), `registry "m"`) {
					t.Fatalf("err = %v, want an error naming the registry", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name() != tt.want || got.Scheme() != tt.wantScheme {
				t.Errorf("got %s (%s), want %s (%s)", got.Name(), got.Scheme(), tt.want, tt.wantScheme)
			}
		})
	}
}

// Each registries.conf entry gets its own transport chain (and with it its
// own rate limiter and ping cache); the same entry reuses its chain.
func TestChainPerRegistry(t *testing.T) {
	c := newTestClient(t)
	a := registryconf.Registry{Name: "a", APIURL: "https://a.example", Prefix: "a.example", Limit: 5}
	b := registryconf.Registry{Name: "b", APIURL: "https://b.example", Prefix: "b.example", Limit: 5}
	first, err := c.chain(a, "a.example")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.chain(a, "a.example")
	other, _ := c.chain(b, "b.example")
	if first != again {
		t.Error("the same registry got a second chain")
	}
	if first == other {
		t.Error("two registries share one chain (and rate limit)")
	}
	if _, err := c.chain(registryconf.Registry{Name: "bad", CAFile: "/nonexistent/ca.pem"}, "bad.example"); err == nil || !strings.Contains(err.Error(), "TLS settings") {
		t.Errorf("bad CA file: %v", err)
	}
}

// The registries.conf limit holds the requests of a whole cycle to that
// registry's rate; another registry is not slowed down.
func TestRateLimitPerRegistry(t *testing.T) {
	limited, free := newTestRegistry(t), newTestRegistry(t)
	img := testImage(t, time.Now(), v1.Platform{OS: "linux", Architecture: "amd64"})
	limited.push(t, "x", img, "1")
	free.push(t, "x", img, "1")
	c := newTestClient(t, WithResolver(func(host, _ string) registryconf.Registry {
		r := registryconf.Plain(host)
		r.APIURL = "http://" + host
		if host == limited.host {
			r.Limit = 10 // burst 10, then one per 100ms
		}
		return r
	}))
	measure := func(reg *testRegistry) time.Duration {
		start := time.Now()
		for range 24 { // 24 cycles: pings, then one HEAD each
			if _, err := c.NewCycle().Metadata(reg.repo("x"), nil).Digest(context.Background(), "1"); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start)
	}
	if d := measure(limited); d < 1200*time.Millisecond {
		t.Errorf("26 requests at 10/s (burst 10) took %s, want at least 1.2s", d)
	}
	if d := measure(free); d > time.Second {
		t.Errorf("the unlimited registry took %s", d)
	}
}
