// Package ratelimit counts events per key in fixed windows: login
// attempts per account and per address, sign-ups per address.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter counts events per key in a fixed window: at most max in every
// window. It holds at most limiterMaxKeys keys; when full it forgets the expired
// ones, and if none expired, everyone (a flood of keys must not grow
// memory without bound).
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	m      map[string]*window
}

type window struct {
	start time.Time
	n     int
}

const limiterMaxKeys = 100_000

// New returns a limiter of max events per key in every window of per.
func New(max int, per time.Duration) *Limiter {
	return &Limiter{max: max, window: per, now: time.Now, m: map[string]*window{}}
}

// Allowed reports whether key has events left in its window (without
// counting one), and when the window ends.
func (l *Limiter) Allowed(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.m[key]
	now := l.now()
	if w == nil || now.Sub(w.start) >= l.window {
		return true, 0
	}
	return w.n < l.max, w.start.Add(l.window).Sub(now)
}

// Add counts an event for key.
func (l *Limiter) Add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.m[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if len(l.m) >= limiterMaxKeys {
			l.sweep(now)
		}
		w = &window{start: now}
		l.m[key] = w
	}
	w.n++
}

// Reset forgets key (a successful login ends the account's count).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

func (l *Limiter) sweep(now time.Time) {
	for k, w := range l.m {
		if now.Sub(w.start) >= l.window {
			delete(l.m, k)
		}
	}
	if len(l.m) >= limiterMaxKeys {
		clear(l.m)
	}
}
