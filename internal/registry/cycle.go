package registry

import (
	"context"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/imagepilot/imagepilot/internal/policy"
)

// Cycle memoises registry answers for one update cycle. It is safe for
// concurrent use. Drop it when the cycle ends; the Client's caches outlive it.
type Cycle struct {
	client  *Client
	tags    *memo[[]string]
	digests *memo[string]
}

// Tags returns every tag of repo, in the order the registry lists them
// (registries.conf tagsortmode latest-first/latest-last needs no more than
// that order). It lists each repository once per credential identity and
// cycle; concurrent callers wait for that one listing. A failed or cut
// listing is an error, never a partial list. Do not modify the slice.
func (cy *Cycle) Tags(ctx context.Context, repo name.Repository, auth authn.Authenticator) ([]string, error) {
	t, err := cy.client.target(ctx, repo, auth)
	if err != nil {
		return nil, err
	}
	return cy.tags.do(ctx, t.key, func(ctx context.Context) ([]string, error) {
		tags, err := cy.client.listTags(ctx, t)
		if err != nil {
			return nil, wrapErr("list tags of "+repo.Name(), err)
		}
		return tags, nil
	})
}

// Metadata returns what policies may ask about repo's tags, with auth's
// credentials. Nothing is requested until a method is called.
func (cy *Cycle) Metadata(repo name.Repository, auth authn.Authenticator) policy.Metadata {
	return &repoMetadata{cycle: cy, repo: repo, auth: auth}
}

var _ policy.Metadata = (*repoMetadata)(nil)
