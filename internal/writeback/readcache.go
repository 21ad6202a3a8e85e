package writeback

import (
	"crypto/sha256"
	"sync"

	"github.com/imagepilot/imagepilot/internal/target"
	"github.com/imagepilot/imagepilot/internal/yamledit"
)

// DefaultReadCacheSize bounds the file content a ReadCache keeps parsed
// (two files of the largest size read; a parsed tree takes many times the
// bytes of its text).
const DefaultReadCacheSize = 2 * yamledit.MaxFileSize

// ReadCache keeps parsed files by their content, so reading the deployed
// versions of many images from the same file (planning a cycle) parses it
// once. Entries are keyed by a hash of the content, so a changed file is
// simply a new entry; the oldest entries go when the total size passes the
// bound. It is safe for concurrent use.
type ReadCache struct {
	mu      sync.Mutex
	max     int
	size    int
	entries map[cacheKey]*cacheEntry
	order   []cacheKey
	parses  int // files parsed (for tests)
}

type cacheKey struct {
	sum      [32]byte
	override bool
}

type cacheEntry struct {
	size     int
	doc      *yamledit.Doc
	override yamledit.SourceOverride
	err      error
}

// NewReadCache returns a cache holding up to maxBytes of file content
// (DefaultReadCacheSize when maxBytes <= 0).
func NewReadCache(maxBytes int) *ReadCache {
	if maxBytes <= 0 {
		maxBytes = DefaultReadCacheSize
	}
	return &ReadCache{max: maxBytes, entries: map[cacheKey]*cacheEntry{}}
}

// NewLayout returns a Layout for the controller namespace with a ReadCache.
func NewLayout(controllerNamespace string) Layout {
	return Layout{ControllerNamespace: controllerNamespace, Cache: NewReadCache(0)}
}

// read is the package's read through the cache.
func (c *ReadCache) read(kind string, t target.Target, data []byte) (Value, bool, error) {
	if kind == FileOverride && manifestKind(t) == target.KindPlugin {
		return readPluginOverride(t, data)
	}
	key := cacheKey{sum: sha256.Sum256(data), override: kind == FileOverride}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		e = c.parse(key, data)
	}
	if e.err != nil {
		return Value{}, false, e.err
	}
	if key.override {
		return overrideValue(t, e.override)
	}
	return docValue(kind, t, e.doc)
}

// parse adds the entry for data; c.mu is held.
func (c *ReadCache) parse(key cacheKey, data []byte) *cacheEntry {
	c.parses++
	e := &cacheEntry{size: len(data)}
	if key.override {
		e.override, e.err = yamledit.ReadSourceOverride(data)
	} else {
		e.doc, e.err = yamledit.Parse(data)
	}
	for c.size+e.size > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= c.entries[old].size
		delete(c.entries, old)
	}
	if e.size <= c.max {
		c.entries[key] = e
		c.order = append(c.order, key)
		c.size += e.size
	}
	return e
}
