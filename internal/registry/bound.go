package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// bounded runs fn with the client's operation timeout. When that timeout
// (not the caller's context) ends fn, the error wraps errRequestTimeout,
// so it is classified ErrTimeout and remembered for the cycle like any
// registry failure.
func bounded[T any](ctx context.Context, c *Client, fn func(context.Context) (T, error)) (T, error) {
	octx, cancel := context.WithTimeout(ctx, c.opts.operationTimeout)
	defer cancel()
	v, err := fn(octx)
	if err != nil && ctx.Err() == nil && octx.Err() != nil && !errors.Is(err, errRequestTimeout) {
		var zero T
		return zero, fmt.Errorf("%w: operation not finished within %s", errRequestTimeout, c.opts.operationTimeout)
	}
	return v, err
}

// downRegistries remembers, for one cycle, the registries that timed out:
// later operations on them fail at once instead of waiting out their own
// timeouts, so one stuck registry delays other images by one timeout at
// most.
type downRegistries struct {
	mu    sync.Mutex
	hosts map[string]error
}

// check fails when repo's registry timed out earlier in the cycle.
func (d *downRegistries) check(c *Client, repo name.Repository) (string, error) {
	host := c.apiHost(repo)
	d.mu.Lock()
	first, down := d.hosts[host]
	d.mu.Unlock()
	if !down {
		return host, nil
	}
	return host, &Error{Op: "reach " + repo.Name(), Kind: ErrTimeout,
		Err: fmt.Errorf("not asked again in this cycle: registry %s timed out earlier (%v)", host, first)}
}

// note records err against host when it is a timeout.
func (d *downRegistries) note(host string, err error) {
	if !errors.Is(err, ErrTimeout) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.hosts == nil {
		d.hosts = map[string]error{}
	}
	if _, ok := d.hosts[host]; !ok {
		d.hosts[host] = err
	}
}

// apiHost is the host requests for repo go to (after registries.conf).
func (c *Client) apiHost(repo name.Repository) string {
	apiRepo, err := apiRepository(c.opts.resolver(repo.RegistryStr(), repo.RepositoryStr()), repo)
	if err != nil {
		return repo.RegistryStr()
	}
	return apiRepo.RegistryStr()
}
