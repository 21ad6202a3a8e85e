package webhook

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ipLimiter keeps one token bucket per client address, for at most
// maxClients addresses; buckets that have refilled completely are the first
// to be forgotten, since a fresh bucket behaves the same.
type ipLimiter struct {
	mu         sync.Mutex
	limit      rate.Limit
	burst      int
	maxClients int
	buckets    map[string]*bucket
}

type bucket struct {
	limiter *rate.Limiter
	last    time.Time
}

func newIPLimiter(perSecond float64, burst, maxClients int) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, maxClients: maxClients, buckets: map[string]*bucket{}}
}

// allow takes one token from ip's bucket.
func (l *ipLimiter) allow(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= l.maxClients {
			l.forgetIdle(now)
		}
		b = &bucket{limiter: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[ip] = b
	}
	b.last = now
	return b.limiter.AllowN(now, 1)
}

// forgetIdle drops buckets that have refilled; if none has, it drops the
// least recently used one so the map stays bounded.
func (l *ipLimiter) forgetIdle(now time.Time) {
	refill := time.Duration(float64(l.burst) / float64(l.limit) * float64(time.Second))
	var oldestIP string
	var oldest time.Time
	for ip, b := range l.buckets {
		if now.Sub(b.last) >= refill {
			delete(l.buckets, ip)
			continue
		}
		if oldestIP == "" || b.last.Before(oldest) {
			oldestIP, oldest = ip, b.last
		}
	}
	if len(l.buckets) >= l.maxClients {
		delete(l.buckets, oldestIP)
	}
}
