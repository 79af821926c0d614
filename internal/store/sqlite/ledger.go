package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

const (
	transferCols = "t.ts, t.id, t.debit_account, t.credit_account, t.amount, t.currency, t.code, t.flags, " +
		"t.pending_ts, t.timeout, t.reference, t.debit_prev, t.credit_prev, t.sides"
	// transferColsJoined adds the accounts' ids and the pending transfer's id.
	transferColsJoined = transferCols + ", da.id, ca.id, p.id"
	// transferIDJoins adds what transferColsJoined needs to "transfers t".
	transferIDJoins = " JOIN accounts da ON da.key = t.debit_account " +
		"JOIN accounts ca ON ca.key = t.credit_account LEFT JOIN transfers p ON p.ts = t.pending_ts"
	transferJoins = "transfers t" + transferIDJoins
	accountCols   = "a.key, a.id, a.currency, a.code, a.flags, a.owner, a.ts, " +
		"b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted, b.head_ts, b.height, b.levels"
	accountJoins = "accounts a LEFT JOIN account_balances b ON b.key = a.key"

	insertRows = 64  // rows per multi-row INSERT
	inChunk    = 256 // ids per IN list
)

const (
	insertTransfersSQL = "INSERT INTO transfers (ts, id, debit_account, credit_account, amount, currency, code, flags, " +
		"pending_ts, timeout, reference, debit_prev, credit_prev, sides) VALUES "
	insertAccountsSQL = "INSERT INTO accounts (key, id, currency, code, flags, owner, ts) VALUES "
	// upsertBalances writes account rows; a row already at a newer transfer
	// than the one given stays as it is.
	upsertBalancesSQL = "INSERT INTO account_balances (key, debits_pending, debits_posted, credits_pending, " +
		"credits_posted, head_ts, height, levels) VALUES "
	upsertBalancesSuffix = " ON CONFLICT (key) DO UPDATE SET " +
		"debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted, " +
		"credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted, " +
		"head_ts = excluded.head_ts, height = excluded.height, levels = excluded.levels " +
		"WHERE excluded.head_ts > account_balances.head_ts"
	insertTimeoutsSQL = "INSERT INTO pending_timeouts (pending_ts, expires_at) VALUES "
)

var errReadOnly = errors.New("sqlite: store opened read-only")

// headSQL reads the head: the newest commit.
const headSQL = "SELECT ts, last_account_key, checkpoint_ts FROM ledger_commits ORDER BY ts DESC LIMIT 1"

// BeginUnlocked is Begin: one process writes a SQLite file, so the head
// can not move under it.
func (s *Store) BeginUnlocked(ctx context.Context) (ledger.Tx, error) {
	tx, _, err := s.Begin(ctx)
	return tx, err
}

// Begin starts the engine's write transaction. BEGIN IMMEDIATE takes
// SQLite's write lock at once.
func (s *Store) Begin(ctx context.Context) (ledger.Tx, ledger.Head, error) {
	if s.w == nil {
		return nil, ledger.Head{}, errReadOnly
	}
	s.writeMu.Lock()
	if err := s.w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.writeMu.Unlock()
		return nil, ledger.Head{}, fmt.Errorf("sqlite: begin: %w", err)
	}
	var h ledger.Head
	err := s.w.query(ctx, headSQL, nil,
		func(v []driver.Value) error {
			h = ledger.Head{LastTS: v[0].(int64), LastAccountKey: v[1].(int64), CheckpointTS: v[2].(int64)}
			return nil
		})
	if err != nil {
		_ = s.w.exec(ctx, "ROLLBACK")
		s.writeMu.Unlock()
		return nil, ledger.Head{}, fmt.Errorf("sqlite: read head: %w", err)
	}
	return &tx{w: s.w, mu: s.writeMu, wal: s.wal}, h, nil
}

type tx struct {
	w    *writer
	mu   *writeLock // held from Begin until Commit or Rollback
	wal  *walSyncer
	done bool
}

// Commit writes the commit to the log (the writer's connection does not
// flush: synchronous=NORMAL), lets the next writer in, and returns once
// the log is on disk (walsync.go).
func (t *tx) Commit(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	if err := t.w.exec(ctx, "COMMIT"); err != nil {
		_ = t.w.exec(ctx, "ROLLBACK")
		t.mu.Unlock()
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	t.mu.Unlock()
	if err := t.wal.sync(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.mu.Unlock()
	if err := t.w.exec(ctx, "ROLLBACK"); err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		return fmt.Errorf("sqlite: rollback: %w", err)
	}
	return nil
}

func (t *tx) Advance(ctx context.Context, base, h ledger.Head) error {
	err := t.w.exec(ctx, "INSERT INTO ledger_commits (ts, prev_ts, last_account_key, checkpoint_ts) VALUES (?, ?, ?, ?)",
		h.LastTS, base.LastTS, h.LastAccountKey, h.CheckpointTS)
	if errors.Is(err, ledger.ErrDuplicate) {
		return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
	}
	return err
}

// inChunks runs fn over ids in chunks of at most inChunk.
func inChunks[T any](xs []T, fn func(chunk []T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), inChunk)
		if err := fn(xs[:n]); err != nil {
			return err
		}
		xs = xs[n:]
	}
	return nil
}

func idArgs(ids []ledger.ID) []any {
	args := make([]any, len(ids))
	for i := range ids {
		args[i] = ids[i][:]
	}
	return args
}

func int64Args(xs []int64) []any {
	args := make([]any, len(xs))
	for i, x := range xs {
		args[i] = x
	}
	return args
}

func (t *tx) AccountsByKey(ctx context.Context, keys []int64) ([]ledger.AccountRecord, error) {
	var out []ledger.AccountRecord
	err := inChunks(keys, func(c []int64) error {
		q := "SELECT " + accountCols + " FROM " + accountJoins + " WHERE a.key IN (" + inList(len(c)) + ")"
		return t.w.query(ctx, q, int64Args(c), func(v []driver.Value) error {
			var a ledger.AccountRecord
			if err := decodeAccount(anyValues(v), &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

func (t *tx) TransfersAfter(ctx context.Context, ts int64, fn func(*ledger.TransferRecord) error) error {
	var r ledger.TransferRecord
	return t.w.query(ctx, "SELECT "+transferCols+" FROM transfers t WHERE t.ts > ? ORDER BY t.ts", []any{ts},
		func(v []driver.Value) error {
			if err := decodeTransfer(anyValues(v), &r); err != nil {
				return err
			}
			return fn(&r)
		})
}

// insertMany inserts n rows with m, up to insertRows rows per statement;
// fill writes row i's values into args.
func (t *tx) insertMany(ctx context.Context, m *multiRow, n int, fill func(i int, args []driver.NamedValue)) error {
	w, cols := t.w, m.cols
	if cap(w.args) < insertRows*cols {
		w.args = make([]driver.NamedValue, insertRows*cols)
	}
	for start := 0; start < n; start += insertRows {
		rows := min(insertRows, n-start)
		args := w.args[:rows*cols]
		for i := range args {
			args[i].Ordinal = i + 1
		}
		for i := 0; i < rows; i++ {
			fill(start+i, args[i*cols:(i+1)*cols])
		}
		if err := w.execArgs(ctx, m.sql(rows), args); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) InsertTransfers(ctx context.Context, rs []ledger.TransferRecord, _ any) error {
	// One buffer for the encoded sides of a whole statement, sized so that
	// it never moves while the statement's arguments point into it.
	const maxSides = 1 + 2*6*10
	buf := make([]byte, 0, insertRows*maxSides)
	return t.insertMany(ctx, t.w.insertTransfers, len(rs), func(i int, a []driver.NamedValue) {
		if i%insertRows == 0 {
			buf = buf[:0]
		}
		r := &rs[i]
		start := len(buf)
		buf = ledger.EncodeSides(buf, r.TS, &r.Debit, &r.Credit)
		var pending any
		if r.PendingTS != 0 {
			pending = r.PendingTS
		}
		a[0].Value, a[1].Value, a[2].Value, a[3].Value = r.TS, r.ID[:], r.DebitKey, r.CreditKey
		a[4].Value, a[5].Value, a[6].Value, a[7].Value = r.Amount, r.Currency, int64(r.Code), int64(r.Flags)
		a[8].Value, a[9].Value, a[10].Value = pending, int64(r.TimeoutSeconds), r.Reference
		a[11].Value, a[12].Value, a[13].Value = r.Debit.PrevTS, r.Credit.PrevTS, buf[start:len(buf):len(buf)]
	})
}

func (t *tx) InsertAccounts(ctx context.Context, as []ledger.AccountRecord) error {
	return t.insertMany(ctx, t.w.insertAccounts, len(as), func(i int, a []driver.NamedValue) {
		r := &as[i]
		a[0].Value, a[1].Value, a[2].Value, a[3].Value = r.Key, r.ID[:], r.Currency, int64(r.Code)
		a[4].Value, a[5].Value, a[6].Value = int64(r.Flags), r.Owner, r.Timestamp
	})
}

func (t *tx) WriteAccountChains(ctx context.Context, as []ledger.AccountRecord) error {
	return t.insertMany(ctx, t.w.upsertBalances, len(as), func(i int, a []driver.NamedValue) {
		c := &as[i].Chain
		a[0].Value, a[1].Value, a[2].Value = as[i].Key, c.DebitsPending, c.DebitsPosted
		a[3].Value, a[4].Value, a[5].Value = c.CreditsPending, c.CreditsPosted, c.HeadTS
		a[6].Value, a[7].Value = int64(c.Height), ledger.EncodeLevels(nil, c.Levels)
	})
}

func (t *tx) InsertTimeouts(ctx context.Context, ts []ledger.Timeout) error {
	return t.insertMany(ctx, t.w.insertTimeouts, len(ts),
		func(i int, a []driver.NamedValue) {
			a[0].Value, a[1].Value = ts[i].PendingTS, ts[i].ExpiresAt
		})
}

func (t *tx) DeleteTimeouts(ctx context.Context, pendingTS []int64) error {
	return inChunks(pendingTS, func(c []int64) error {
		return t.w.exec(ctx, "DELETE FROM pending_timeouts WHERE pending_ts IN ("+inList(len(c))+")", int64Args(c)...)
	})
}

func anyValues(v []driver.Value) []any {
	out := make([]any, len(v))
	for i := range v {
		out[i] = v[i]
	}
	return out
}
