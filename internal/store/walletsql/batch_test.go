package walletsql

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

// openHeld is a group commit over a real SQLite store, sharing its write
// lock and flushing after commits (batches are held open), with the
// flushes counted.
func openHeld(t *testing.T) (*Store, *sqlite.Store, *atomic.Int64) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "slt.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SQL().Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	var flushes atomic.Int64
	s := New(st.SQL(), SQLite, sqlite.IsUniqueViolation, st.WriteLock(), func() error {
		flushes.Add(1)
		return st.SyncLog()
	})
	t.Cleanup(func() { s.Close() })
	if !s.batch.holds() {
		t.Fatal("a SQLite store's group commit should hold batches open")
	}
	return s, st, &flushes
}

func insert(k int, v string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO t (k, v) VALUES (?, ?)", k, v)
		return err
	}
}

func count(t *testing.T, st *sqlite.Store) int {
	t.Helper()
	var n int
	if err := st.SQL().QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHeldBatchCommitsLazyWritesTogether(t *testing.T) {
	s, st, flushes := openHeld(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Go(func() { errs[i] = s.batch.doOp(ctx, batchOp{single: true, lazy: true, fn: insert(i, "lazy")}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// Answered after their commit: every row is there for other readers.
	if n := count(t, st); n != len(errs) {
		t.Fatalf("%d rows after the answers, want %d", n, len(errs))
	}
	if f := flushes.Load(); f != 0 {
		t.Fatalf("lazy writes flushed the log %d times; they ride on the next durable commit", f)
	}
	// A failing write is undone alone and its caller learns it.
	if err := s.batch.doOp(ctx, batchOp{single: true, lazy: true, fn: insert(1, "again")}); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
}

func TestHeldBatchFlushesDurableWritesBeforeAnswering(t *testing.T) {
	s, st, flushes := openHeld(t)
	ctx := context.Background()
	if err := s.batch.doOp(ctx, batchOp{single: true, fn: insert(1, "durable")}); err != nil {
		t.Fatal(err)
	}
	if f := flushes.Load(); f != 1 {
		t.Fatalf("a durable write was answered after %d flushes, want 1", f)
	}
	if n := count(t, st); n != 1 {
		t.Fatalf("%d rows", n)
	}
}

// While writes keep coming, another writer waiting for the lock (the
// ledger engine) gets it within about one batch, not when the stream stops.
func TestHeldBatchLetsAWaitingWriterIn(t *testing.T) {
	s, st, _ := openHeld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := int(next.Add(1))
				_ = s.batch.doOp(ctx, batchOp{single: true, lazy: true, fn: insert(k, "stream")})
			}
		})
	}
	defer wg.Wait()
	defer cancel()
	for next.Load() < 500 {
		time.Sleep(time.Millisecond)
	}
	lock := st.WriteLock()
	for range 20 {
		start := time.Now()
		lock.Lock()
		waited := time.Since(start)
		lock.Unlock()
		// Generous: a held batch ends when the lock is wanted or after
		// maxHold; a race-detector build on a busy machine is slow.
		if waited > time.Second {
			t.Fatalf("a waiting writer waited %v for the group commit", waited)
		}
	}
}
