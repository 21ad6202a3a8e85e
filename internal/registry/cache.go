package registry

import (
	"container/list"
	"sync"
	"time"
)

// lru is a bounded, concurrency-safe least-recently-used cache.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recent; values are *lruEntry[V]
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry[V]).val, true
}

func (c *lru[V]) put(key string, val V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*lruEntry[V]).val = val
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry[V]{key: key, val: val})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*lruEntry[V]).key)
	}
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// expiring wraps values with the time they stop being valid.
type expiring[V any] struct {
	val     V
	expires time.Time
}

// ttlCache is an lru whose entries expire.
type ttlCache[V any] struct {
	entries *lru[expiring[V]]
	ttl     time.Duration
}

func newTTLCache[V any](max int, ttl time.Duration) *ttlCache[V] {
	return &ttlCache[V]{entries: newLRU[expiring[V]](max), ttl: ttl}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	e, ok := c.entries.get(key)
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.val, true
}

func (c *ttlCache[V]) put(key string, val V, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.entries.put(key, expiring[V]{val: val, expires: now.Add(c.ttl)})
}
