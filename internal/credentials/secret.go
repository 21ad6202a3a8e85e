package credentials

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
)

// secretSource reads "user:password" from one key of a Kubernetes Secret.
type secretSource struct {
	ref    ref
	getter SecretGetter
}

// String names the reference.
func (s *secretSource) String() string { return s.ref.String() }

// Resolve reads the Secret on every call.
func (s *secretSource) Resolve(ctx context.Context) (authn.AuthConfig, error) {
	data, err := s.getter.GetSecret(ctx, s.ref.namespace, s.ref.name)
	if err != nil {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: reading secret: %w", s, err)
	}
	value, ok := data[s.ref.key]
	if !ok {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: secret has no key %q", s, s.ref.key)
	}
	return SplitUserPassword(trimNewlines(string(value)), "credentials "+s.String())
}
