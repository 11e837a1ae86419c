package identity

import (
	"sync"
	"time"
)

// sessionCacheTTL bounds how long a resolved session is trusted without
// asking the database again. Logout, preference changes and account changes
// made through this process invalidate at once; in a deployment with
// several processes, a change made elsewhere is seen here within this TTL.
const sessionCacheTTL = 30 * time.Second

// sessionCacheMax bounds memory: past it the cache starts over.
const sessionCacheMax = 100_000

// sessionCache keeps resolved principals by token hash, so a busy read
// route costs no database round trip for authentication.
type sessionCache struct {
	mu sync.RWMutex
	m  map[string]cachedSession
}

type cachedSession struct {
	p       Principal
	expires time.Time // the session's own expiry
	until   time.Time // when this cache entry must be re-checked
}

func (c *sessionCache) get(hash string, now time.Time) (*Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[hash]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) || !now.Before(e.expires) {
		return nil, false
	}
	p := e.p // a copy: callers may not change what others see
	return &p, true
}

func (c *sessionCache) put(hash string, p *Principal, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCacheMax {
		c.m = make(map[string]cachedSession)
	}
	c.m[hash] = cachedSession{p: *p, expires: expires, until: now.Add(sessionCacheTTL)}
}

func (c *sessionCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// dropAccount forgets every session of an account (its data changed).
func (c *sessionCache) dropAccount(accountID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.p.AccountID == accountID {
			delete(c.m, h)
		}
	}
}
