// Package walletsql keeps the wallet's records in SQL: the same statements
// run on SQLite and PostgreSQL ($n placeholders work on both); the tables
// are created by each store's migrations.
package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Store implements wallet.Store.
type Store struct {
	db       *sql.DB
	isUnique func(error) bool
	numbered bool     // rewrite $n to ?n (SQLite: numbered, not named, parameters)
	stmts    sync.Map // query → *sql.Stmt
	batch    *batcher // group commit of the payment path's small writes
	writeMu  sync.Locker
	// syncLog, if set (SQLite), flushes the log after the group commit's
	// commits, which are made without flushing, once the write lock is
	// released: the next writer need not wait for the disk.
	syncLog func() error
}

// Dialects of New.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// New returns a store over db; dialect is SQLite or Postgres, isUnique
// tells a unique-constraint failure of db's driver, and writeLock, if not
// nil, is held around every write (SQLite: the process's one write lock,
// shared with the ledger engine, so that writers queue instead of sleeping
// in SQLite's busy handler). syncLog, if not nil, returns once every
// commit made before the call is on disk (SQLite's SyncLog): the group
// commit then commits without flushing and waits for it outside the lock.
func New(db *sql.DB, dialect string, isUnique func(error) bool, writeLock sync.Locker, syncLog func() error) *Store {
	if writeLock == nil {
		writeLock = noLock{}
	}
	s := &Store{db: db, isUnique: isUnique, numbered: dialect == SQLite, writeMu: writeLock, syncLog: syncLog}
	s.batch = newBatcher(s)
	return s
}

// Close finishes the writes queued and stops the store's writer; the
// database itself is its owner's to close.
func (s *Store) Close() error {
	s.batch.close()
	return nil
}

func errNotFound() error { return wallet.ErrNotFound }

var dollarParam = regexp.MustCompile(`\$([0-9]+)`)

// stmt returns the prepared statement of a query, preparing it once:
// parsing a statement costs more than running these small ones.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	text := q
	if s.numbered {
		text = dollarParam.ReplaceAllString(q, "?$1")
	}
	st, err := s.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// text is a query in the dialect's parameter style.
func (s *Store) text(q string) string {
	if s.numbered {
		return dollarParam.ReplaceAllString(q, "?$1")
	}
	return q
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return st.ExecContext(ctx, args...)
}

// beginWrite starts a write transaction holding the write lock; the
// returned function ends it (after Commit or Rollback).
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, func(), error) {
	s.writeMu.Lock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writeMu.Unlock()
		return nil, nil, err
	}
	return tx, func() {
		_ = tx.Rollback() // after a commit it is a no-op
		s.writeMu.Unlock()
	}, nil
}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext on the prepared statement; a statement that
// does not prepare reports its error on Scan.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return s.db.QueryRowContext(ctx, s.text(q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

var _ wallet.Store = (*Store)(nil)

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// mapErr turns driver errors into the wallet's sentinels, with context.
func (s *Store) mapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, wallet.ErrNotFound)
	case s.isUnique(err):
		return fmt.Errorf("%s: %w: %v", op, wallet.ErrDuplicate, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// exec runs a statement that must change exactly one row.
func (s *Store) exec1(ctx context.Context, op, q string, args ...any) error {
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return s.mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.mapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, wallet.ErrNotFound)
	}
	return nil
}

// CreateUser creates the user and their first wallet in one transaction.
func (s *Store) CreateUser(ctx context.Context, u *wallet.User, w wallet.WalletAccount) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("create user", err)
	}
	defer end()
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, phone, name, password_hash, role, tier, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.Phone, u.Name, u.PasswordHash, string(u.Role), int(u.Tier), nanos(u.CreatedAt)); err != nil {
		return s.mapErr("create user", err)
	}
	if err := insertWallet(ctx, tx, w); err != nil {
		return s.mapErr("create user wallet", err)
	}
	return s.mapErr("create user", tx.Commit())
}

const userColumns = `id, phone, name, password_hash, role, tier, pin_hash, pin_failures, pin_locked_until,
	nopin_per_tx, nopin_daily, nopin_version, real_name, id_type, id_masked, notifications_read_at, created_at, frozen_at, language`

func scanUser(row scanner) (wallet.User, error) {
	var u wallet.User
	var role string
	var tier, locked, readAt, created, frozen int64
	err := row.Scan(&u.ID, &u.Phone, &u.Name, &u.PasswordHash, &role, &tier, &u.PINHash, &u.PINFailures, &locked,
		&u.NoPINPerTx, &u.NoPINDaily, &u.NoPINVersion, &u.RealName, &u.IDType, &u.IDMasked, &readAt, &created, &frozen, &u.Language)
	u.Role, u.Tier = wallet.Role(role), wallet.Tier(tier)
	u.PINLockedUntil, u.NotificationsReadAt, u.CreatedAt, u.FrozenAt = fromNanos(locked), fromNanos(readAt), fromNanos(created), fromNanos(frozen)
	return u, err
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id string) (wallet.User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	return u, s.mapErr("user by id", err)
}

// UserByPhone returns a user by mobile number.
func (s *Store) UserByPhone(ctx context.Context, phone string) (wallet.User, error) {
	u, err := scanUser(s.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE phone = $1", phone))
	return u, s.mapErr("user by phone", err)
}

// SetLanguage records the user's language.
func (s *Store) SetLanguage(ctx context.Context, userID, lang string) error {
	return s.exec1(ctx, "set language", "UPDATE users SET language = $2 WHERE id = $1", userID, lang)
}

// SetPIN sets the PIN hash and clears failures and locks.
func (s *Store) SetPIN(ctx context.Context, userID, hash string) error {
	return s.exec1(ctx, "set pin", "UPDATE users SET pin_hash = $2, pin_failures = 0, pin_locked_until = 0 WHERE id = $1", userID, hash)
}

// PINFailed counts a wrong PIN.
func (s *Store) PINFailed(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.queryRow(ctx, "UPDATE users SET pin_failures = pin_failures + 1 WHERE id = $1 RETURNING pin_failures", userID).Scan(&n)
	return n, s.mapErr("count pin failure", err)
}

// LockPIN locks the PIN until a time and starts a new count.
func (s *Store) LockPIN(ctx context.Context, userID string, until time.Time) error {
	return s.exec1(ctx, "lock pin", "UPDATE users SET pin_locked_until = $2, pin_failures = 0 WHERE id = $1", userID, nanos(until))
}

// PINSucceeded clears the count of wrong PINs.
func (s *Store) PINSucceeded(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "UPDATE users SET pin_failures = 0 WHERE id = $1 AND pin_failures <> 0", userID)
	return s.mapErr("clear pin failures", err)
}

// SetNoPIN sets the password-free limits and counts the change.
func (s *Store) SetNoPIN(ctx context.Context, userID string, perTx, daily int64) error {
	return s.exec1(ctx, "set password-free limits",
		"UPDATE users SET nopin_per_tx = $2, nopin_daily = $3, nopin_version = nopin_version + 1 WHERE id = $1", userID, perTx, daily)
}

// SetIdentity records a verified identity and the tier it earns.
func (s *Store) SetIdentity(ctx context.Context, userID, realName, idType, idMasked, idSealed string, tier wallet.Tier) error {
	return s.exec1(ctx, "set identity",
		"UPDATE users SET real_name = $2, id_type = $3, id_masked = $4, id_sealed = $5, tier = $6 WHERE id = $1",
		userID, realName, idType, idMasked, idSealed, int(tier))
}

// SetTier sets a user's tier.
func (s *Store) SetTier(ctx context.Context, userID string, tier wallet.Tier) error {
	return s.exec1(ctx, "set tier", "UPDATE users SET tier = $2 WHERE id = $1", userID, int(tier))
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, ss wallet.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, id, user_id, created_at, expires_at, client, device_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ss.TokenHash, ss.ID, ss.UserID, nanos(ss.CreatedAt), nanos(ss.ExpiresAt), ss.Client, ss.DeviceID)
	return s.mapErr("create session", err)
}

const sessionColumns = "id, user_id, token_hash, created_at, expires_at, client, device_id"

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (wallet.Session, error) {
	var ss wallet.Session
	var created, expires int64
	err := r.Scan(&ss.ID, &ss.UserID, &ss.TokenHash, &created, &expires, &ss.Client, &ss.DeviceID)
	ss.CreatedAt, ss.ExpiresAt = fromNanos(created), fromNanos(expires)
	return ss, err
}

// SessionByTokenHash finds a session by its token's hash.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (wallet.Session, error) {
	ss, err := scanSession(s.queryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE token_hash = $1", hash))
	return ss, s.mapErr("session", err)
}

// Sessions lists a user's sessions, newest first.
func (s *Store) Sessions(ctx context.Context, userID string) ([]wallet.Session, error) {
	rows, err := s.query(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 100", userID)
	if err != nil {
		return nil, s.mapErr("sessions", err)
	}
	defer rows.Close()
	var out []wallet.Session
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, s.mapErr("sessions", err)
		}
		out = append(out, ss)
	}
	return out, s.mapErr("sessions", rows.Err())
}

// DeleteSession ends one of a user's sessions.
func (s *Store) DeleteSession(ctx context.Context, userID, sessionID string) error {
	return s.exec1(ctx, "delete session", "DELETE FROM sessions WHERE user_id = $1 AND id = $2", userID, sessionID)
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func insertWallet(ctx context.Context, db execer, w wallet.WalletAccount) error {
	_, err := db.ExecContext(ctx, "INSERT INTO wallets (user_id, currency, account_id, created_at) VALUES ($1, $2, $3, $4)",
		w.UserID, w.Currency, w.AccountID.String(), nanos(w.CreatedAt))
	return err
}

// CreateWallet records a wallet.
func (s *Store) CreateWallet(ctx context.Context, w wallet.WalletAccount) error {
	return s.mapErr("create wallet", insertWallet(ctx, s.db, w))
}

func scanWallet(r scanner) (wallet.WalletAccount, error) {
	var w wallet.WalletAccount
	var account string
	var created int64
	if err := r.Scan(&w.UserID, &w.Currency, &account, &created); err != nil {
		return w, err
	}
	id, err := ledger.ParseID(account)
	w.AccountID, w.CreatedAt = id, fromNanos(created)
	return w, err
}

// Wallets lists a user's wallets in the order they were opened.
func (s *Store) Wallets(ctx context.Context, userID string) ([]wallet.WalletAccount, error) {
	rows, err := s.query(ctx, "SELECT user_id, currency, account_id, created_at FROM wallets WHERE user_id = $1 ORDER BY created_at", userID)
	if err != nil {
		return nil, s.mapErr("wallets", err)
	}
	defer rows.Close()
	var out []wallet.WalletAccount
	for rows.Next() {
		w, err := scanWallet(rows)
		if err != nil {
			return nil, s.mapErr("wallets", err)
		}
		out = append(out, w)
	}
	return out, s.mapErr("wallets", rows.Err())
}

// WalletByAccount finds the wallet of a ledger account.
func (s *Store) WalletByAccount(ctx context.Context, account ledger.ID) (wallet.WalletAccount, error) {
	w, err := scanWallet(s.queryRow(ctx, "SELECT user_id, currency, account_id, created_at FROM wallets WHERE account_id = $1", account.String()))
	return w, s.mapErr("wallet by account", err)
}
