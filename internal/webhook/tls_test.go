package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTLSOptionsConfig(t *testing.T) {
	const gcm = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	tests := []struct {
		name     string
		o        TLSOptions
		wantErr  string
		min, max uint16
		ciphers  int
	}{
		{name: "upstream default", o: TLSOptions{MinVersion: "1.3", MaxVersion: "1.3"}, min: tls.VersionTLS13, max: tls.VersionTLS13},
		{name: "tls prefix and case", o: TLSOptions{MinVersion: "TLS1.2", MaxVersion: " tls1.3 "}, min: tls.VersionTLS12, max: tls.VersionTLS13},
		{name: "go defaults", o: TLSOptions{}},
		{name: "ciphers with 1.2", o: TLSOptions{MinVersion: "1.2", MaxVersion: "1.3", Ciphers: gcm + ":TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}, min: tls.VersionTLS12, max: tls.VersionTLS13, ciphers: 2},
		{name: "bad min", o: TLSOptions{MinVersion: "1.4"}, wantErr: "--tlsminversion"},
		{name: "bad max", o: TLSOptions{MaxVersion: "ssl3"}, wantErr: "--tlsmaxversion"},
		{name: "min above max", o: TLSOptions{MinVersion: "1.3", MaxVersion: "1.2"}, wantErr: "above"},
		{name: "unknown cipher", o: TLSOptions{MinVersion: "1.2", Ciphers: "TLS_NOPE"}, wantErr: "unknown or insecure"},
		{name: "insecure cipher", o: TLSOptions{MinVersion: "1.2", Ciphers: "TLS_RSA_WITH_RC4_128_SHA"}, wantErr: "unknown or insecure"},
		{name: "ciphers with 1.3 only", o: TLSOptions{MinVersion: "1.3", MaxVersion: "1.3", Ciphers: gcm}, wantErr: "--tlsminversion 1.2"},
		{name: "cipher not for 1.1", o: TLSOptions{MinVersion: "1.1", Ciphers: gcm}, wantErr: "does not support TLS version 1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.o.Config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MinVersion != tt.min || cfg.MaxVersion != tt.max || len(cfg.CipherSuites) != tt.ciphers {
				t.Fatalf("got min %x max %x ciphers %v", cfg.MinVersion, cfg.MaxVersion, cfg.CipherSuites)
			}
			if len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
				t.Fatalf("HTTP/2 offered by default: %v", cfg.NextProtos)
			}
		})
	}
}

// serveTLS serves a 200 handler with o and returns its address.
func serveTLS(t *testing.T, o TLSOptions) (string, CertSource) {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Proto", r.Proto)
	}), ReadHeaderTimeout: 5 * time.Second}
	src, err := ConfigureTLS(srv, o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), src
}

func get(t *testing.T, addr string, cfg *tls.Config, h2 bool) (*http.Response, error) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: h2}}
	resp, err := c.Get("https://" + addr + "/")
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestConfigureTLSSelfSignedDefaults(t *testing.T) {
	dir := t.TempDir()
	addr, src := serveTLS(t, TLSOptions{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), MinVersion: DefaultTLSMinVersion, MaxVersion: DefaultTLSMaxVersion})
	if src != CertSelfSigned {
		t.Fatalf("source %s", src)
	}
	// Verification is on by default: an unknown self-signed certificate fails.
	if _, err := get(t, addr, &tls.Config{}, false); err == nil {
		t.Fatal("self-signed certificate accepted without trust")
	}
	resp, err := get(t, addr, &tls.Config{InsecureSkipVerify: true}, true) //nolint:gosec // test of a self-signed server
	if err != nil {
		t.Fatal(err)
	}
	if resp.TLS.Version != tls.VersionTLS13 || resp.Header.Get("X-Proto") != "HTTP/1.1" {
		t.Fatalf("version %x proto %s", resp.TLS.Version, resp.Header.Get("X-Proto"))
	}
	if _, err := get(t, addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}, false); err == nil { //nolint:gosec // test
		t.Fatal("TLS 1.2 client accepted by a 1.3-only server")
	}
}

func TestConfigureTLSFromFilesAndHTTP2(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, time.Now())
	addr, src := serveTLS(t, TLSOptions{CertFile: certFile, KeyFile: keyFile, MinVersion: "1.2", MaxVersion: "1.3", EnableHTTP2: true})
	if src != CertFromFiles {
		t.Fatalf("source %s", src)
	}
	pool := x509.NewCertPool()
	data, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(data)
	resp, err := get(t, addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}, true)
	if err != nil {
		t.Fatal(err)
	}
	if resp.TLS.Version != tls.VersionTLS12 || resp.Header.Get("X-Proto") != "HTTP/2.0" {
		t.Fatalf("version %x proto %s", resp.TLS.Version, resp.Header.Get("X-Proto"))
	}
}

func TestConfigureTLSFailsClosed(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, time.Now().Add(-400*24*time.Hour)) // expired
	tests := []struct {
		name, cert, key, want string
	}{
		{"expired", certFile, keyFile, "valid only from"},
		{"key missing", certFile, filepath.Join(dir, "none.key"), "only one is there"},
		{"garbage", writeFile(t, dir, "bad.crt", "not pem"), writeFile(t, dir, "bad.key", "not pem"), "key pair"},
		{"directory", dir, keyFile, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigureTLS(&http.Server{ReadHeaderTimeout: time.Second}, TLSOptions{CertFile: tt.cert, KeyFile: tt.key})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	// Empty files, as upstream's placeholder Secret mounts them, mean "generate".
	src, err := ConfigureTLS(&http.Server{ReadHeaderTimeout: time.Second}, TLSOptions{CertFile: writeFile(t, dir, "e.crt", ""), KeyFile: writeFile(t, dir, "e.key", "")})
	if err != nil || src != CertSelfSigned {
		t.Fatalf("empty files: %v %s", err, src)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePair writes a self-signed pair valid for a year from notBefore.
func writePair(t *testing.T, dir string, notBefore time.Time) (string, string) {
	t.Helper()
	cert, err := selfSigned(notBefore)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	c := writeFile(t, dir, notBefore.Format("20060102")+".crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})))
	k := writeFile(t, dir, notBefore.Format("20060102")+".key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})))
	return c, k
}

func FuzzParseTLSSettings(f *testing.F) {
	for _, s := range []string{"1.2", "tls1.3", "", "TLS_AES_128_GCM_SHA256:TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseTLSVersion(s); err == nil && v != 0 && (v < tls.VersionTLS11 || v > tls.VersionTLS13) {
			t.Fatalf("%q parsed to %x", s, v)
		}
		ids, err := ParseCipherSuites(s)
		if err != nil {
			return
		}
		for _, id := range ids {
			if tls.CipherSuiteName(id) == "" {
				t.Fatalf("%q gave unknown id %x", s, id)
			}
		}
	})
}
