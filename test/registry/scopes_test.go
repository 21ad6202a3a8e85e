package registry

import (
	"fmt"
	"testing"

	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/test/infra"
)

// TestOneTokenForEveryRepositoryOfACycle runs against the real
// docker-registry with token auth: a cycle that announces its 30
// repositories asks the token server once (the floor: one ping, one token,
// one listing per repository); a token server that grants only the first
// scope is detected and every repository still gets listed.
func TestOneTokenForEveryRepositoryOfACycle(t *testing.T) {
	for _, tc := range []struct {
		name      string
		firstOnly bool
		repos     int
		want      map[string]int
	}{
		{"scopes granted together", false, 30, map[string]int{"GET ping": 1, "GET token": 1, "GET tags": 30}},
		// The first repository uses the shared token; the second is
		// refused twice (go-containerregistry refreshes once) and gets its
		// own token; the rest get their own tokens straight away.
		{"one scope per token", true, 5, map[string]int{"GET ping": 1, "GET token": 6, "GET tags": 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
			reg.Token.GrantFirstScopeOnly = tc.firstOnly
			ctx := ctxFor(t)
			img := infra.NewImage(t, infra.ImageSpec{})
			var repos []registry.Expected
			for i := range tc.repos {
				path := fmt.Sprintf("team/app%02d", i)
				infra.PushImage(t, reg.Repo(path), img, reg.RemoteOptions(ctx), "1.0.0")
				repos = append(repos, registry.Expected{Repo: repoOf(t, reg, path), Auth: reg.Auth()})
			}
			reg.Proxy.Reset()
			c := newClient(t, reg)
			cy := c.NewCycle()
			cy.Expect(repos)
			for _, e := range repos {
				tags, err := cy.Tags(ctx, e.Repo, e.Auth)
				if err != nil || len(tags) != 1 {
					t.Fatalf("%s: %v, %v", e.Repo, tags, err)
				}
			}
			assertCounts(t, reg, tc.want)
		})
	}
}
