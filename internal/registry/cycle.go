package registry

import (
	"context"
	"strconv"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// Cycle memoises registry answers for one update cycle. It is safe for
// concurrent use. Drop it when the cycle ends; the Client's caches outlive it.
type Cycle struct {
	client   *Client
	listings *memo[Listing]
	digests  *memo[string]
	down     downRegistries
	groups   scopeGroups
	// referrers memoises referrers API answers by target and digest.
	referrers *memo[referrersAnswer]
}

// Listing is one repository's tag listing, split by validity.
type Listing struct {
	// Tags are the valid tag references, in the order the registry lists them.
	Tags []string
	// Invalid are the listed names that are not valid OCI tag references
	// (see policy.ValidTag), in listing order. They are never used in a
	// request or offered to a strategy.
	Invalid []string
}

// Tags returns the valid tags of repo, in the order the registry lists them
// (registries.conf tagsortmode latest-first/latest-last needs no more than
// that order); see Listing for what is dropped. Do not modify the slice.
func (cy *Cycle) Tags(ctx context.Context, repo name.Repository, auth authn.Authenticator) ([]string, error) {
	l, err := cy.Listing(ctx, repo, auth)
	return l.Tags, err
}

// Listing lists repo once per credential identity and cycle; concurrent
// callers wait for that one listing. A failed or cut listing is an error,
// never a partial list. Do not modify the slices.
func (cy *Cycle) Listing(ctx context.Context, repo name.Repository, auth authn.Authenticator) (Listing, error) {
	host, err := cy.down.check(cy.client, repo)
	if err != nil {
		return Listing{}, err
	}
	l, err := cy.listing(ctx, repo, auth)
	cy.down.note(host, err)
	return l, err
}

func (cy *Cycle) listing(ctx context.Context, repo name.Repository, auth authn.Authenticator) (Listing, error) {
	t, err := cy.target(ctx, repo, auth)
	if err != nil {
		return Listing{}, err
	}
	if g, shared := sharedGroup(t.transport); shared && cy.client.refusesGroups(g.id) {
		// Another repository found the shared token insufficient.
		cy.client.auths.drop(t.key)
		if t, err = cy.target(ctx, repo, auth); err != nil {
			return Listing{}, err
		}
	}
	return cy.listings.do(ctx, t.key, func(ctx context.Context) (Listing, error) {
		tags, err := bounded(ctx, cy.client, func(ctx context.Context) ([]string, error) {
			return cy.client.listTags(ctx, t)
		})
		if g, shared := sharedGroup(t.transport); shared && refusedByScope(wrapErr("", err)) {
			// The shared token does not cover this repository: the token
			// server grants fewer scopes than asked for. Ask for this
			// repository's own token and list again.
			cy.client.refuseGroups(ctx, g)
			cy.client.auths.drop(t.key)
			if t, err = cy.target(ctx, repo, auth); err != nil {
				return Listing{}, err
			}
			tags, err = bounded(ctx, cy.client, func(ctx context.Context) ([]string, error) {
				return cy.client.listTags(ctx, t)
			})
		}
		if err != nil {
			return Listing{}, wrapErr("list tags of "+repo.Name(), err)
		}
		l := splitValid(tags)
		if len(l.Invalid) > 0 {
			cy.client.opts.logger.WarnContext(ctx, "registry listed invalid tag names; they are ignored",
				"repository", repo.Name(), "count", len(l.Invalid), "first", quoteShort(l.Invalid[0]))
		}
		return l, nil
	})
}

// quoteShort renders a registry-supplied name safely for a log line:
// ASCII-only quoting, at most 80 bytes of it.
func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strconv.QuoteToASCII(s)
}

// splitValid separates valid tag references from other listed names.
func splitValid(tags []string) Listing {
	l := Listing{Tags: make([]string, 0, len(tags))}
	for _, tag := range tags {
		if policy.ValidTag(tag) {
			l.Tags = append(l.Tags, tag)
		} else {
			l.Invalid = append(l.Invalid, tag)
		}
	}
	return l
}

// Metadata returns what policies may ask about repo's tags, with auth's
// credentials. Nothing is requested until a method is called.
func (cy *Cycle) Metadata(repo name.Repository, auth authn.Authenticator) policy.Metadata {
	return &repoMetadata{cycle: cy, repo: repo, auth: auth}
}

var _ policy.Metadata = (*repoMetadata)(nil)
