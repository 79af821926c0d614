package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// A batch's write transaction is one round trip: BEGIN, every write, the
// row that records the commit, and COMMIT, sent as one pipelined batch. On
// a busy two-core machine each round trip is a wake-up of the database
// process, which is what a batch mostly waits for. The commit row's
// constraints (see the migration) refuse a batch built on a head that is
// no longer the head, so no lock is taken before the writes.

// headSQL reads the head: the newest commit.
const headSQL = "SELECT ts, last_account_key, checkpoint_ts FROM ledger_commits ORDER BY ts DESC LIMIT 1"

// Begin starts a write transaction that holds the head: it locks the
// newest commit row, which every later commit must reference, so nobody
// commits until this transaction ends. A commit may land while the lock is
// being taken; then the newest row is locked again.
func (s *Store) Begin(ctx context.Context) (ledger.Tx, ledger.Head, error) {
	if err := s.writable(ctx); err != nil {
		return nil, ledger.Head{}, err
	}
	if _, err := s.w.Exec(ctx, "BEGIN ISOLATION LEVEL READ COMMITTED"); err != nil {
		return nil, ledger.Head{}, fmt.Errorf("postgres: begin: %w", mapError(err))
	}
	var h ledger.Head
	for attempt := 0; ; attempt++ {
		var locked ledger.Head
		err := s.w.QueryRow(ctx, headSQL+" FOR UPDATE").Scan(&locked.LastTS, &locked.LastAccountKey, &locked.CheckpointTS)
		if err == nil {
			err = s.w.QueryRow(ctx, headSQL).Scan(&h.LastTS, &h.LastAccountKey, &h.CheckpointTS)
		}
		if err != nil {
			_, _ = s.w.Exec(ctx, "ROLLBACK")
			return nil, ledger.Head{}, fmt.Errorf("postgres: lock head: %w", mapError(err))
		}
		if h == locked {
			break
		}
		if attempt == 100 {
			_, _ = s.w.Exec(ctx, "ROLLBACK")
			return nil, ledger.Head{}, fmt.Errorf("postgres: lock head: %w: it keeps moving", ledger.ErrConflict)
		}
	}
	return &tx{conn: s.w}, h, nil
}

// BeginUnlocked starts a write transaction whose BEGIN goes out with its
// writes and commit.
func (s *Store) BeginUnlocked(ctx context.Context) (ledger.Tx, error) {
	if err := s.writable(ctx); err != nil {
		return nil, err
	}
	t := &tx{conn: s.w}
	t.queue("begin", "BEGIN ISOLATION LEVEL READ COMMITTED")
	return t, nil
}

func (s *Store) writable(ctx context.Context) error {
	if s.w == nil {
		return errors.New("postgres: store opened read-only")
	}
	if s.w.IsClosed() {
		return s.reconnect(ctx)
	}
	return nil
}

func (s *Store) reconnect(ctx context.Context) error {
	w, err := pgx.ConnectConfig(ctx, s.w.Config())
	if err != nil {
		return fmt.Errorf("postgres: reconnect writer: %w", err)
	}
	s.w = w
	return nil
}

type tx struct {
	conn  *pgx.Conn
	batch pgx.Batch
	names []string // what each queued statement does, for errors
	done  bool
}

func (t *tx) queue(name, sql string, args ...any) {
	t.batch.Queue(sql, args...)
	t.names = append(t.names, name)
}

// flush sends the queued statements and reads their results in order.
func (t *tx) flush(ctx context.Context) error {
	if t.batch.Len() == 0 {
		return nil
	}
	br := t.conn.SendBatch(ctx, &t.batch)
	var err error
	for _, name := range t.names {
		if _, err = br.Exec(); err != nil {
			err = fmt.Errorf("postgres: %s: %w", name, mapError(err))
			break
		}
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: %w", mapError(cerr))
	}
	t.batch, t.names = pgx.Batch{}, nil
	return err
}

// Commit sends the queued writes and the commit in one round trip. A
// failed write aborts the transaction, so COMMIT rolls it back: a
// duplicate id reported here means nothing was committed.
func (t *tx) Commit(ctx context.Context) error {
	t.queue("commit", "COMMIT")
	t.done = true
	if err := t.flush(ctx); err != nil {
		// The failed statement aborted the transaction; the commands after it
		// in the pipeline may not have run. End it either way.
		_, _ = t.conn.Exec(ctx, "ROLLBACK")
		return err
	}
	return nil
}

func (t *tx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	t.batch, t.names = pgx.Batch{}, nil
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("postgres: rollback: %w", err)
	}
	return nil
}

// Advance queues the commit row. It goes last, so that the writes of a
// batch run beside those of the batch before it, and only the commit row
// waits for that batch to commit (the reference to its head).
func (t *tx) Advance(_ context.Context, base, h ledger.Head) error {
	t.queue("record commit", "INSERT INTO ledger_commits (ts, prev_ts, last_account_key, checkpoint_ts) VALUES ($1, $2, $3, $4)",
		h.LastTS, base.LastTS, h.LastAccountKey, h.CheckpointTS)
	return nil
}

// Reads inside the transaction (resync) see the queued writes.

func (t *tx) AccountsByKey(ctx context.Context, keys []int64) ([]ledger.AccountRecord, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return queryAccounts(ctx, t.conn, "SELECT "+accountCols+" FROM "+accountJoins+" WHERE a.key = ANY($1)", keys)
}

func (t *tx) TransfersAfter(ctx context.Context, ts int64, fn func(*ledger.TransferRecord) error) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	return eachTransfer(ctx, t.conn, false, fn, "SELECT "+transferCols+" FROM transfers t WHERE t.ts > $1 ORDER BY t.ts", ts)
}

// transferCopy is COPY's statement for the columns EncodeTransfers writes.
const transferCopy = "COPY transfers (ts, id, debit_account, credit_account, amount, currency, code, flags, " +
	"pending_ts, timeout, reference, debit_prev, credit_prev, sides) FROM STDIN BINARY"

// InsertTransfers copies the transfers in, in PostgreSQL's binary COPY
// format (see EncodeTransfers). When the transaction has sent nothing yet,
// BEGIN goes in the same message: the copy costs one round trip.
func (t *tx) InsertTransfers(ctx context.Context, rs []ledger.TransferRecord, encoded any) error {
	data, ok := encoded.([]byte)
	if !ok {
		data = encodeTransfers(rs)
	}
	sql := transferCopy
	if len(t.names) == 1 && t.names[0] == "begin" {
		t.batch, t.names = pgx.Batch{}, nil
		sql = "BEGIN ISOLATION LEVEL READ COMMITTED; " + transferCopy
	} else if err := t.flush(ctx); err != nil {
		return err
	}
	if _, err := t.conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), sql); err != nil {
		return fmt.Errorf("postgres: copy transfers: %w", mapError(err))
	}
	return nil
}

func (t *tx) InsertAccounts(_ context.Context, as []ledger.AccountRecord) error {
	n := len(as)
	keys, stamps := make([]int64, n), make([]int64, n)
	ids := make([][16]byte, n)
	currency, owner := make([]string, n), make([]string, n)
	code, flags := make([]int32, n), make([]int32, n)
	for i := range as {
		a := &as[i]
		keys[i], ids[i], currency[i], code[i], flags[i], owner[i], stamps[i] = a.Key, a.ID, a.Currency, int32(a.Code), int32(a.Flags), a.Owner, a.Timestamp
	}
	t.queue("insert accounts", `INSERT INTO accounts (key, id, currency, code, flags, owner, ts)
		SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bigint[])`,
		keys, ids, currency, code, flags, owner, stamps)
	return nil
}

// WriteAccountChains upserts rows; a row already at a newer transfer than
// the state given stays as it is.
func (t *tx) WriteAccountChains(_ context.Context, as []ledger.AccountRecord) error {
	n := len(as)
	key, dp, dpo, cp, cpo, head, height := make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	levels := make([][]byte, n)
	for i := range as {
		c := &as[i].Chain
		key[i], dp[i], dpo[i], cp[i], cpo[i] = as[i].Key, c.DebitsPending, c.DebitsPosted, c.CreditsPending, c.CreditsPosted
		head[i], height[i], levels[i] = c.HeadTS, int64(c.Height), ledger.EncodeLevels(nil, c.Levels)
	}
	t.queue("write account rows", `INSERT INTO account_balances AS b (key, debits_pending, debits_posted, credits_pending,
		credits_posted, head_ts, height, levels)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bytea[])
		ON CONFLICT (key) DO UPDATE SET debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
			credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted,
			head_ts = excluded.head_ts, height = excluded.height, levels = excluded.levels
		WHERE excluded.head_ts > b.head_ts`, key, dp, dpo, cp, cpo, head, height, levels)
	return nil
}

func (t *tx) InsertTimeouts(_ context.Context, ts []ledger.Timeout) error {
	pending, expires := make([]int64, len(ts)), make([]int64, len(ts))
	for i, x := range ts {
		pending[i], expires[i] = x.PendingTS, x.ExpiresAt
	}
	t.queue("insert timeouts", "INSERT INTO pending_timeouts (pending_ts, expires_at) SELECT * FROM unnest($1::bigint[], $2::bigint[])",
		pending, expires)
	return nil
}

func (t *tx) DeleteTimeouts(_ context.Context, pendingTS []int64) error {
	t.queue("delete timeouts", "DELETE FROM pending_timeouts WHERE pending_ts = ANY($1)", pendingTS)
	return nil
}
