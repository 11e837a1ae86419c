package identity

import (
	"context"
	"sync"
	"time"
)

// refTTL bounds how stale reference data (departments, service centres)
// may be in a process that did not make the change itself. Changes made
// through this process invalidate at once.
const refTTL = 10 * time.Second

// refCache holds one slice of reference data that every page reads and
// administrators rarely change.
type refCache[T any] struct {
	mu     sync.Mutex
	val    []T
	loaded time.Time
}

func (c *refCache[T]) get(ctx context.Context, load func(context.Context) ([]T, error)) ([]T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.val != nil && time.Since(c.loaded) < refTTL {
		return c.val, nil
	}
	v, err := load(ctx)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []T{}
	}
	c.val, c.loaded = v, time.Now()
	return v, nil
}

func (c *refCache[T]) reset() {
	c.mu.Lock()
	c.val = nil
	c.mu.Unlock()
}
