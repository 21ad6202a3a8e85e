package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Default TLS settings of the webhook server: the certificate files where
// Argo CD Image Updater's install manifests mount the
// argocd-image-updater-tls Secret, and TLS 1.3 only.
const (
	DefaultTLSCertFile   = "/app/config/tls/tls.crt"
	DefaultTLSKeyFile    = "/app/config/tls/tls.key"
	DefaultTLSMinVersion = "1.3"
	DefaultTLSMaxVersion = "1.3"
)

// TLSOptions configure HTTPS for the webhook server.
type TLSOptions struct {
	// CertFile and KeyFile hold a PEM certificate (chain) and key. When
	// both are missing or empty a self-signed certificate is generated;
	// when only one is there, or they do not load, that is an error.
	CertFile, KeyFile string
	// MinVersion and MaxVersion are "1.1", "1.2" or "1.3" (or "tls1.2"
	// ...); empty leaves Go's default.
	MinVersion, MaxVersion string
	// Ciphers is a colon-separated list of Go cipher suite names; empty
	// leaves Go's defaults. Only TLS 1.2 and older suites are
	// configurable.
	Ciphers string
	// EnableHTTP2 offers HTTP/2 through ALPN; off by default (HTTP/2
	// rapid-reset and stream-cancellation attacks).
	EnableHTTP2 bool
	// Now is the clock for certificate validity (time.Now when nil).
	Now func() time.Time
}

// CertSource says where the served certificate came from.
type CertSource string

// The certificate sources ConfigureTLS reports.
const (
	CertFromFiles  CertSource = "files"
	CertSelfSigned CertSource = "self-signed"
)

var tlsVersions = map[string]uint16{
	"1.1": tls.VersionTLS11, "tls1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12, "tls1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13, "tls1.3": tls.VersionTLS13,
}

// ParseTLSVersion parses "1.2", "tls1.3" and the like; "" is 0 (Go's
// default).
func ParseTLSVersion(s string) (uint16, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, nil
	}
	v, ok := tlsVersions[s]
	if !ok {
		return 0, fmt.Errorf("TLS version %q: want 1.1, 1.2 or 1.3", s)
	}
	return v, nil
}

// ParseCipherSuites parses a colon-separated list of Go cipher suite
// names (tls.CipherSuites; insecure suites are refused).
func ParseCipherSuites(s string) ([]uint16, error) {
	var ids []uint16
	for _, name := range strings.Split(s, ":") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		i := slices.IndexFunc(tls.CipherSuites(), func(c *tls.CipherSuite) bool { return c.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("TLS cipher suite %q is unknown or insecure", name)
		}
		ids = append(ids, tls.CipherSuites()[i].ID)
	}
	return ids, nil
}

// Config builds the server's tls.Config (without certificates).
func (o TLSOptions) Config() (*tls.Config, error) {
	minV, err := ParseTLSVersion(o.MinVersion)
	if err != nil {
		return nil, fmt.Errorf("--tlsminversion: %w", err)
	}
	maxV, err := ParseTLSVersion(o.MaxVersion)
	if err != nil {
		return nil, fmt.Errorf("--tlsmaxversion: %w", err)
	}
	if minV != 0 && maxV != 0 && minV > maxV {
		return nil, fmt.Errorf("--tlsminversion %s is above --tlsmaxversion %s", o.MinVersion, o.MaxVersion)
	}
	ciphers, err := ParseCipherSuites(o.Ciphers)
	if err != nil {
		return nil, fmt.Errorf("--tlsciphers: %w", err)
	}
	if len(ciphers) > 0 && (minV == tls.VersionTLS13 || (minV == 0 && maxV == tls.VersionTLS13)) {
		return nil, fmt.Errorf("--tlsciphers cannot apply with TLS 1.3 only (its suites are fixed); set --tlsminversion 1.2 to use them")
	}
	for _, id := range ciphers {
		if err := cipherSupports(id, minV); err != nil {
			return nil, err
		}
	}
	cfg := &tls.Config{MinVersion: minV, MaxVersion: maxV, CipherSuites: ciphers} //nolint:gosec // versions are the user's choice, TLS 1.3 by default
	if o.EnableHTTP2 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	} else {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg, nil
}

func cipherSupports(id, version uint16) error {
	if version == 0 {
		return nil
	}
	for _, c := range tls.CipherSuites() {
		if c.ID == id && !slices.Contains(c.SupportedVersions, version) {
			return fmt.Errorf("--tlsciphers: %s does not support TLS version %s", c.Name, tlsVersionName(version))
		}
	}
	return nil
}

func tlsVersionName(v uint16) string {
	for _, name := range []string{"1.1", "1.2", "1.3"} {
		if tlsVersions[name] == v {
			return name
		}
	}
	return fmt.Sprintf("0x%04x", v)
}

// ConfigureTLS sets srv up for ServeTLS(ln, "", ""): the certificate from
// the files, else a self-signed one, and HTTP/2 only when enabled.
func ConfigureTLS(srv *http.Server, o TLSOptions) (CertSource, error) {
	cfg, err := o.Config()
	if err != nil {
		return "", err
	}
	cert, source, err := o.certificate()
	if err != nil {
		return "", err
	}
	cfg.Certificates = []tls.Certificate{cert}
	srv.TLSConfig = cfg
	if !o.EnableHTTP2 {
		// A non-nil empty map keeps net/http from adding HTTP/2 itself.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	return source, nil
}

// certificate loads the configured key pair or generates one.
func (o TLSOptions) certificate() (tls.Certificate, CertSource, error) {
	certOK, err := nonEmptyFile(o.CertFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate: %w", err)
	}
	keyOK, err := nonEmptyFile(o.KeyFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS key: %w", err)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	switch {
	case !certOK && !keyOK:
		cert, err := selfSigned(now())
		return cert, CertSelfSigned, err
	case !certOK || !keyOK:
		return tls.Certificate{}, "", fmt.Errorf("TLS: need both %s and %s, only one is there", o.CertFile, o.KeyFile)
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS key pair %s, %s: %w", o.CertFile, o.KeyFile, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate %s: %w", o.CertFile, err)
	}
	if t := now(); t.After(leaf.NotAfter) || t.Before(leaf.NotBefore) {
		return tls.Certificate{}, "", fmt.Errorf("TLS certificate %s is valid only from %s to %s", o.CertFile, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return cert, CertFromFiles, nil
}

// nonEmptyFile reports whether path names a non-empty file; a missing file
// (or an empty path) is false, any other failure an error.
func nonEmptyFile(path string) (bool, error) {
	if path == "" {
		return false, nil
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if st.IsDir() {
		return false, fmt.Errorf("%s is a directory", path)
	}
	return st.Size() > 0, nil
}

// selfSigned makes a one-year ECDSA P-256 server certificate for
// localhost, 127.0.0.1 and ::1.
func selfSigned(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"imagepilot"}, CommonName: "imagepilot webhook"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
