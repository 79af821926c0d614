package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// single: fn runs one statement. On SQLite a failed statement undoes
	// itself and leaves the transaction usable, so it needs no savepoint
	// (on PostgreSQL every failure aborts the transaction: always one).
	single bool
	// early: answer as soon as fn has run, before the commit. Only for
	// writes whose loss in a crash is harmless (a nonce: every request
	// that moves money is idempotent by the merchant's own number).
	early bool
	done  chan error
}

type batcher struct {
	s   *Store
	ops chan batchOp
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, ops: make(chan batchOp, 4*maxBatchOps)}
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
	}
	// Once queued the write happens: wait for its outcome even if the
	// caller's context ends, so that the caller never reports a write as
	// failed that committed.
	return <-op.done
}

func (b *batcher) run() {
	for first := range b.ops {
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
		b.commit(batch)
	}
}

func (b *batcher) commit(batch []batchOp) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	b.s.writeMu.Lock()
	defer b.s.writeMu.Unlock()
	tx, err := b.s.db.BeginTx(ctx, nil)
	if err == nil {
		for i, op := range batch {
			errs[i] = b.apply(ctx, tx, op)
			if op.early {
				op.done <- errs[i]
			}
		}
		err = tx.Commit()
	}
	for i, op := range batch {
		if op.early && tx != nil {
			continue // answered already
		}
		if err != nil {
			// Nothing of the batch is written; every caller learns it.
			errs[i] = errors.Join(fmt.Errorf("commit: %w", err), errs[i])
		}
		op.done <- errs[i]
	}
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

func (s *Store) batchedOp(ctx context.Context, op string, want1, early bool, q string, args ...any) error {
	err := s.batch.doOp(ctx, batchOp{single: true, early: early, fn: func(ctx context.Context, tx *sql.Tx) error {
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
	}})
	if errors.Is(err, errNoRow) {
		return fmt.Errorf("%s: %w", op, errNotFound())
	}
	return s.mapErr(op, err)
}

var errNoRow = errors.New("no row changed")
