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
}

func (f *flushState) reset() { *f = flushState{} }

// pending reports whether some account row is behind.
func (f *flushState) pending() bool { return len(f.dirty) > 0 || len(f.queue) > 0 }

// markDirty records that a batch changed e.
func (f *flushState) markDirty(e *entry, fullFlush bool) {
	if fullFlush || e.dirty {
		return
	}
	e.dirty = true
	f.dirty = append(f.dirty, e)
}

// chunk returns the account rows batch b writes (with the entries they
// belong to) and, when they finish a round, the checkpoint to set (else 0).
// It counts them as written: if the batch fails to commit, abort puts
// them back.
func (f *flushState) chunk(b *batch, head Head) ([]AccountRecord, []*entry, int64) {
	if b.fullFlush {
		return f.all(b, head)
	}
	if len(f.queue) == 0 && len(f.dirty) > 0 && b.now-f.roundStartNS >= int64(flushRoundInterval) {
		slices.SortFunc(f.dirty, func(x, y *entry) int { return cmp.Compare(x.key, y.key) })
		for _, e := range f.dirty {
			e.dirty, e.queued = false, true
		}
		f.queue, f.dirty = f.dirty, nil
		f.roundTS = b.base.LastTS
		f.roundStartNS = b.now
		f.roundSize = len(f.queue)
		f.lastChunkNS = b.now - int64(flushRoundSpread)/flushSpreadSteps
	}
	if len(f.queue) == 0 {
		return nil, nil, 0
	}
	// Write rows in proportion to the time since the last chunk, so that a
	// round takes about flushRoundSpread whatever the load, and no batch
	// carries a large part of it.
	elapsed := min(b.now-f.lastChunkNS, int64(flushRoundSpread))
	k := int((int64(f.roundSize)*elapsed + int64(flushRoundSpread) - 1) / int64(flushRoundSpread))
	k = min(len(f.queue), max(k, flushChunkMin))
	flushed := f.queue[:k:k]
	f.queue = f.queue[k:]
	f.lastChunkNS = b.now
	recs := make([]AccountRecord, k)
	for i, e := range flushed {
		e.queued = false
		recs[i] = AccountRecord{Key: e.key, Chain: *b.peek(e)}
	}
	if len(f.queue) == 0 {
		return recs, flushed, f.roundTS
	}
	return recs, flushed, 0
}

// all returns the rows of every account that is behind or changed by b,
// and the checkpoint they reach: the head after b.
func (f *flushState) all(b *batch, head Head) ([]AccountRecord, []*entry, int64) {
	var es []*entry
	seen := map[*entry]bool{}
	add := func(e *entry) {
		if !seen[e] {
			seen[e] = true
			es = append(es, e)
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
	slices.SortFunc(es, func(x, y *entry) int { return cmp.Compare(x.key, y.key) })
	recs := make([]AccountRecord, len(es))
	for i, e := range es {
		e.dirty, e.queued = false, false
		recs[i] = AccountRecord{Key: e.key, Chain: *b.peek(e)}
	}
	f.queue, f.dirty = nil, nil
	f.roundStartNS = b.now
	return recs, es, head.LastTS
}

// abort puts back the rows the failed plans were to write, and restarts
// the round: a round's checkpoint claims that every account changed before
// it began has been written, and the failed plans' chunks were not.
func (f *flushState) abort(plans []*plan) {
	for _, p := range plans {
		for _, e := range p.flushed {
			f.markDirty(e, false)
		}
	}
	for _, e := range f.queue {
		e.queued = false
		f.markDirty(e, false)
	}
	f.queue = nil
	f.roundStartNS = 0
}
