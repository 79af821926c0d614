package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// scanner reads rows of n columns into []any.
type scanner struct {
	vals []any
	ptrs []any
}

func newScanner(n int) *scanner {
	s := &scanner{vals: make([]any, n), ptrs: make([]any, n)}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return s
}

func (s *scanner) scan(rows interface{ Scan(...any) error }) ([]any, error) {
	clear(s.vals)
	if err := rows.Scan(s.ptrs...); err != nil {
		return nil, err
	}
	return s.vals, nil
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// stmt is q prepared on the readers' pool, once: SQLite's parser is a
// good part of a short read's cost. Only queries of fixed text come here
// (not the IN lists, whose text varies with their length).
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepared is the readers' pool through the statement cache.
type prepared struct{ s *Store }

func (p prepared) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext on the prepared statement; a statement that
// does not prepare is run unprepared, and reports its error on Scan.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return s.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// each runs q and calls fn for every row.
func each(ctx context.Context, db querier, q string, args []any, cols int, fn func([]any) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlite: query: %w", err)
	}
	defer rows.Close()
	sc := newScanner(cols)
	for rows.Next() {
		v, err := sc.scan(rows)
		if err != nil {
			return fmt.Errorf("sqlite: scan: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Store) ReadHead(ctx context.Context) (ledger.Head, error) {
	var h ledger.Head
	err := s.queryRow(ctx, headSQL).
		Scan(&h.LastTS, &h.LastAccountKey, &h.CheckpointTS)
	if err != nil {
		return h, fmt.Errorf("sqlite: read head: %w", err)
	}
	return h, nil
}

func (s *Store) ReadAccount(ctx context.Context, id ledger.ID) (ledger.AccountRecord, []ledger.TransferRecord, error) {
	var a ledger.AccountRecord
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return a, nil, fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var checkpoint int64
	if err := tx.QueryRowContext(ctx, "SELECT checkpoint_ts FROM ledger_commits ORDER BY ts DESC LIMIT 1").Scan(&checkpoint); err != nil {
		return a, nil, fmt.Errorf("sqlite: read head: %w", err)
	}
	sc := newScanner(14)
	v, err := sc.scan(tx.QueryRowContext(ctx, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.id = ?", id[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil, ledger.ErrNotFound
	}
	if err != nil {
		return a, nil, fmt.Errorf("sqlite: read account: %w", err)
	}
	if err := decodeAccount(v, &a); err != nil {
		return a, nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+transferCols+" FROM transfers t WHERE t.ts > ? "+
		"AND (t.debit_account = ? OR t.credit_account = ?) ORDER BY t.ts",
		max(checkpoint, a.Chain.HeadTS), a.Key, a.Key)
	if err != nil {
		return a, nil, fmt.Errorf("sqlite: read account tail: %w", err)
	}
	defer rows.Close()
	var tail []ledger.TransferRecord
	sc = newScanner(14)
	for rows.Next() {
		v, err := sc.scan(rows)
		if err != nil {
			return a, nil, fmt.Errorf("sqlite: scan: %w", err)
		}
		var r ledger.TransferRecord
		if err := decodeTransfer(v, &r); err != nil {
			return a, nil, err
		}
		tail = append(tail, r)
	}
	return a, tail, rows.Err()
}

func (s *Store) ReadAccountIDs(ctx context.Context, keys []int64) (map[int64]ledger.ID, error) {
	out := make(map[int64]ledger.ID, len(keys))
	err := inChunks(keys, func(c []int64) error {
		return each(ctx, s.db, "SELECT key, id FROM accounts WHERE key IN ("+inList(len(c))+")", int64Args(c), 2,
			func(v []any) error {
				id, err := asID(v[1])
				out[asInt(v[0])] = id
				return err
			})
	})
	return out, err
}

func (s *Store) readTransfer(ctx context.Context, where string, arg any) (ledger.TransferRecord, error) {
	var r ledger.TransferRecord
	v, err := newScanner(17).scan(s.queryRow(ctx, "SELECT "+transferColsJoined+" FROM "+transferJoins+" WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ledger.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: read transfer: %w", err)
	}
	return r, decodeTransfer(v, &r)
}

func (s *Store) ReadTransfer(ctx context.Context, id ledger.ID) (ledger.TransferRecord, error) {
	return s.readTransfer(ctx, "t.id = ?", id[:])
}

func (s *Store) ReadTransferAt(ctx context.Context, ts int64) (ledger.TransferRecord, error) {
	return s.readTransfer(ctx, "t.ts = ?", ts)
}

// walkSQL follows an account's previous-transfer pointers from a start.
const walkSQL = `WITH RECURSIVE walk(ts, n) AS (
	SELECT ?1, 1
	UNION ALL
	SELECT CASE WHEN w.debit_account = ?2 THEN w.debit_prev ELSE w.credit_prev END, walk.n + 1
	FROM walk JOIN transfers w ON w.ts = walk.ts
	WHERE walk.n < ?4 AND (CASE WHEN w.debit_account = ?2 THEN w.debit_prev ELSE w.credit_prev END) >= ?3
		AND (CASE WHEN w.debit_account = ?2 THEN w.debit_prev ELSE w.credit_prev END) > 0
)
SELECT ` + transferColsJoined + ` FROM walk JOIN transfers t ON t.ts = walk.ts` + transferIDJoins + ` ORDER BY walk.n`

func (s *Store) WalkAccount(ctx context.Context, key, start, minTS int64, limit int) ([]ledger.TransferRecord, error) {
	if start <= 0 || start < minTS || limit <= 0 {
		return nil, nil
	}
	var out []ledger.TransferRecord
	err := each(ctx, prepared{s}, walkSQL, []any{start, key, minTS, int64(limit)}, 17, func(v []any) error {
		var r ledger.TransferRecord
		if err := decodeTransfer(v, &r); err != nil {
			return err
		}
		if r.DebitKey != key && r.CreditKey != key {
			return fmt.Errorf("%w: transfer %d is not in the chain of account %d", ledger.ErrCorruptRecord, r.TS, key)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func (s *Store) NextExpiry(ctx context.Context) (int64, bool, error) {
	var ts sql.NullInt64
	if err := s.queryRow(ctx, "SELECT min(expires_at) FROM pending_timeouts").Scan(&ts); err != nil {
		return 0, false, fmt.Errorf("sqlite: next expiry: %w", err)
	}
	return ts.Int64, ts.Valid, nil
}

// Snapshot opens a read transaction: in WAL mode it sees one consistent
// state of the database however long it runs.
func (s *Store) Snapshot(ctx context.Context) (ledger.Snapshot, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: begin snapshot: %w", err)
	}
	sn := &snapshot{tx: tx}
	err = tx.QueryRowContext(ctx, headSQL).
		Scan(&sn.head.LastTS, &sn.head.LastAccountKey, &sn.head.CheckpointTS)
	if err != nil {
		tx.Rollback() //nolint:errcheck // read-only
		return nil, fmt.Errorf("sqlite: read head: %w", err)
	}
	return sn, nil
}

type snapshot struct {
	tx   *sql.Tx
	head ledger.Head
}

func (sn *snapshot) Head() ledger.Head { return sn.head }
func (sn *snapshot) Close() error      { return sn.tx.Rollback() }

func (sn *snapshot) ScanAccounts(ctx context.Context, fn func(*ledger.AccountRecord) error) error {
	var a ledger.AccountRecord
	return each(ctx, sn.tx, "SELECT "+accountCols+" FROM "+accountJoins+" ORDER BY a.key", nil, 14, func(v []any) error {
		if err := decodeAccount(v, &a); err != nil {
			return err
		}
		return fn(&a)
	})
}

func (sn *snapshot) ScanTransfers(ctx context.Context, fn func(*ledger.TransferRecord) error) error {
	var r ledger.TransferRecord
	return each(ctx, sn.tx, "SELECT "+transferCols+" FROM transfers t ORDER BY t.ts", nil, 14, func(v []any) error {
		if err := decodeTransfer(v, &r); err != nil {
			return err
		}
		return fn(&r)
	})
}

func (sn *snapshot) ScanTimeouts(ctx context.Context, fn func(ledger.Timeout) error) error {
	return each(ctx, sn.tx, "SELECT pending_ts, expires_at FROM pending_timeouts ORDER BY pending_ts", nil, 2, func(v []any) error {
		return fn(ledger.Timeout{PendingTS: asInt(v[0]), ExpiresAt: asInt(v[1])})
	})
}

// Lookups for the engine's validation, on the reader pool.

func (s *Store) AccountsByID(ctx context.Context, ids []ledger.ID) ([]ledger.AccountRecord, error) {
	var out []ledger.AccountRecord
	err := inChunks(ids, func(c []ledger.ID) error {
		q := "SELECT " + accountCols + " FROM " + accountJoins + " WHERE a.id IN (" + inList(len(c)) + ")"
		return each(ctx, s.db, q, idArgs(c), 14, func(v []any) error {
			var a ledger.AccountRecord
			if err := decodeAccount(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

func (s *Store) TransfersByID(ctx context.Context, ids []ledger.ID) ([]ledger.TransferRecord, error) {
	var out []ledger.TransferRecord
	err := inChunks(ids, func(c []ledger.ID) error {
		q := "SELECT " + transferColsJoined + " FROM " + transferJoins + " WHERE t.id IN (" + inList(len(c)) + ")"
		return each(ctx, s.db, q, idArgs(c), 17, func(v []any) error {
			var r ledger.TransferRecord
			if err := decodeTransfer(v, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

func (s *Store) Resolutions(ctx context.Context, pendingTS []int64) (map[int64]ledger.TransferFlags, error) {
	out := map[int64]ledger.TransferFlags{}
	err := inChunks(pendingTS, func(c []int64) error {
		q := "SELECT pending_ts, flags FROM transfers WHERE pending_ts IN (" + inList(len(c)) + ")"
		return each(ctx, s.db, q, int64Args(c), 2, func(v []any) error {
			out[asInt(v[0])] = ledger.TransferFlags(asInt(v[1]))
			return nil
		})
	})
	return out, err
}

func (s *Store) ExpiredPending(ctx context.Context, now int64, limit int) ([]ledger.TransferRecord, error) {
	var out []ledger.TransferRecord
	q := "SELECT " + transferColsJoined + " FROM pending_timeouts pt JOIN transfers t ON t.ts = pt.pending_ts " +
		"JOIN accounts da ON da.key = t.debit_account JOIN accounts ca ON ca.key = t.credit_account " +
		"LEFT JOIN transfers p ON p.ts = t.pending_ts WHERE pt.expires_at <= ? ORDER BY pt.expires_at, pt.pending_ts LIMIT ?"
	err := each(ctx, s.db, q, []any{now, int64(limit)}, 17, func(v []any) error {
		var r ledger.TransferRecord
		if err := decodeTransfer(v, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// TransfersAfter returns up to limit transfers with a timestamp in
// (after, upto], in timestamp order, with their account and pending ids
// (the transparency log tails the ledger with it).
func (s *Store) TransfersAfter(ctx context.Context, after, upto int64, limit int) ([]ledger.TransferRecord, error) {
	var out []ledger.TransferRecord
	q := "SELECT " + transferColsJoined + " FROM " + transferJoins + " WHERE t.ts > ? AND t.ts <= ? ORDER BY t.ts LIMIT ?"
	err := each(ctx, s.db, q, []any{after, upto, int64(limit)}, 17, func(v []any) error {
		var r ledger.TransferRecord
		if err := decodeTransfer(v, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
