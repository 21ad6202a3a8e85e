package webhook

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedCertificate(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cert, err := selfSigned(now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cert.PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Errorf("key type %T, want ECDSA", cert.PrivateKey)
	}
	if !leaf.NotBefore.Equal(now.Add(-time.Minute)) || !leaf.NotAfter.Equal(now.Add(365*24*time.Hour)) {
		t.Errorf("validity %s to %s", leaf.NotBefore, leaf.NotAfter)
	}
	if !reflect.DeepEqual(leaf.DNSNames, []string{"localhost"}) || len(leaf.IPAddresses) != 2 ||
		!leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !leaf.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if !reflect.DeepEqual(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || leaf.IsCA {
		t.Errorf("usage %v, CA %v: want a server certificate that cannot sign others", leaf.ExtKeyUsage, leaf.IsCA)
	}
	other, _ := selfSigned(now)
	if o, _ := x509.ParseCertificate(other.Certificate[0]); o.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("two self-signed certificates share a serial number")
	}
}

func TestConfigureTLSValidityUsesTheClock(t *testing.T) {
	dir := t.TempDir()
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	certFile, keyFile := writePair(t, dir, issued)
	tests := []struct {
		name string
		now  time.Time
		want string // "" for success
	}{
		{"inside the validity", issued.Add(24 * time.Hour), ""},
		{"before notBefore", issued.Add(-time.Hour), "valid only from"},
		{"after notAfter", issued.Add(366 * 24 * time.Hour), "valid only from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &http.Server{ReadHeaderTimeout: time.Second}
			src, err := ConfigureTLS(srv, TLSOptions{CertFile: certFile, KeyFile: keyFile, Now: func() time.Time { return tt.now }})
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), certFile) {
					t.Fatalf("err = %v, want %q naming %s", err, tt.want, certFile)
				}
				return
			}
			if err != nil || src != CertFromFiles || len(srv.TLSConfig.Certificates) != 1 {
				t.Fatalf("ConfigureTLS = %s, %v", src, err)
			}
		})
	}
}

func TestConfigureTLSOneFileOnly(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, time.Now().Add(-time.Hour))
	for name, o := range map[string]TLSOptions{
		"certificate without key":  {CertFile: certFile, KeyFile: writeFile(t, dir, "empty.key", "")},
		"key without certificate":  {CertFile: filepath.Join(dir, "missing.crt"), KeyFile: keyFile},
		"key path not configured":  {CertFile: certFile},
		"certificate path not set": {KeyFile: keyFile},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ConfigureTLS(&http.Server{ReadHeaderTimeout: time.Second}, o); err == nil || !strings.Contains(err.Error(), "only one is there") {
				t.Fatalf("err = %v, want the one-file error", err)
			}
		})
	}
}

func TestConfigureTLSHTTP2Switch(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		srv := &http.Server{ReadHeaderTimeout: time.Second}
		if _, err := ConfigureTLS(srv, TLSOptions{EnableHTTP2: h2}); err != nil {
			t.Fatal(err)
		}
		offered := strings.Join(srv.TLSConfig.NextProtos, ",")
		if h2 && (offered != "h2,http/1.1" || srv.TLSNextProto != nil) {
			t.Errorf("HTTP/2 on: ALPN %q, TLSNextProto %v", offered, srv.TLSNextProto)
		}
		if !h2 && (offered != "http/1.1" || srv.TLSNextProto == nil || len(srv.TLSNextProto) != 0) {
			t.Errorf("HTTP/2 off: ALPN %q, TLSNextProto %v (want a non-nil empty map)", offered, srv.TLSNextProto)
		}
	}
}

func TestParseCipherSuitesList(t *testing.T) {
	gcm := tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	chacha := tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	tests := []struct {
		name string
		in   string
		want []uint16
		err  string
	}{
		{"empty", "", nil, ""},
		{"only separators", " : :", nil, ""},
		{"spaces and empty items skipped, order kept", " TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 ::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", []uint16{chacha, gcm}, ""},
		{"names are case-sensitive", "tls_ecdhe_rsa_with_aes_128_gcm_sha256", nil, "unknown or insecure"},
		{"comma is not a separator", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", nil, "unknown or insecure"},
		{"insecure 3DES refused", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", nil, "unknown or insecure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCipherSuites(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseCipherSuites = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestTLSVersionNames(t *testing.T) {
	for in, want := range map[string]uint16{"": 0, "1.1": tls.VersionTLS11, "TLS1.2": tls.VersionTLS12, " tls1.3\t": tls.VersionTLS13} {
		if got, err := ParseTLSVersion(in); err != nil || got != want {
			t.Errorf("ParseTLSVersion(%q) = %x, %v; want %x", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.0", "tls1.0", "1", "v1.2", "1.2.0"} {
		if _, err := ParseTLSVersion(bad); err == nil || !strings.Contains(err.Error(), "want 1.1, 1.2 or 1.3") {
			t.Errorf("ParseTLSVersion(%q) = %v", bad, err)
		}
	}
	if got := tlsVersionName(tls.VersionTLS12); got != "1.2" {
		t.Errorf("tlsVersionName(1.2) = %q", got)
	}
	if got := tlsVersionName(tls.VersionTLS10); got != "0x0301" {
		t.Errorf("tlsVersionName(1.0) = %q, want the hex value", got)
	}
}
