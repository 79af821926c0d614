package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

const (
	transferCols = "t.ts, t.id, t.debit_account, t.credit_account, t.amount, t.currency, t.code, t.flags, " +
		"t.pending_ts, t.timeout, t.reference, t.debit_prev, t.credit_prev, t.sides"
	transferColsJoined = transferCols + ", da.id, ca.id, p.id"
	// transferIDJoins adds what transferColsJoined needs to "transfers t".
	transferIDJoins = " JOIN accounts da ON da.key = t.debit_account " +
		"JOIN accounts ca ON ca.key = t.credit_account LEFT JOIN transfers p ON p.ts = t.pending_ts"
	transferJoins = "transfers t" + transferIDJoins
	accountCols   = "a.key, a.id, a.currency, a.code, a.flags, a.owner, a.ts, " +
		"b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted, b.head_ts, b.height, b.levels"
	accountJoins = "accounts a LEFT JOIN account_balances b ON b.key = a.key"
)

var transferColumns = []string{"ts", "id", "debit_account", "credit_account", "amount", "currency", "code", "flags",
	"pending_ts", "timeout", "reference", "debit_prev", "credit_prev", "sides"}

// Begin starts the engine's write transaction and locks the head row,
// which orders the commits of every process.
func (s *Store) Begin(ctx context.Context) (ledger.Tx, ledger.Head, error) {
	if s.w == nil {
		return nil, ledger.Head{}, errors.New("postgres: store opened read-only")
	}
	ptx, err := s.w.Begin(ctx)
	if err != nil {
		return nil, ledger.Head{}, fmt.Errorf("postgres: begin: %w", err)
	}
	var h ledger.Head
	err = ptx.QueryRow(ctx, "SELECT last_ts, last_account_key, checkpoint_ts FROM ledger_head WHERE id = 1 FOR UPDATE").
		Scan(&h.LastTS, &h.LastAccountKey, &h.CheckpointTS)
	if err != nil {
		_ = ptx.Rollback(ctx)
		return nil, ledger.Head{}, fmt.Errorf("postgres: lock head: %w", mapError(err))
	}
	return &tx{tx: ptx}, h, nil
}

type tx struct {
	tx pgx.Tx
}

func (t *tx) Commit(ctx context.Context) error {
	if err := t.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", mapError(err))
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error {
	if err := t.tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("postgres: rollback: %w", err)
	}
	return nil
}

func (t *tx) SetHead(ctx context.Context, h ledger.Head) error {
	_, err := t.tx.Exec(ctx, "UPDATE ledger_head SET last_ts = $1, last_account_key = $2, checkpoint_ts = $3 WHERE id = 1",
		h.LastTS, h.LastAccountKey, h.CheckpointTS)
	return mapError(err)
}

func idBytes(ids []ledger.ID) [][]byte {
	out := make([][]byte, len(ids))
	for i := range ids {
		out[i] = ids[i][:]
	}
	return out
}

func (s *Store) AccountsByID(ctx context.Context, ids []ledger.ID) ([]ledger.AccountRecord, error) {
	return queryAccounts(ctx, s.pool, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.id = ANY($1)", idBytes(ids))
}

func (t *tx) AccountsByKey(ctx context.Context, keys []int64) ([]ledger.AccountRecord, error) {
	return queryAccounts(ctx, t.tx, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.key = ANY($1)", keys)
}

func (t *tx) TransfersAfter(ctx context.Context, ts int64, fn func(*ledger.TransferRecord) error) error {
	return eachTransfer(ctx, t.tx, false, fn, "SELECT "+transferCols+" FROM transfers t WHERE t.ts > $1 ORDER BY t.ts", ts)
}

func (s *Store) TransfersByID(ctx context.Context, ids []ledger.ID) ([]ledger.TransferRecord, error) {
	return collectTransfers(ctx, s.pool, "SELECT "+transferColsJoined+" FROM "+transferJoins+" WHERE t.id = ANY($1)", idBytes(ids))
}

func (s *Store) Resolutions(ctx context.Context, pendingTS []int64) (map[int64]ledger.TransferFlags, error) {
	rows, err := s.pool.Query(ctx, "SELECT pending_ts, flags FROM transfers WHERE pending_ts = ANY($1)", pendingTS)
	if err != nil {
		return nil, mapError(err)
	}
	out := map[int64]ledger.TransferFlags{}
	var ts int64
	var flags int32
	_, err = pgx.ForEachRow(rows, []any{&ts, &flags}, func() error {
		out[ts] = ledger.TransferFlags(flags)
		return nil
	})
	return out, mapError(err)
}

func (s *Store) ExpiredPending(ctx context.Context, now int64, limit int) ([]ledger.TransferRecord, error) {
	return collectTransfers(ctx, s.pool, "SELECT "+transferColsJoined+" FROM pending_timeouts pt "+
		"JOIN transfers t ON t.ts = pt.pending_ts JOIN accounts da ON da.key = t.debit_account "+
		"JOIN accounts ca ON ca.key = t.credit_account LEFT JOIN transfers p ON p.ts = t.pending_ts "+
		"WHERE pt.expires_at <= $1 ORDER BY pt.expires_at, pt.pending_ts LIMIT $2", now, limit)
}

// transferSource feeds COPY without building a []any per row.
type transferSource struct {
	rs  []ledger.TransferRecord
	i   int
	row []any
	buf []byte
}

func (s *transferSource) Next() bool {
	s.i++
	return s.i <= len(s.rs)
}

func (s *transferSource) Values() ([]any, error) {
	r := &s.rs[s.i-1]
	s.buf = ledger.EncodeSides(s.buf[:0], r.TS, &r.Debit, &r.Credit)
	var pending any
	if r.PendingTS != 0 {
		pending = r.PendingTS
	}
	s.row = append(s.row[:0], r.TS, r.ID[:], r.DebitKey, r.CreditKey, r.Amount, r.Currency, int32(r.Code),
		int32(r.Flags), pending, int32(r.TimeoutSeconds), r.Reference, r.Debit.PrevTS, r.Credit.PrevTS, s.buf)
	return s.row, nil
}

func (s *transferSource) Err() error { return nil }

func (t *tx) InsertTransfers(ctx context.Context, rs []ledger.TransferRecord) error {
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"transfers"}, transferColumns, &transferSource{rs: rs})
	return mapError(err)
}

func (t *tx) InsertAccounts(ctx context.Context, as []ledger.AccountRecord) error {
	rows := make([][]any, len(as))
	for i := range as {
		a := &as[i]
		rows[i] = []any{a.Key, a.ID[:], a.Currency, int32(a.Code), int32(a.Flags), a.Owner, a.Timestamp}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"accounts"},
		[]string{"key", "id", "currency", "code", "flags", "owner", "ts"}, pgx.CopyFromRows(rows))
	return mapError(err)
}

// WriteAccountChains upserts rows; a row already at a newer transfer than
// the state given stays as it is.
func (t *tx) WriteAccountChains(ctx context.Context, as []ledger.AccountRecord) error {
	n := len(as)
	key, dp, dpo, cp, cpo, head, height := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	levels := make([][]byte, n)
	for i := range as {
		c := &as[i].Chain
		key[i], dp[i], dpo[i], cp[i], cpo[i] = as[i].Key, c.DebitsPending, c.DebitsPosted, c.CreditsPending, c.CreditsPosted
		head[i], height[i], levels[i] = c.HeadTS, int64(c.Height), ledger.EncodeLevels(nil, c.Levels)
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO account_balances AS b (key, debits_pending, debits_posted, credits_pending,
		credits_posted, head_ts, height, levels)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[])
		ON CONFLICT (key) DO UPDATE SET debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
			credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted,
			head_ts = excluded.head_ts, height = excluded.height, levels = excluded.levels
		WHERE excluded.head_ts > b.head_ts`, key, dp, dpo, cp, cpo, head, height, levels)
	return mapError(err)
}

func (t *tx) InsertTimeouts(ctx context.Context, ts []ledger.Timeout) error {
	pending, expires := make([]int64, len(ts)), make([]int64, len(ts))
	for i, x := range ts {
		pending[i], expires[i] = x.PendingTS, x.ExpiresAt
	}
	_, err := t.tx.Exec(ctx, "INSERT INTO pending_timeouts (pending_ts, expires_at) SELECT * FROM unnest($1::bigint[], $2::bigint[])",
		pending, expires)
	return mapError(err)
}

func (t *tx) DeleteTimeouts(ctx context.Context, pendingTS []int64) error {
	_, err := t.tx.Exec(ctx, "DELETE FROM pending_timeouts WHERE pending_ts = ANY($1)", pendingTS)
	return mapError(err)
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryAccounts(ctx context.Context, q queryer, sql string, args ...any) ([]ledger.AccountRecord, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	var out []ledger.AccountRecord
	for rows.Next() {
		var a ledger.AccountRecord
		if err := scanAccount(rows, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapError(rows.Err())
}

func scanAccount(row pgx.Row, a *ledger.AccountRecord) error {
	var (
		id               []byte
		code, flags      int32
		dp, dpo, cp, cpo *int64
		head, height     *int64
		levels           []byte
	)
	*a = ledger.AccountRecord{}
	err := row.Scan(&a.Key, &id, &a.Currency, &code, &flags, &a.Owner, &a.Timestamp, &dp, &dpo, &cp, &cpo, &head, &height, &levels)
	if err != nil {
		return mapError(err)
	}
	if len(id) != 16 {
		return fmt.Errorf("%w: account %d: id of %d bytes", ledger.ErrCorruptRecord, a.Key, len(id))
	}
	copy(a.ID[:], id)
	a.Code, a.Flags = uint16(code), ledger.AccountFlags(flags)
	if height == nil {
		return nil // no balance row: no transfer yet
	}
	a.Chain.Balance = ledger.Balance{DebitsPending: *dp, DebitsPosted: *dpo, CreditsPending: *cp, CreditsPosted: *cpo}
	a.Chain.HeadTS, a.Chain.Height = *head, uint64(*height)
	if a.Chain.Levels, err = ledger.DecodeLevels(levels); err != nil {
		return fmt.Errorf("account %d: %w", a.Key, err)
	}
	return nil
}

// transferScan holds the scan targets of one transfer row.
type transferScan struct {
	r                         ledger.TransferRecord
	id, sides                 []byte
	code, flags, timeout      int32
	pending                   *int64
	debitID, creditID, pendID []byte
	targets                   []any
}

func newTransferScan(joined bool) *transferScan {
	s := &transferScan{}
	r := &s.r
	s.targets = []any{&r.TS, &s.id, &r.DebitKey, &r.CreditKey, &r.Amount, &r.Currency, &s.code, &s.flags,
		&s.pending, &s.timeout, &r.Reference, &r.Debit.PrevTS, &r.Credit.PrevTS, &s.sides}
	if joined {
		s.targets = append(s.targets, &s.debitID, &s.creditID, &s.pendID)
	}
	return s
}

// record finishes the row just scanned.
func (s *transferScan) record() (*ledger.TransferRecord, error) {
	r := &s.r
	dprev, cprev := r.Debit.PrevTS, r.Credit.PrevTS
	if err := copyID(&r.ID, s.id); err != nil {
		return nil, err
	}
	r.Code, r.Flags, r.TimeoutSeconds = uint16(s.code), ledger.TransferFlags(s.flags), uint32(s.timeout)
	r.PendingTS = 0
	if s.pending != nil {
		r.PendingTS = *s.pending
	}
	if err := ledger.DecodeSides(s.sides, r); err != nil {
		return nil, err
	}
	r.Debit.PrevTS, r.Credit.PrevTS = dprev, cprev
	r.DebitID, r.CreditID, r.PendingID = ledger.ID{}, ledger.ID{}, ledger.ID{}
	if len(s.targets) > 14 {
		for _, x := range []struct {
			dst *ledger.ID
			src []byte
		}{{&r.DebitID, s.debitID}, {&r.CreditID, s.creditID}, {&r.PendingID, s.pendID}} {
			if err := copyID(x.dst, x.src); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func copyID(dst *ledger.ID, src []byte) error {
	if src == nil {
		*dst = ledger.ID{}
		return nil
	}
	if len(src) != len(dst) {
		return fmt.Errorf("%w: id of %d bytes", ledger.ErrCorruptRecord, len(src))
	}
	copy(dst[:], src)
	return nil
}

func eachTransfer(ctx context.Context, q queryer, joined bool, fn func(*ledger.TransferRecord) error, sql string, args ...any) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	s := newTransferScan(joined)
	for rows.Next() {
		if err := rows.Scan(s.targets...); err != nil {
			return mapError(err)
		}
		r, err := s.record()
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return mapError(rows.Err())
}

func collectTransfers(ctx context.Context, q queryer, sql string, args ...any) ([]ledger.TransferRecord, error) {
	var out []ledger.TransferRecord
	err := eachTransfer(ctx, q, true, func(r *ledger.TransferRecord) error {
		out = append(out, *r)
		return nil
	}, sql, args...)
	return out, err
}
