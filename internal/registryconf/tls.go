package registryconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig returns the TLS settings for talking to the registry: the
// system trust store plus CAFile and CAData, TLS 1.2 or newer. Only
// Insecure turns certificate verification off (CAs are then not read).
// CAFile is read on every call, so a rotated file is picked up.
func (r Registry) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.Insecure {
		cfg.InsecureSkipVerify = true //nolint:gosec // the registry is configured insecure
		return cfg, nil
	}
	if r.CAFile == "" && r.CAData == "" {
		return cfg, nil
	}
	pool, err := systemPool()
	if err != nil {
		return nil, fmt.Errorf("registry %q: %w", r.Name, err)
	}
	if err := r.addCAs(pool); err != nil {
		return nil, fmt.Errorf("registry %q: %w", r.Name, err)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

func systemPool() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("loading system certificate pool: %w", err)
	}
	if pool == nil {
		pool = x509.NewCertPool()
	}
	return pool, nil
}

func (r Registry) addCAs(pool *x509.CertPool) error {
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return fmt.Errorf("reading ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("ca_file %s holds no PEM certificate", r.CAFile)
		}
	}
	if r.CAData != "" && !pool.AppendCertsFromPEM([]byte(r.CAData)) {
		return errors.New("ca_data holds no PEM certificate")
	}
	return nil
}
