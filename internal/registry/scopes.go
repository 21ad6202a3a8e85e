package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// maxScopesPerToken bounds the repositories one token request names (the
// request URL stays a few kilobytes long).
const maxScopesPerToken = 50

// Expected is a repository a cycle is going to ask about, with the
// credentials it will use.
type Expected struct {
	Repo name.Repository
	Auth authn.Authenticator
}

// Expect announces the repositories the cycle is going to list. Those of
// one registry and credential identity that have no token yet share one:
// the first of them to connect asks the token server for a token that
// grants pull on all of them (up to 50 a token), so a cycle over N
// repositories of a registry costs one token request instead of N. A
// registry whose token server does not grant all the scopes it is asked
// for is detected when a listing with the shared token is refused; that
// repository, and from then on every repository of that registry and
// identity, gets a token of its own. Announcing is optional: a repository
// not announced gets its own token, as before.
func (cy *Cycle) Expect(repos []Expected) {
	byGroup := map[string][]resolved{}
	var order []string
	seen := map[string]bool{}
	for _, e := range repos {
		r, err := cy.client.resolve(e.Repo, e.Auth)
		if err != nil || seen[r.key] || cy.client.refusesGroups(r.groupKey) || cy.client.auths.has(r.key) {
			continue // a bad reference fails when it is asked about
		}
		seen[r.key] = true
		if _, ok := byGroup[r.groupKey]; !ok {
			order = append(order, r.groupKey)
		}
		byGroup[r.groupKey] = append(byGroup[r.groupKey], r)
	}
	var groups []*scopeGroup
	for _, gk := range order {
		for chunk := range slices.Chunk(byGroup[gk], maxScopesPerToken) {
			g := &scopeGroup{id: gk, resolved: chunk[0]}
			for _, r := range chunk {
				g.scopes = append(g.scopes, r.apiRepo.Scope(transport.PullScope))
				g.keys = append(g.keys, r.key)
			}
			groups = append(groups, g)
		}
	}
	cy.groups.add(groups)
}

// target is the client's target with the cycle's shared tokens.
func (cy *Cycle) target(ctx context.Context, repo name.Repository, auth authn.Authenticator) (*target, error) {
	return cy.client.targetIn(ctx, repo, auth, &cy.groups)
}

// scopeGroups maps announced repositories (by target key) to the group
// whose token they share.
type scopeGroups struct {
	mu     sync.Mutex
	member map[string]*scopeGroup
}

func (s *scopeGroups) add(groups []*scopeGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.member == nil {
		s.member = map[string]*scopeGroup{}
	}
	for _, g := range groups {
		if len(g.keys) < 2 {
			continue // one repository: nothing to share
		}
		for _, k := range g.keys {
			s.member[k] = g
		}
	}
}

// of returns key's group, or nil.
func (s *scopeGroups) of(key string) *scopeGroup {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.member[key]
}

// scopeGroup is repositories of one registry and credential identity that
// share a token.
type scopeGroup struct {
	// id is the registry and credential identity (resolved.groupKey).
	id string
	// resolved is the first member: its registry settings and credentials
	// are every member's.
	resolved resolved
	scopes   []string
	keys     []string

	once sync.Mutex
	tr   http.RoundTripper
}

// transport returns the group's authenticated transport, asking for the
// token on first use (a failure is not kept: the next member tries again).
func (g *scopeGroup) transport(ctx context.Context, c *Client) (http.RoundTripper, error) {
	g.once.Lock()
	defer g.once.Unlock()
	if g.tr != nil {
		return g.tr, nil
	}
	r := g.resolved
	base, err := c.chain(r.reg, r.apiRepo.RegistryStr())
	if err != nil {
		return nil, err
	}
	base = transport.NewUserAgent(base, c.opts.userAgent)
	tr, err := transport.NewWithContext(ctx, r.apiRepo.Registry, r.auth, base, slices.Clone(g.scopes))
	if err != nil {
		return nil, fmt.Errorf("authenticate to %s: %w", r.apiRepo.RegistryStr(), err)
	}
	c.opts.logger.DebugContext(ctx, "registry transport ready", "registry", r.apiRepo.RegistryStr(), "repositories", len(g.scopes))
	g.tr = &groupTransport{RoundTripper: tr, group: g}
	return g.tr, nil
}

// groupTransport marks a transport whose token was issued for a group.
type groupTransport struct {
	http.RoundTripper
	group *scopeGroup
}

// sharedGroup returns the group of a transport that uses a shared token.
func sharedGroup(tr http.RoundTripper) (*scopeGroup, bool) {
	g, ok := tr.(*groupTransport)
	if !ok {
		return nil, false
	}
	return g.group, true
}

// refusedByScope reports whether err is how a registry answers a token
// that lacks the repository's scope (401/403, or 404 from registries that
// hide what a token may not see).
func refusedByScope(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound)
}

// refuseGroups records that g's token server does not honour tokens for
// several repositories.
func (c *Client) refuseGroups(ctx context.Context, g *scopeGroup) {
	if _, loaded := c.refused.LoadOrStore(g.id, true); !loaded {
		c.opts.logger.InfoContext(ctx, "registry did not grant one token for several repositories; asking for one per repository",
			"registry", g.resolved.apiRepo.RegistryStr())
	}
}

func (c *Client) refusesGroups(group string) bool {
	_, ok := c.refused.Load(group)
	return ok
}
