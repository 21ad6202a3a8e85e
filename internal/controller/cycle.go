package controller

import (
	"sync"
	"time"

	"github.com/imagepilot/imagepilot/internal/registry"
)

// cycles hands out the registry cycle of the current interval, so that
// ImageUpdaters reconciled within one interval share tag listings.
type cycles struct {
	client   *registry.Client
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	current *registry.Cycle
	started time.Time
}

func (c *cycles) get() *registry.Cycle {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.current == nil || now.Sub(c.started) >= c.interval {
		c.current, c.started = c.client.NewCycle(), now
	}
	return c.current
}

// fresh starts a new cycle now (a one-shot pass wants current data).
func (c *cycles) fresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current = nil
}
