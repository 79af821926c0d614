package walletsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Group commit for the small writes on the payment path (a nonce, an
// order, a code's time step, an order's state): concurrent requests'
// writes are gathered into one transaction, each in a savepoint of its
// own so that one that fails (a nonce used before) is undone alone, and
// the transaction is committed once — one fsync for all of them instead
// of one each. A caller is answered after the commit, so what it was told
// is durable. One goroutine writes; while it commits, the next batch
// queues: batches grow with load, as the ledger engine's do.

// maxBatchOps bounds the writes in one transaction.
const maxBatchOps = 256

type batchOp struct {
	fn func(ctx context.Context, tx *sql.Tx) error
	// single: fn leaves nothing behind when it fails (one statement, or
	// statements that undo themselves: undoneUnless). On SQLite a failed
	// statement undoes itself and leaves the transaction usable, so such
	// an fn needs no savepoint
	// (on PostgreSQL every failure aborts the transaction: always one).
	single bool
	// early: answer as soon as fn has run, before the commit. Only for
	// writes whose loss in a crash is harmless (a nonce: every request
	// that moves money is idempotent by the merchant's own number).
	early bool
	// lazy: the write may become durable with the next durable commit
	// rather than its own (no flush of its own to disk). Only for writes
	// whose loss in a crash of the machine is harmless: what they enable
	// (a payment) commits durably after them, and that commit makes them
	// durable too (SQLite's WAL and PostgreSQL's are each one sequential
	// log: flushing it flushes everything written before).
	lazy bool
	done chan error
}

type batcher struct {
	s    *Store
	ops  chan batchOp
	quit chan struct{}
	done chan struct{}
	conn *sql.Conn // the batcher's own connection (SQLite: its synchronous setting)
	// lazyNow is the SQLite connection's setting: synchronous=NORMAL.
	lazyNow bool
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, ops: make(chan batchOp, 4*maxBatchOps), quit: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs fn in the next batch and returns its error, or the commit's.
func (b *batcher) do(ctx context.Context, single bool, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return b.doOp(ctx, batchOp{fn: fn, single: single})
}

func (b *batcher) doOp(ctx context.Context, op batchOp) error {
	op.done = make(chan error, 1)
	select {
	case b.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return errClosed
	}
	// Once queued the write happens: wait for its outcome even if the
	// caller's context ends, so that the caller never reports a write as
	// failed that committed.
	select {
	case err := <-op.done:
		return err
	case <-b.done:
		select {
		case err := <-op.done:
			return err
		default:
			return errClosed // queued as the store closed: not written
		}
	}
}

var errClosed = errors.New("the store is closed")

// close stops the batcher once the writes queued are done, and gives its
// connection back.
func (b *batcher) close() {
	close(b.quit)
	<-b.done
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		var first batchOp
		select {
		case first = <-b.ops:
		case <-b.quit:
			// Writes queued before close are done; later ones are refused.
			for {
				select {
				case op := <-b.ops:
					b.s.writeMu.Lock()
					answer := b.commit(op.lazy, op, func(bool) (batchOp, bool) { return batchOp{}, false })
					b.s.writeMu.Unlock()
					answer()
					continue
				default:
				}
				break
			}
			b.dropConn()
			return
		}
		// The batch is gathered once the write lock is held: what queued
		// while another writer held it joins this commit.
		b.s.writeMu.Lock()
		var answer func()
		if b.holds() {
			answer = b.commit(true, first, b.holdFor(time.Now().Add(maxHold)))
		} else {
			batch := []batchOp{first}
		gather:
			for len(batch) < maxBatchOps {
				select {
				case op := <-b.ops:
					batch = append(batch, op)
				default:
					break gather
				}
			}
			lazy := true
			for _, op := range batch {
				lazy = lazy && op.lazy
			}
			i := 0
			answer = b.commit(lazy, first, func(bool) (batchOp, bool) {
				if i++; i < len(batch) {
					return batch[i], true
				}
				return batchOp{}, false
			})
		}
		b.s.writeMu.Unlock()
		answer()
	}
}

// Holding the transaction open. On SQLite, where the group commit shares
// the process's one write lock with the ledger engine and flushes after
// releasing it, each commit writes the pages its writes touched to the log
// again — the same few hot pages (the newest orders, events, decisions)
// thousands of times a second when the writes come one by one. So the
// batch stays open while writes keep coming, each run as it arrives (an
// early one answered at once), and commits when another writer waits for
// the lock, when a write that must be durable is in it, when it is
// maxHold old, or when it is full. Writes that wait for the commit (a
// claim of a payment code) wait at most maxHold longer.
const maxHold = time.Millisecond

// lockWaiter is a write lock that tells when another writer waits for it
// (SQLite's store).
type lockWaiter interface {
	Waiting() bool
	Wanted() <-chan struct{}
}

// holds reports whether batches are held open (see maxHold).
func (b *batcher) holds() bool {
	_, ok := b.s.writeMu.(lockWaiter)
	return ok && b.s.syncLog != nil
}

// holdFor returns the next write of a held batch: one queued already, or
// one that comes before the deadline — unless durable (a write in the
// batch must be flushed: do not keep it waiting) or another writer waits.
func (b *batcher) holdFor(deadline time.Time) func(durable bool) (batchOp, bool) {
	lw := b.s.writeMu.(lockWaiter)
	return func(durable bool) (batchOp, bool) {
		select {
		case op := <-b.ops:
			return op, true
		default:
		}
		if durable || lw.Waiting() || !time.Now().Before(deadline) {
			return batchOp{}, false
		}
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		for {
			select {
			case op := <-b.ops:
				return op, true
			case <-lw.Wanted():
				if lw.Waiting() {
					return batchOp{}, false
				}
			case <-t.C:
				return batchOp{}, false
			case <-b.quit:
				return batchOp{}, false
			}
		}
	}
}

// commit writes first and the writes next gives, in one transaction (lazy:
// one that need not flush); the caller holds the write lock, releases it,
// then calls answer, which answers the callers not answered yet (after
// the log's flush, when the commit did not flush).
func (b *batcher) commit(lazy bool, first batchOp, next func(durable bool) (batchOp, bool)) (answer func()) {
	ctx := context.Background()
	// With syncLog (SQLite) the transaction never flushes: a durable batch
	// waits for the flush once the lock is released.
	var (
		batch    []batchOp
		errs     []error
		answered []bool
		durable  bool
	)
	tx, err := b.begin(ctx, lazy || b.s.syncLog != nil)
	if err == nil {
		op, ok := first, true
		for ok {
			e := b.apply(ctx, tx, op)
			batch, errs, answered = append(batch, op), append(errs, e), append(answered, false)
			durable = durable || !op.lazy
			if errors.Is(e, errAbortBatch) {
				err = e
				break
			}
			if op.early {
				op.done <- e
				answered[len(answered)-1] = true
			}
			if len(batch) >= maxBatchOps {
				break
			}
			op, ok = next(durable)
		}
		if err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
			b.dropConn()
		}
	} else {
		batch, errs, answered = []batchOp{first}, []error{nil}, []bool{false}
		for op, ok := next(true); ok && len(batch) < maxBatchOps; op, ok = next(true) {
			batch, errs, answered = append(batch, op), append(errs, nil), append(answered, false)
		}
	}
	flushAfter := durable && b.s.syncLog != nil
	return func() {
		if err == nil && flushAfter {
			err = b.s.syncLog()
		}
		for i, op := range batch {
			if answered[i] {
				continue
			}
			if err != nil {
				// Nothing of the batch is known to be written; every caller
				// learns it.
				errs[i] = errors.Join(fmt.Errorf("commit: %w", err), errs[i])
			}
			op.done <- errs[i]
		}
	}
}

// begin starts the batch's transaction on the batcher's connection; a
// lazy one commits without flushing the log to disk.
func (b *batcher) begin(ctx context.Context, lazy bool) (*sql.Tx, error) {
	if b.conn == nil {
		c, err := b.s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		b.conn, b.lazyNow = c, false
	}
	if b.s.numbered && lazy != b.lazyNow {
		// SQLite: a connection's setting, changed outside a transaction.
		mode := "FULL"
		if lazy {
			mode = "NORMAL"
		}
		if _, err := b.conn.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			b.dropConn()
			return nil, err
		}
		b.lazyNow = lazy
	}
	tx, err := b.conn.BeginTx(ctx, nil)
	if err != nil {
		b.dropConn()
		return nil, err
	}
	if lazy && !b.s.numbered {
		// PostgreSQL: this transaction's commit does not wait for the flush.
		if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			_ = tx.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

// dropConn gives the connection back to the pool (after a failure, or at
// close), as the pool's other connections are: durable commits. The next
// batch takes another.
func (b *batcher) dropConn() {
	if b.conn == nil {
		return
	}
	if b.lazyNow {
		if _, err := b.conn.ExecContext(context.Background(), "PRAGMA synchronous = FULL"); err != nil {
			// Do not let the pool hand it out lazy: close it for good.
			_ = b.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	_ = b.conn.Close()
	b.conn, b.lazyNow = nil, false
}

// apply runs one write in a savepoint, and undoes it alone if it fails.
func (b *batcher) apply(ctx context.Context, tx *sql.Tx, op batchOp) error {
	if op.single && b.s.numbered {
		return op.fn(ctx, tx)
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
		return err
	}
	if err := op.fn(ctx, tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, _ = tx.ExecContext(ctx, "RELEASE SAVEPOINT w")
		return err
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w")
	return err
}

// txExec runs a cached prepared statement in tx.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

// batched runs a one-row write in the next batch: ErrNotFound if it
// changed no row (want1), mapped errors otherwise.
func (s *Store) batched(ctx context.Context, op string, want1 bool, q string, args ...any) error {
	return s.batchedOp(ctx, op, want1, false, q, args...)
}

// batchedLazy is batched (want1) for a write that may become durable with
// a later commit (see batchOp.lazy).
func (s *Store) batchedLazy(ctx context.Context, op string, q string, args ...any) error {
	return s.batchedWrite(ctx, op, true, batchOp{lazy: true}, q, args...)
}

func (s *Store) batchedOp(ctx context.Context, op string, want1, early bool, q string, args ...any) error {
	return s.batchedWrite(ctx, op, want1, batchOp{early: early, lazy: early}, q, args...)
}

func (s *Store) batchedWrite(ctx context.Context, op string, want1 bool, b batchOp, q string, args ...any) error {
	b.single = true
	b.fn = func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		if want1 {
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return errNoRow
			}
		}
		return nil
	}
	err := s.batch.doOp(ctx, b)
	if errors.Is(err, errNoRow) {
		return fmt.Errorf("%s: %w", op, errNotFound())
	}
	return s.mapErr(op, err)
}

var errNoRow = errors.New("no row changed")

// undoneUnless runs insert, then update, which must change a row; if it
// does not (errNoRow) or fails, the inserted row is deleted again by undo
// with key. Inside a batch's transaction this makes the pair all or
// nothing without a savepoint: on SQLite a statement that fails changes
// nothing (on PostgreSQL the batch puts it in a savepoint all the same).
func (s *Store) undoneUnless(ctx context.Context, tx *sql.Tx, undo string, key any, insert func() error, update func() (sql.Result, error)) error {
	if err := insert(); err != nil {
		return err
	}
	res, err := update()
	if err == nil {
		if n, rerr := res.RowsAffected(); rerr != nil || n == 0 {
			err = errNoRow
		}
	}
	if err != nil {
		if _, derr := s.txExec(ctx, tx, undo, key); derr != nil {
			return errors.Join(errAbortBatch, err, derr)
		}
	}
	return err
}

// errAbortBatch: a write could not undo itself; the whole batch is rolled
// back rather than commit half of it.
var errAbortBatch = errors.New("a write could not be undone: the batch is rolled back")
