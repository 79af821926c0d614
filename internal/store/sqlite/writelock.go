package sqlite

import (
	"sync"
	"sync/atomic"
)

// writeLock orders this process's write transactions (the engine's and
// the services' own): SQLite has one write lock, and waiting for it here
// is a queue, where its busy handler would sleep and retry. A holder that
// keeps a transaction open while work keeps coming (the services' group
// commit) learns from it when another writer waits, and lets it in.
type writeLock struct {
	mu      sync.Mutex
	waiting atomic.Int32
	wanted  chan struct{} // a token when a writer begins to wait
}

func newWriteLock() *writeLock { return &writeLock{wanted: make(chan struct{}, 1)} }

func (l *writeLock) Lock() {
	if l.mu.TryLock() {
		return
	}
	l.waiting.Add(1)
	select {
	case l.wanted <- struct{}{}:
	default:
	}
	l.mu.Lock()
	l.waiting.Add(-1)
}

func (l *writeLock) Unlock() { l.mu.Unlock() }

// Waiting reports whether a writer waits for the lock.
func (l *writeLock) Waiting() bool { return l.waiting.Load() > 0 }

// Wanted receives a token when a writer begins to wait (a token may be
// stale: check Waiting).
func (l *writeLock) Wanted() <-chan struct{} { return l.wanted }
