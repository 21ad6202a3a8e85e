package cloudauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Steps of a login, as [StepError] names them.
const (
	// StepTokenFile is reading the projected token or key file.
	StepTokenFile = "token file"
	// StepCloudCredentials is obtaining the cloud identity (STS, metadata
	// server, Entra ID).
	StepCloudCredentials = "cloud credentials"
	// StepRegistryExchange is trading the cloud identity for registry
	// credentials (ECR/ACR GetAuthorizationToken, ACR /oauth2/exchange).
	StepRegistryExchange = "registry token exchange"
)

// StepError is a failed login: which provider, for which registry, at
// which step. It never holds a token.
type StepError struct {
	Provider Provider
	Host     string
	Step     string
	Err      error
}

// Error renders "provider:P for HOST: STEP: cause".
func (e *StepError) Error() string {
	return fmt.Sprintf("provider:%s for %s: %s: %v", e.Provider, e.Host, e.Step, e.Err)
}

// Unwrap returns the cause.
func (e *StepError) Unwrap() error { return e.Err }

// Target is the registry the credentials are for.
type Target struct {
	// Host is the registry host of the image names (registries.conf
	// prefix host), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com.
	Host string
	// APIURL is where the registry answers (registries.conf api_url);
	// the ACR exchange is sent there. Empty means https://Host.
	APIURL string
	// TLS is the registry's TLS configuration for the ACR exchange (nil:
	// system roots).
	TLS *tls.Config
}

// Source logs in to one registry. It is safe for concurrent use.
type Source struct {
	reg    Registry
	target Target
	fetch  func(ctx context.Context) (authn.AuthConfig, time.Time, error)
}

// New binds spec to the target registry ([Spec.Bind]) and returns its
// source. It does no I/O.
func New(spec Spec, target Target) (*Source, error) {
	reg, err := spec.Bind(target.Host)
	if err != nil {
		return nil, err
	}
	if target.APIURL == "" {
		target.APIURL = "https://" + reg.Host
	}
	if u, err := url.Parse(target.APIURL); err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: provider:%s: registry API URL is not a URL", ErrInvalidSpec, reg.Provider)
	}
	s := &Source{reg: reg, target: target}
	switch reg.Provider {
	case AWS:
		s.fetch = s.awsLogin
	case GCP:
		s.fetch = s.gcpLogin
	case Azure:
		s.fetch = s.azureLogin
	default:
		s.fetch = s.alibabaLogin
	}
	return s, nil
}

// Registry returns the bound registry.
func (s *Source) Registry() Registry { return s.reg }

// String describes the source without secrets.
func (s *Source) String() string {
	return fmt.Sprintf("provider:%s for %s", s.reg.Provider, s.reg.Host)
}

// Resolve logs in and returns the registry credentials.
func (s *Source) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	cfg, _, err := s.ResolveExpiring(ctx)
	return cfg, err
}

// ResolveExpiring logs in and returns the registry credentials with the
// time they stop being valid.
func (s *Source) ResolveExpiring(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	cfg, exp, err := s.fetch(ctx)
	if err != nil {
		return authn.AuthConfig{}, time.Time{}, err
	}
	if cfg.Username == "" || cfg.Password == "" {
		return authn.AuthConfig{}, time.Time{}, s.fail(StepRegistryExchange, errors.New("the registry returned empty credentials"))
	}
	return cfg, exp, nil
}

func (s *Source) fail(step string, err error) error {
	return &StepError{Provider: s.reg.Provider, Host: s.reg.Host, Step: step, Err: err}
}

// checkTokenFile fails the token file step when the environment variable
// names a file that cannot be read, before an SDK hides why.
func (s *Source) checkTokenFile(envVar string) error {
	path := os.Getenv(envVar)
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return s.fail(StepTokenFile, fmt.Errorf("%s: %w", envVar, err))
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return s.fail(StepTokenFile, fmt.Errorf("%s: %w", envVar, err))
	case st.Size() == 0:
		return s.fail(StepTokenFile, fmt.Errorf("%s: %s is empty", envVar, path))
	}
	return nil
}

// httpClient is the client for the registry's own endpoints.
func (s *Source) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.target.TLS != nil {
		tr.TLSClientConfig = s.target.TLS.Clone()
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
