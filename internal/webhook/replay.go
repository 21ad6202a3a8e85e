package webhook

import (
	"container/list"
	"sync"
	"time"
)

// replayCache remembers recent delivery ids, at most max of them and each
// for at most ttl, evicting the oldest first.
type replayCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	seen  map[string]*list.Element
	order *list.List // of replayEntry, oldest at the front
}

type replayEntry struct {
	key string
	at  time.Time
}

func newReplayCache(max int, ttl time.Duration) *replayCache {
	return &replayCache{max: max, ttl: ttl, seen: map[string]*list.Element{}, order: list.New()}
}

// remember records key and reports whether it was already known.
func (c *replayCache) remember(key string, now time.Time) (replayed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, ok := c.seen[key]; ok {
		return true
	}
	c.seen[key] = c.order.PushBack(replayEntry{key: key, at: now})
	for c.order.Len() > c.max {
		c.evict(c.order.Front())
	}
	return false
}

func (c *replayCache) expire(now time.Time) {
	for front := c.order.Front(); front != nil; front = c.order.Front() {
		if now.Sub(front.Value.(replayEntry).at) < c.ttl {
			return
		}
		c.evict(front)
	}
}

func (c *replayCache) evict(e *list.Element) {
	delete(c.seen, e.Value.(replayEntry).key)
	c.order.Remove(e)
}
