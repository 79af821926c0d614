package ledger

import (
	"sync"
	"sync/atomic"
)

// entry is an account the writer holds in memory.
//
// The writer goroutine owns every field but pub and evicted: st is the
// committed state, work the state inside the batch being built (valid while
// workGen equals the batch's generation). Readers see pub, a snapshot
// replaced after each commit.
type entry struct {
	key  int64
	acct Account // fixed fields; acct.Balance is unused (see st)

	st      ChainState
	work    ChainState
	workGen uint64

	chainGen uint64 // the linked chain that saved this entry for undo
	dirty    bool   // changed since the current flush round began
	queued   bool   // in the current flush round's queue

	pub     atomic.Pointer[snapshot]
	evicted atomic.Bool
}

// snapshot is an account's committed state as readers see it.
type snapshot struct {
	Balance
	HeadTS int64
	Height uint64
}

func (e *entry) publish() {
	e.pub.Store(&snapshot{Balance: e.st.Balance, HeadTS: e.st.HeadTS, Height: e.st.Height})
}

// account returns the account with the committed state readers see.
func (e *entry) account() (Account, *snapshot) {
	a := e.acct
	s := e.pub.Load()
	a.Balance = s.Balance
	return a, s
}

// cache maps ids and keys to entries. The writer adds and evicts entries
// under mu; readers look up under a read lock.
type cache struct {
	mu    sync.RWMutex
	byID  map[ID]*entry
	byKey map[int64]*entry
	max   int
}

func newCache(max int) *cache {
	return &cache{byID: map[ID]*entry{}, byKey: map[int64]*entry{}, max: max}
}

func (c *cache) get(id ID) *entry {
	c.mu.RLock()
	e := c.byID[id]
	c.mu.RUnlock()
	return e
}

func (c *cache) getKey(key int64) *entry {
	c.mu.RLock()
	e := c.byKey[key]
	c.mu.RUnlock()
	return e
}

func (c *cache) len() int {
	c.mu.RLock()
	n := len(c.byID)
	c.mu.RUnlock()
	return n
}

// add inserts entries whose state is committed. Writer only.
func (c *cache) add(es ...*entry) {
	c.mu.Lock()
	for _, e := range es {
		e.publish()
		c.byID[e.acct.ID] = e
		c.byKey[e.key] = e
	}
	c.mu.Unlock()
}

// evictClean drops clean entries until the cache holds at most 90% of its
// bound. Writer only, between batches.
func (c *cache) evictClean() {
	if len(c.byID) <= c.max {
		return
	}
	target := c.max * 9 / 10
	c.mu.Lock()
	for id, e := range c.byID {
		if len(c.byID) <= target {
			break
		}
		if e.dirty || e.queued {
			continue
		}
		e.evicted.Store(true)
		delete(c.byID, id)
		delete(c.byKey, e.key)
	}
	c.mu.Unlock()
}

// clear drops every entry: the writer no longer trusts its memory.
func (c *cache) clear() {
	c.mu.Lock()
	for _, e := range c.byID {
		e.evicted.Store(true)
	}
	c.byID = map[ID]*entry{}
	c.byKey = map[int64]*entry{}
	c.mu.Unlock()
}
