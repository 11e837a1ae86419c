// Package clock injects time, so tests and the demo can move it (deadline
// scans, working-day arithmetic) without touching the system clock.
package clock

import (
	"sync"
	"time"
)

// Clock is the consumer-side seam for "now".
type Clock interface {
	Now() time.Time
}

// System is the real clock.
type System struct{}

func (System) Now() time.Time { return time.Now() }

// Adjustable follows the system clock shifted by an offset that can be
// changed at run time (the demo's "move time forward"), or frozen at a fixed
// instant for tests.
type Adjustable struct {
	mu     sync.RWMutex
	offset time.Duration
	frozen *time.Time
}

func (c *Adjustable) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward (or back, for negative d).
func (c *Adjustable) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Set freezes the clock at t.
func (c *Adjustable) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = &t
}

// Fixed returns a clock frozen at t.
func Fixed(t time.Time) *Adjustable {
	c := &Adjustable{}
	c.Set(t)
	return c
}

// Reset goes back to the system clock (no offset, not frozen).
func (c *Adjustable) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.offset = nil, 0
}
