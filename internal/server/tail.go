package server

import (
	"context"
	"slices"
	"sync"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
)

// tail is the ledger's committed transfers as the server's tailers read
// them — the transparency log and the AML monitor, each a moment behind
// the other: the transfers read last are kept, and a reader that asks for
// them again takes them from memory instead of the database (reading them
// back cost about a tenth of the server's CPU at the till).
//
// It keeps what one contiguous run of reads returned: every transfer with
// a timestamp in (lo, hi]. That run is final: a reader asks only up to a
// head it read, and no transfer commits at or below a committed head.
type tail struct {
	ledgerlog.Source
	max int // transfers kept at most

	mu     sync.Mutex
	lo, hi int64
	recs   []ledger.TransferRecord // timestamps in (lo, hi], every one
}

// tailKeep bounds the transfers kept: a few seconds of a busy ledger,
// about 20 MB.
const tailKeep = 1 << 16

func newTail(src ledgerlog.Source, keep int) *tail {
	return &tail{Source: src, max: keep}
}

// TransfersAfter is the source's, served from memory where the last reads
// cover (after, upto].
func (t *tail) TransfersAfter(ctx context.Context, after, upto int64, limit int) ([]ledger.TransferRecord, error) {
	if limit <= 0 || upto <= after {
		return nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []ledger.TransferRecord
	from := after
	if t.covers(after) {
		i, _ := slices.BinarySearchFunc(t.recs, after, func(r ledger.TransferRecord, ts int64) int { return cmpTS(r.TS, ts) })
		j, _ := slices.BinarySearchFunc(t.recs, upto, func(r ledger.TransferRecord, ts int64) int { return cmpTS(r.TS, ts+1) })
		if i < len(t.recs) && t.recs[i].TS == after {
			i++
		}
		out = slices.Clone(t.recs[i:min(j, i+limit)])
		if len(out) == limit || t.hi >= upto {
			return out, nil
		}
		from = t.hi
	}
	more, err := t.Source.TransfersAfter(ctx, from, upto, limit-len(out))
	if err != nil {
		return nil, err
	}
	// What the read covers: all of (from, upto] unless it stopped at its
	// limit, then up to the last it returned.
	hi := upto
	if len(more) == limit-len(out) {
		hi = more[len(more)-1].TS
	}
	t.keep(from, hi, more)
	return append(out, more...), nil
}

// covers reports whether the transfers just after ts are kept.
func (t *tail) covers(ts int64) bool { return len(t.recs) > 0 && t.lo <= ts && ts < t.hi }

// keep adds a read of (from, hi]: after what is kept if it follows it,
// in its place otherwise; then drops the oldest beyond max.
func (t *tail) keep(from, hi int64, recs []ledger.TransferRecord) {
	if len(t.recs) > 0 && from == t.hi {
		t.recs, t.hi = append(t.recs, recs...), hi
	} else {
		t.recs, t.lo, t.hi = slices.Clone(recs), from, hi
	}
	if n := len(t.recs) - t.max; n > 0 {
		t.lo = t.recs[n-1].TS
		t.recs = slices.Delete(t.recs, 0, n)
	}
}

func cmpTS(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
