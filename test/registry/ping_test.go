package registry

import (
	"fmt"
	"sync"
	"testing"

	"github.com/imagepilot/imagepilot/test/infra"
)

// TestOnePingPerRegistryOneTokenPerRepository authenticates to ten
// repositories of a token registry, concurrently, over three cycles: one
// ping for the registry, one token per repository scope (reused until the
// registry rejects it), one listing per repository and cycle.
func TestOnePingPerRegistryOneTokenPerRepository(t *testing.T) {
	reg := infra.StartRegistry(t, infra.RegistryOptions{Auth: infra.RegistryToken})
	ctx := ctxFor(t)
	const repos = 10
	img := infra.NewImage(t, infra.ImageSpec{})
	for i := range repos {
		infra.PushImage(t, reg.Repo(fmt.Sprintf("many/app%d", i)), img, reg.RemoteOptions(ctx), "1")
	}
	reg.Proxy.Reset()
	issued := reg.Token.Issued()
	c := newClient(t, reg)
	for cycle := range 3 {
		cy := c.NewCycle()
		var wg sync.WaitGroup
		errs := make(chan error, repos*3)
		for i := range repos * 3 { // three images per repository
			wg.Go(func() {
				_, err := cy.Tags(ctx, repoOf(t, reg, fmt.Sprintf("many/app%d", i%repos)), reg.Auth())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		want := map[string]int{"GET tags": repos}
		if cycle == 0 {
			want["GET ping"], want["GET token"] = 1, repos
		}
		assertCounts(t, reg, want)
	}
	if n := reg.Token.Issued() - issued; n != repos {
		t.Errorf("tokens issued = %d, want %d", n, repos)
	}
}
