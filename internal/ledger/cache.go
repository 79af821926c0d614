package ledger

import (
	"sync"
	"sync/atomic"
)

// entry is an account the engine holds in memory.
//
// The validator goroutine owns every field but pub and evicted. st is the
// committed state; spec the state after every batch validated so far, some
// of which may still be committing (st when none is); work the state inside
// the batch being built, valid while workGen equals that batch's
// generation. A ChainState's Levels slice is never changed once it is in
// st or spec: work is always a copy.
//
// Readers see pub, a snapshot the committer replaces after each commit;
// nil until the account's creation is committed.
type entry struct {
	key  int64
	acct Account // fixed fields; acct.Balance is unused (see st)

	st      ChainState
	spec    ChainState
	work    ChainState
	workGen uint64

	chainGen uint64 // the linked chain that saved this entry for undo
	dirty    bool   // changed since the current flush round began
	queued   bool   // in the current flush round's queue
	inflight int    // batches in flight that touch or create it

	pub     atomic.Pointer[snapshot]
	evicted atomic.Bool
}

// snapshot is an account's committed state as readers see it.
type snapshot struct {
	Balance
	HeadTS int64
	Height uint64
}

func snapshotOf(c *ChainState) *snapshot {
	return &snapshot{Balance: c.Balance, HeadTS: c.HeadTS, Height: c.Height}
}

// account returns the account with the committed state readers see, and
// false if readers can not use this entry.
func (e *entry) account() (Account, *snapshot, bool) {
	s := e.pub.Load()
	if s == nil || e.evicted.Load() {
		return Account{}, nil, false
	}
	a := e.acct
	a.Balance = s.Balance
	return a, s, true
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

// add inserts entries whose state is committed: readers see them at once.
// Validator only.
func (c *cache) add(es ...*entry) {
	c.mu.Lock()
	for _, e := range es {
		e.spec = e.st
		e.pub.Store(snapshotOf(&e.st))
		c.byID[e.acct.ID] = e
		c.byKey[e.key] = e
	}
	c.mu.Unlock()
}

// insert adds an account created by a batch that is not committed yet:
// readers see it once the committer publishes it. Validator only.
func (c *cache) insert(e *entry) {
	c.mu.Lock()
	c.byID[e.acct.ID] = e
	c.byKey[e.key] = e
	c.mu.Unlock()
}

// remove drops an entry whose creation was not committed. Validator only.
func (c *cache) remove(e *entry) {
	e.evicted.Store(true)
	c.mu.Lock()
	if c.byID[e.acct.ID] == e {
		delete(c.byID, e.acct.ID)
		delete(c.byKey, e.key)
	}
	c.mu.Unlock()
}

// evictClean drops clean entries until the cache holds at most 90% of its
// bound. Validator only.
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
		if e.dirty || e.queued || e.inflight > 0 || e.pub.Load() == nil {
			continue
		}
		e.evicted.Store(true)
		delete(c.byID, id)
		delete(c.byKey, e.key)
	}
	c.mu.Unlock()
}

// clear drops every entry: the engine no longer trusts its memory.
func (c *cache) clear() {
	c.mu.Lock()
	for _, e := range c.byID {
		e.evicted.Store(true)
	}
	c.byID = map[ID]*entry{}
	c.byKey = map[int64]*entry{}
	c.mu.Unlock()
}
