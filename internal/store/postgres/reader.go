package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

func (s *Store) ReadHead(ctx context.Context) (ledger.Head, error) {
	var h ledger.Head
	err := s.pool.QueryRow(ctx, headSQL).
		Scan(&h.LastTS, &h.LastAccountKey, &h.CheckpointTS)
	if err != nil {
		return h, fmt.Errorf("postgres: read head: %w", err)
	}
	return h, nil
}

// readTx runs fn in a read-only transaction that sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (s *Store) ReadAccount(ctx context.Context, id ledger.ID) (ledger.AccountRecord, []ledger.TransferRecord, error) {
	var (
		a    ledger.AccountRecord
		tail []ledger.TransferRecord
	)
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var checkpoint int64
		if err := tx.QueryRow(ctx, "SELECT checkpoint_ts FROM ledger_commits ORDER BY ts DESC LIMIT 1").Scan(&checkpoint); err != nil {
			return err
		}
		err := scanAccount(tx.QueryRow(ctx, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.id = $1", [16]byte(id)), &a)
		if errors.Is(err, pgx.ErrNoRows) {
			return ledger.ErrNotFound
		}
		if err != nil {
			return err
		}
		return eachTransfer(ctx, tx, false, func(r *ledger.TransferRecord) error {
			tail = append(tail, *r)
			return nil
		}, "SELECT "+transferCols+" FROM transfers t WHERE t.ts > $1 AND (t.debit_account = $2 OR t.credit_account = $2) ORDER BY t.ts",
			max(checkpoint, a.Chain.HeadTS), a.Key)
	})
	if err != nil && !errors.Is(err, ledger.ErrNotFound) {
		err = fmt.Errorf("postgres: read account: %w", err)
	}
	return a, tail, err
}

func (s *Store) ReadAccountIDs(ctx context.Context, keys []int64) (map[int64]ledger.ID, error) {
	rows, err := s.pool.Query(ctx, "SELECT key, id FROM accounts WHERE key = ANY($1)", keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: read account ids: %w", err)
	}
	out := make(map[int64]ledger.ID, len(keys))
	var (
		key int64
		id  [16]byte
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error {
		out[key] = id
		return nil
	})
	return out, err
}

func (s *Store) readTransfer(ctx context.Context, where string, arg any) (ledger.TransferRecord, error) {
	var out ledger.TransferRecord
	found := false
	err := eachTransfer(ctx, s.pool, true, func(r *ledger.TransferRecord) error {
		out, found = *r, true
		return nil
	}, "SELECT "+transferColsJoined+" FROM "+transferJoins+" WHERE "+where, arg)
	if err != nil {
		return out, fmt.Errorf("postgres: read transfer: %w", err)
	}
	if !found {
		return out, ledger.ErrNotFound
	}
	return out, nil
}

func (s *Store) ReadTransfer(ctx context.Context, id ledger.ID) (ledger.TransferRecord, error) {
	return s.readTransfer(ctx, "t.id = $1", [16]byte(id))
}

func (s *Store) ReadTransferAt(ctx context.Context, ts int64) (ledger.TransferRecord, error) {
	return s.readTransfer(ctx, "t.ts = $1", ts)
}

// walkSQL follows an account's previous-transfer pointers from a start.
const walkSQL = `WITH RECURSIVE walk(ts, n) AS (
	SELECT $1::bigint, 1
	UNION ALL
	SELECT CASE WHEN w.debit_account = $2 THEN w.debit_prev ELSE w.credit_prev END, walk.n + 1
	FROM walk JOIN transfers w ON w.ts = walk.ts
	WHERE walk.n < $4 AND (CASE WHEN w.debit_account = $2 THEN w.debit_prev ELSE w.credit_prev END) >= $3
		AND (CASE WHEN w.debit_account = $2 THEN w.debit_prev ELSE w.credit_prev END) > 0
)
SELECT ` + transferColsJoined + ` FROM walk JOIN transfers t ON t.ts = walk.ts` + transferIDJoins + ` ORDER BY walk.n`

func (s *Store) WalkAccount(ctx context.Context, key, start, minTS int64, limit int) ([]ledger.TransferRecord, error) {
	if start <= 0 || start < minTS || limit <= 0 {
		return nil, nil
	}
	var out []ledger.TransferRecord
	err := eachTransfer(ctx, s.pool, true, func(r *ledger.TransferRecord) error {
		if r.DebitKey != key && r.CreditKey != key {
			return fmt.Errorf("%w: transfer %d is not in the chain of account %d", ledger.ErrCorruptRecord, r.TS, key)
		}
		out = append(out, *r)
		return nil
	}, walkSQL, start, key, minTS, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: walk account: %w", err)
	}
	return out, nil
}

func (s *Store) NextExpiry(ctx context.Context) (int64, bool, error) {
	var ts *int64
	if err := s.pool.QueryRow(ctx, "SELECT min(expires_at) FROM pending_timeouts").Scan(&ts); err != nil {
		return 0, false, fmt.Errorf("postgres: next expiry: %w", err)
	}
	if ts == nil {
		return 0, false, nil
	}
	return *ts, true, nil
}

// Snapshot opens a repeatable-read, read-only transaction.
func (s *Store) Snapshot(ctx context.Context) (ledger.Snapshot, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("postgres: begin snapshot: %w", err)
	}
	sn := &snapshot{tx: tx}
	err = tx.QueryRow(ctx, headSQL).
		Scan(&sn.head.LastTS, &sn.head.LastAccountKey, &sn.head.CheckpointTS)
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("postgres: read head: %w", err)
	}
	return sn, nil
}

type snapshot struct {
	tx   pgx.Tx
	head ledger.Head
}

func (sn *snapshot) Head() ledger.Head { return sn.head }
func (sn *snapshot) Close() error      { return sn.tx.Rollback(context.Background()) }

func (sn *snapshot) ScanAccounts(ctx context.Context, fn func(*ledger.AccountRecord) error) error {
	rows, err := sn.tx.Query(ctx, "SELECT "+accountCols+" FROM "+accountJoins+" ORDER BY a.key")
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	var a ledger.AccountRecord
	for rows.Next() {
		if err := scanAccount(rows, &a); err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (sn *snapshot) ScanTransfers(ctx context.Context, fn func(*ledger.TransferRecord) error) error {
	return eachTransfer(ctx, sn.tx, false, fn, "SELECT "+transferCols+" FROM transfers t ORDER BY t.ts")
}

func (sn *snapshot) ScanTimeouts(ctx context.Context, fn func(ledger.Timeout) error) error {
	rows, err := sn.tx.Query(ctx, "SELECT pending_ts, expires_at FROM pending_timeouts ORDER BY pending_ts")
	if err != nil {
		return mapError(err)
	}
	var t ledger.Timeout
	_, err = pgx.ForEachRow(rows, []any{&t.PendingTS, &t.ExpiresAt}, func() error { return fn(t) })
	return err
}

// TransfersAfter returns up to limit transfers with a timestamp in
// (after, upto], in timestamp order, with their account and pending ids
// (the transparency log tails the ledger with it).
func (s *Store) TransfersAfter(ctx context.Context, after, upto int64, limit int) ([]ledger.TransferRecord, error) {
	out, err := collectTransfers(ctx, s.pool, "SELECT "+transferColsJoined+" FROM "+transferJoins+
		" WHERE t.ts > $1 AND t.ts <= $2 ORDER BY t.ts LIMIT $3", after, upto, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: transfers after: %w", err)
	}
	return out, nil
}
