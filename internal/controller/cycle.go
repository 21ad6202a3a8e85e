package controller

import (
	"context"
	"sync"
	"time"

	"github.com/imagepilot/imagepilot/internal/access"
	"github.com/imagepilot/imagepilot/internal/imagespec"
	"github.com/imagepilot/imagepilot/internal/policy"
	"github.com/imagepilot/imagepilot/internal/registry"
	"github.com/imagepilot/imagepilot/internal/updater"
)

// cycles hands out the registry cycle of the current interval, so that
// ImageUpdaters reconciled within one interval share tag listings. A
// repository refreshed within the interval (a push, a trigger) is served
// from its newer cycle for the rest of the interval, so no pass goes back
// to the older listing.
type cycles struct {
	client   *registry.Client
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	current   *registry.Cycle
	started   time.Time
	refreshed map[string]*registry.Cycle // by repoKey
}

func (c *cycles) get() *registry.Cycle {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rollLocked()
}

func (c *cycles) rollLocked() *registry.Cycle {
	now := c.now()
	if c.current == nil || now.Sub(c.started) >= c.interval {
		c.current, c.started, c.refreshed = c.client.NewCycle(), now, nil
	}
	return c.current
}

// fresh starts a new cycle now (a one-shot pass wants current data).
func (c *cycles) fresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current, c.refreshed = nil, nil
}

// refresh starts a new cycle for the given repositories (repoKey) and
// serves them from it for the rest of the interval.
func (c *cycles) refresh(repos []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rollLocked()
	if len(repos) == 0 {
		return
	}
	cy := c.client.NewCycle()
	if c.refreshed == nil {
		c.refreshed = map[string]*registry.Cycle{}
	}
	for _, r := range repos {
		c.refreshed[r] = cy
	}
}

// view returns the planner's registry view: the interval's cycle, with
// refreshed repositories served from their newer cycles.
func (c *cycles) view(res *access.Resolver) updater.Registry {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &routedView{shared: access.NewView(res, c.rollLocked())}
	if len(c.refreshed) > 0 {
		v.byRepo = make(map[string]*access.View, len(c.refreshed))
		for k, cy := range c.refreshed {
			v.byRepo[k] = access.NewView(res, cy)
		}
	}
	return v
}

// repoKey names an image's repository as webhook events do.
func repoKey(img imagespec.Spec) string { return img.Registry + "/" + img.Repository }

// routedView serves each repository from its newest cycle.
type routedView struct {
	shared *access.View
	byRepo map[string]*access.View
}

var _ updater.Registry = (*routedView)(nil)

func (v *routedView) pick(img imagespec.Spec) *access.View {
	if r, ok := v.byRepo[repoKey(img)]; ok {
		return r
	}
	return v.shared
}

// Tags lists an image's tags from its repository's newest cycle.
func (v *routedView) Tags(ctx context.Context, img imagespec.Spec, pullSecret string) ([]string, error) {
	return v.pick(img).Tags(ctx, img, pullSecret)
}

// Metadata answers per-tag questions from the repository's newest cycle.
func (v *routedView) Metadata(ctx context.Context, img imagespec.Spec, pullSecret string) (policy.Metadata, error) {
	return v.pick(img).Metadata(ctx, img, pullSecret)
}
