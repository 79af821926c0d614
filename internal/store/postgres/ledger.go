package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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

// uuids converts ids for a uuid[] parameter.
func uuids(ids []ledger.ID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i := range ids {
		out[i] = ids[i]
	}
	return out
}

func (s *Store) AccountsByID(ctx context.Context, ids []ledger.ID) ([]ledger.AccountRecord, error) {
	return queryAccounts(ctx, s.pool, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.id = ANY($1)", uuids(ids))
}

func (s *Store) TransfersByID(ctx context.Context, ids []ledger.ID) ([]ledger.TransferRecord, error) {
	return collectTransfers(ctx, s.pool, "SELECT "+transferColsJoined+" FROM "+transferJoins+" WHERE t.id = ANY($1)", uuids(ids))
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
		id               [16]byte
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
	a.ID = id
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
	r                    ledger.TransferRecord
	id                   [16]byte
	sides                []byte
	code, flags, timeout int32
	pending              *int64
	debitID, creditID    [16]byte
	pendID               pgtype.UUID
	targets              []any
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
	r.ID = s.id
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
		r.DebitID, r.CreditID = s.debitID, s.creditID
		if s.pendID.Valid {
			r.PendingID = s.pendID.Bytes
		}
	}
	return r, nil
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
