package credentials

import (
	"context"
	"errors"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Source resolves registry credentials. Implementations are safe for
// concurrent use.
type Source interface {
	// Resolve returns the credentials. Errors never contain secret values.
	Resolve(ctx context.Context) (authn.AuthConfig, error)
}

// Expiring is a Source whose credentials stop being valid at a known time
// (cloud registry tokens). [Cached] refreshes them before that time.
type Expiring interface {
	Source
	// ResolveExpiring returns the credentials and when they expire (the
	// zero time: unknown).
	ResolveExpiring(ctx context.Context) (authn.AuthConfig, time.Time, error)
}

// SecretGetter reads a Kubernetes Secret's data. The Kubernetes side of the
// program implements it.
type SecretGetter interface {
	// GetSecret returns the data of Secret namespace/name.
	GetSecret(ctx context.Context, namespace, name string) (map[string][]byte, error)
}

// ErrInvalidRef marks a malformed or unusable credential reference; it is a
// configuration error, retrying will not help.
var ErrInvalidRef = errors.New("invalid credential reference")

// Static is a Source that always returns the same credentials.
type Static authn.AuthConfig

// Resolve returns the fixed credentials.
func (s Static) Resolve(context.Context) (authn.AuthConfig, error) {
	return authn.AuthConfig(s), nil
}

// String describes the source without revealing the credentials.
func (s Static) String() string { return "plain credentials" }
