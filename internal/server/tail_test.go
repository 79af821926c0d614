package server

import (
	"context"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// growingLedger is a source whose committed transfers grow, and which
// counts the rows it reads.
type growingLedger struct {
	recs  []ledger.TransferRecord
	reads int // rows returned by TransfersAfter
	calls int
}

func (g *growingLedger) ReadHead(context.Context) (ledger.Head, error) {
	if len(g.recs) == 0 {
		return ledger.Head{}, nil
	}
	return ledger.Head{LastTS: g.recs[len(g.recs)-1].TS}, nil
}

func (g *growingLedger) TransfersAfter(_ context.Context, after, upto int64, limit int) ([]ledger.TransferRecord, error) {
	g.calls++
	var out []ledger.TransferRecord
	for _, r := range g.recs {
		if r.TS > after && r.TS <= upto && len(out) < limit {
			out = append(out, r)
		}
	}
	g.reads += len(out)
	return out, nil
}

func (g *growingLedger) ReadTransfer(context.Context, ledger.ID) (ledger.TransferRecord, error) {
	return ledger.TransferRecord{}, ledger.ErrNotFound
}

// commit adds n transfers with rising, not contiguous, timestamps.
func (g *growingLedger) commit(n int, gap int64) {
	ts := int64(1000)
	if len(g.recs) > 0 {
		ts = g.recs[len(g.recs)-1].TS
	}
	for range n {
		ts += gap
		g.recs = append(g.recs, ledger.TransferRecord{TS: ts, ID: ledger.NewID(), Amount: ts % 997})
	}
}

// Whatever the readers ask, in whatever order, the tail answers what the
// source itself would.
func TestTailAnswersAsTheSource(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		src := &growingLedger{}
		keep := rapid.IntRange(1, 40).Draw(rt, "keep")
		tl := newTail(src, keep)
		oracle := &growingLedger{}
		cursors := make([]int64, 3)
		for step := range rapid.IntRange(1, 60).Draw(rt, "steps") {
			if rapid.Bool().Draw(rt, "commit") {
				n, gap := rapid.IntRange(0, 20).Draw(rt, "n"), rapid.Int64Range(1, 5).Draw(rt, "gap")
				src.commit(n, gap)
				oracle.recs = src.recs
			}
			head, _ := src.ReadHead(ctx)
			r := rapid.IntRange(0, len(cursors)-1).Draw(rt, "reader")
			after := cursors[r]
			if rapid.IntRange(0, 9).Draw(rt, "jump") == 0 {
				after = rapid.Int64Range(0, head.LastTS+3).Draw(rt, "after") // a reader that starts over
			}
			upto := rapid.Int64Range(min(after, head.LastTS), head.LastTS).Draw(rt, "upto")
			limit := rapid.IntRange(0, 25).Draw(rt, "limit")
			got, err := tl.TransfersAfter(ctx, after, upto, limit)
			if err != nil {
				rt.Fatal(err)
			}
			want, _ := oracle.TransfersAfter(ctx, after, upto, limit)
			if !slices.EqualFunc(got, want, func(a, b ledger.TransferRecord) bool { return a.TS == b.TS && a.ID == b.ID }) {
				rt.Fatalf("step %d: after %d upto %d limit %d: got %d transfers %v, the source has %d %v", step, after, upto, limit, len(got), tsOf(got), len(want), tsOf(want))
			}
			if len(tl.recs) > keep {
				rt.Fatalf("keeps %d transfers, at most %d", len(tl.recs), keep)
			}
			if len(got) > 0 {
				cursors[r] = got[len(got)-1].TS
			}
		}
	})
}

func tsOf(recs []ledger.TransferRecord) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.TS
	}
	return out
}

// Two readers a moment apart: the second reads nothing from the source.
func TestTailSecondReaderReadsFromMemory(t *testing.T) {
	ctx := context.Background()
	src := &growingLedger{}
	tl := newTail(src, 1000)
	var first, second int64
	for range 10 {
		src.commit(50, 3)
		head, _ := src.ReadHead(ctx)
		for first < head.LastTS {
			recs, err := tl.TransfersAfter(ctx, first, head.LastTS, 64)
			if err != nil || len(recs) == 0 {
				t.Fatalf("first reader: %d transfers, %v", len(recs), err)
			}
			first = recs[len(recs)-1].TS
		}
		before := src.reads
		for second < head.LastTS {
			recs, err := tl.TransfersAfter(ctx, second, head.LastTS, 4096)
			if err != nil || len(recs) == 0 {
				t.Fatalf("second reader: %d transfers, %v", len(recs), err)
			}
			second = recs[len(recs)-1].TS
		}
		if src.reads != before {
			t.Fatalf("the second reader read %d rows from the source; want 0", src.reads-before)
		}
	}
	if src.reads != len(src.recs) {
		t.Fatalf("the source returned %d rows for %d transfers; want each once", src.reads, len(src.recs))
	}
	// A returned slice is the reader's own: changing it changes nothing kept.
	recs, _ := tl.TransfersAfter(ctx, 0, first, 10)
	recs[0].Amount = -1
	again, _ := tl.TransfersAfter(ctx, 0, first, 10)
	if again[0].Amount == -1 {
		t.Fatal("a reader's change to its slice reached the tail")
	}
}
