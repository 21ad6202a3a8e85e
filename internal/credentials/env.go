package credentials

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
)

// envSource reads "user:password" from an environment variable.
type envSource struct {
	name   string
	lookup func(string) (string, bool)
}

// Resolve reads the variable on every call.
func (s *envSource) Resolve(context.Context) (authn.AuthConfig, error) {
	value, ok := s.lookup(s.name)
	if !ok {
		return authn.AuthConfig{}, fmt.Errorf("credentials %s: environment variable is not set", s)
	}
	return SplitUserPassword(trimNewlines(value), "credentials "+s.String())
}

// String names the reference.
func (s *envSource) String() string { return KindEnv + ":" + s.name }
