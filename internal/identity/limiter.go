package identity

import (
	"sync"
	"time"
)

// LoginLimiter slows down password guessing: after MaxFailures failed
// attempts for one username (or MaxPerIP attempts from one address) within
// Window, further attempts are refused until the window has passed. It is
// in-memory, so it limits per server process; a cluster would move it to a
// shared store.
type LoginLimiter struct {
	MaxFailures int
	MaxPerIP    int // failures from one address
	Window      time.Duration

	mu    sync.Mutex
	users map[string][]time.Time
	ips   map[string][]time.Time
	sweep time.Time
}

func NewLoginLimiter() *LoginLimiter {
	return &LoginLimiter{MaxFailures: 5, MaxPerIP: 50, Window: 15 * time.Minute,
		users: map[string][]time.Time{}, ips: map[string][]time.Time{}}
}

func prune(ts []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(since) {
		i++
	}
	return ts[i:]
}

// Allow reports whether an attempt for username from ip may proceed now.
// Only failures count, so a busy office behind one address is not locked
// out by its own successful logins.
func (l *LoginLimiter) Allow(username, ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	since := now.Add(-l.Window)
	if now.Sub(l.sweep) > l.Window {
		for k, v := range l.users {
			if v = prune(v, since); len(v) == 0 {
				delete(l.users, k)
			}
		}
		for k, v := range l.ips {
			if v = prune(v, since); len(v) == 0 {
				delete(l.ips, k)
			}
		}
		l.sweep = now
	}
	u := prune(l.users[username], since)
	l.users[username] = u
	a := prune(l.ips[ip], since)
	l.ips[ip] = a
	return len(u) < l.MaxFailures && len(a) < l.MaxPerIP
}

// Fail records a failed attempt for username from ip.
func (l *LoginLimiter) Fail(username, ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users[username] = append(l.users[username], now)
	l.ips[ip] = append(l.ips[ip], now)
}

// Succeed forgets the failures of username.
func (l *LoginLimiter) Succeed(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users, username)
}
