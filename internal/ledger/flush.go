package ledger

import (
	"cmp"
	"slices"
)

// Account rows are written lazily. Every transfer row carries both
// accounts' balances after it, so the transfers are the truth and an
// account row is a snapshot that may lag behind. The head's CheckpointTS
// says how far every row has caught up; readers apply the transfers after
// it (the tail) on top of a row.
//
// Writing rows in flush rounds instead of at every batch is what keeps
// commits cheap when many accounts are busy: an account credited a hundred
// times a second is written a few times a second, not a hundred.
//
// A round starts with the set of accounts changed since the previous round
// began, at most once per flushRoundInterval, and writes them, a chunk per
// batch, inside the batches' own transactions, spread over about
// flushRoundSpread. When the last chunk is written, every change up to the
// round's start is in the rows, and the same transaction moves the
// checkpoint there. A row may be written with a state newer than the
// round's start: rows only ever hold true committed states, and readers
// take the newest of the row and the tail.
type flushState struct {
	dirty        []*entry // changed since the current round began
	queue        []*entry // the current round's accounts still to write
	roundTS      int64    // the head when the current round began
	roundStartNS int64
	roundSize    int   // accounts in the round when it began
	lastChunkNS  int64 // when the previous chunk was written
	writing      int   // accounts of queue written by the batch in flight
}

func (f *flushState) reset() { *f = flushState{} }

// pending reports whether some account row is behind.
func (f *flushState) pending() bool { return len(f.dirty) > 0 || len(f.queue) > 0 }

// markDirty records that a committed batch changed e.
func (f *flushState) markDirty(e *entry, fullFlush bool) {
	if fullFlush || e.dirty {
		return
	}
	e.dirty = true
	f.dirty = append(f.dirty, e)
}

// chunk returns the account rows this batch writes and, when they finish a
// round, the checkpoint to set (else 0).
func (f *flushState) chunk(b *batch, head Head) ([]AccountRecord, int64) {
	if b.fullFlush {
		return f.all(b), head.LastTS
	}
	if len(f.queue) == 0 && len(f.dirty) > 0 && b.now-f.roundStartNS >= int64(flushRoundInterval) {
		slices.SortFunc(f.dirty, func(x, y *entry) int { return cmp.Compare(x.key, y.key) })
		for _, e := range f.dirty {
			e.dirty, e.queued = false, true
		}
		f.queue, f.dirty = f.dirty, nil
		f.roundTS = b.startHead.LastTS
		f.roundStartNS = b.now
		f.roundSize = len(f.queue)
		f.lastChunkNS = b.now - int64(flushRoundSpread)/flushSpreadSteps
	}
	// Write rows in proportion to the time since the last chunk, so that a
	// round takes about flushRoundSpread whatever the load, and no batch
	// carries a large part of it.
	elapsed := min(b.now-f.lastChunkNS, int64(flushRoundSpread))
	k := int((int64(f.roundSize)*elapsed + int64(flushRoundSpread) - 1) / int64(flushRoundSpread))
	k = min(len(f.queue), max(k, flushChunkMin))
	f.writing = k
	if k == 0 {
		return nil, 0
	}
	recs := make([]AccountRecord, k)
	for i, e := range f.queue[:k] {
		recs[i] = AccountRecord{Key: e.key, Chain: *b.peek(e)}
	}
	if k == len(f.queue) {
		return recs, f.roundTS
	}
	return recs, 0
}

// all returns the rows of every account that is behind or changed by b.
func (f *flushState) all(b *batch) []AccountRecord {
	var recs []AccountRecord
	seen := map[*entry]bool{}
	add := func(e *entry) {
		if !seen[e] {
			seen[e] = true
			recs = append(recs, AccountRecord{Key: e.key, Chain: *b.peek(e)})
		}
	}
	for _, e := range f.queue {
		add(e)
	}
	for _, e := range f.dirty {
		add(e)
	}
	for _, e := range b.touched {
		if e.workGen == b.gen {
			add(e)
		}
	}
	slices.SortFunc(recs, func(x, y AccountRecord) int { return cmp.Compare(x.Key, y.Key) })
	return recs
}

// committed records what the committed batch b wrote.
func (f *flushState) committed(b *batch) {
	if b.fullFlush {
		for _, e := range f.queue {
			e.queued = false
		}
		for _, e := range f.dirty {
			e.dirty = false
		}
		f.queue, f.dirty, f.writing = nil, nil, 0
		f.roundStartNS = b.now
		return
	}
	if f.writing > 0 {
		f.lastChunkNS = b.now
	}
	for _, e := range f.queue[:f.writing] {
		e.queued = false
	}
	f.queue = f.queue[f.writing:]
	f.writing = 0
}
