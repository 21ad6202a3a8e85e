package registry

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/registryconf"
	"github.com/imagepilot/imagepilot/test/infra"
)

// testRetry keeps failing tests quick while honouring Retry-After.
var testRetry = registry.RetryPolicy{
	MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	MaxRetryAfter: 5 * time.Second, MaxTotal: 30 * time.Second,
}

// resolverFor points every lookup at reg, trusting its CA when it has one.
func resolverFor(reg *infra.Registry) registry.Resolver {
	return func(host, repo string) registryconf.Registry {
		r := registryconf.Registry{Name: "test", APIURL: reg.URL, Prefix: reg.Host}
		if reg.CA != nil {
			r.CAData = string(reg.CA.PEM)
		}
		return r
	}
}

func newClient(t *testing.T, reg *infra.Registry, opts ...registry.Option) *registry.Client {
	t.Helper()
	c, err := registry.New(append([]registry.Option{registry.WithResolver(resolverFor(reg)), registry.WithRetryPolicy(testRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func repoOf(t *testing.T, reg *infra.Registry, path string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(reg.Repo(path))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// assertCounts compares the proxy's "METHOD kind" counts with want exactly.
func assertCounts(t *testing.T, reg *infra.Registry, want map[string]int) {
	t.Helper()
	got := reg.Proxy.Counts()
	for k, v := range got {
		if want[k] != v {
			t.Errorf("requests %q = %d, want %d (all: %v)", k, v, want[k], got)
		}
	}
	for k, v := range want {
		if _, ok := got[k]; !ok && v != 0 {
			t.Errorf("requests %q = 0, want %d (all: %v)", k, v, got)
		}
	}
	reg.Proxy.Reset()
}
