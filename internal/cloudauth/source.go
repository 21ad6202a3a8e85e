package cloudauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
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
	// ServiceAccounts issues the tokens of serviceAccount= specs; nil
	// outside a cluster, where such specs are refused.
	ServiceAccounts ServiceAccountTokens
}

// Source logs in to one registry. It is safe for concurrent use.
type Source struct {
	reg    Registry
	target Target
	fetch  func(ctx context.Context) (authn.AuthConfig, time.Time, error)
	now    func() time.Time

	mu          sync.Mutex
	failure     error     // the last failed login, replayed until failedUntil
	failedUntil time.Time // zero: no failure remembered
}

// FailureTTL is how long a failed login is replayed to every caller
// instead of being retried: the images of one cycle behind a broken role
// cost one failed exchange, and all of them report its step.
const FailureTTL = 30 * time.Second

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
	if reg.ServiceAccount != "" && target.ServiceAccounts == nil {
		return nil, fmt.Errorf("%w: provider:%s: %w; give the role to the controller's own identity instead, or run imagepilot as the controller", ErrInvalidSpec, reg.Provider, ErrNoServiceAccounts)
	}
	s := &Source{reg: reg, target: target, now: time.Now}
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
//
// A failed login is remembered for [FailureTTL]: calls within it return
// the same error (naming the failed step) without a new exchange. Logins
// ended by ctx are not remembered.
func (s *Source) ResolveExpiring(ctx context.Context) (authn.AuthConfig, time.Time, error) {
	if err := s.recentFailure(); err != nil {
		return authn.AuthConfig{}, time.Time{}, err
	}
	cfg, exp, err := s.fetch(ctx)
	if err == nil && (cfg.Username == "" || cfg.Password == "") {
		err = s.fail(StepRegistryExchange, errors.New("the registry returned empty credentials"))
	}
	if err != nil {
		if ctx.Err() == nil {
			s.remember(err)
		}
		return authn.AuthConfig{}, time.Time{}, err
	}
	s.mu.Lock()
	s.failure, s.failedUntil = nil, time.Time{}
	s.mu.Unlock()
	return cfg, exp, nil
}

// recentFailure returns the remembered failure while it is recent.
func (s *Source) recentFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure == nil || !s.clock().Before(s.failedUntil) {
		return nil
	}
	return &ReplayedError{Err: s.failure, Until: s.failedUntil}
}

func (s *Source) remember(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failure, s.failedUntil = err, s.clock().Add(FailureTTL)
}

func (s *Source) clock() time.Time {
	if s.now == nil {
		return time.Now()
	}
	return s.now()
}

// ReplayedError is a failed login returned again, without a new exchange,
// until Until. It unwraps to the original (a [*StepError]).
type ReplayedError struct {
	Err   error
	Until time.Time
}

// Error renders the original error and when the login is tried again.
func (e *ReplayedError) Error() string {
	return fmt.Sprintf("%v (failed recently; not retried before %s)", e.Err, e.Until.UTC().Format(time.TimeOnly))
}

// Unwrap returns the original error.
func (e *ReplayedError) Unwrap() error { return e.Err }

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
