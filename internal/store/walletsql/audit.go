package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const auditColumns = "seq, at, actor, action, target, ip, client, details, prev_hash, hash"

// AppendAudit numbers e after the last entry and links it, in one
// transaction. Two processes appending at once both read the same last
// entry: one insert wins the number, the other tries again.
func (s *Store) AppendAudit(ctx context.Context, e *wallet.AuditEntry, hash func(prev string, e wallet.AuditEntry) string) error {
	for attempt := 0; ; attempt++ {
		err := s.appendAudit(ctx, e, hash)
		if err == nil || !s.isUnique(err) || attempt == 20 {
			return s.mapErr("append audit entry", err)
		}
	}
}

func (s *Store) appendAudit(ctx context.Context, e *wallet.AuditEntry, hash func(prev string, e wallet.AuditEntry) string) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer end()
	var last int64
	var prev string
	err = tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.Seq, e.PrevHash = last+1, prev
	e.Hash = hash(prev, *e)
	if _, err := tx.ExecContext(ctx, s.text("INSERT INTO audit_log ("+auditColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
		e.Seq, nanos(e.At), e.Actor, e.Action, e.Target, e.IP, e.Client, e.Details, e.PrevHash, e.Hash); err != nil {
		return err
	}
	return tx.Commit()
}

// AuditLog lists entries, newest first.
func (s *Store) AuditLog(ctx context.Context, f wallet.AuditFilter) ([]wallet.AuditEntry, error) {
	before := f.Before
	if before <= 0 {
		before = 1 << 62
	}
	q := "SELECT " + auditColumns + " FROM audit_log WHERE seq < $1"
	args := []any{before}
	if f.Actor != "" {
		args = append(args, f.Actor)
		q += fmt.Sprintf(" AND actor = $%d", len(args))
	}
	if f.Action != "" {
		args = append(args, f.Action)
		q += fmt.Sprintf(" AND action = $%d", len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	var out []wallet.AuditEntry
	err := s.scanAudit(ctx, q, args, func(e wallet.AuditEntry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// ScanAudit calls fn for every entry, oldest first, a page at a time.
func (s *Store) ScanAudit(ctx context.Context, fn func(wallet.AuditEntry) error) error {
	var after int64
	for {
		n := 0
		err := s.scanAudit(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000", []any{after}, func(e wallet.AuditEntry) error {
			n++
			after = e.Seq
			return fn(e)
		})
		if err != nil || n < 1000 {
			return err
		}
	}
}

func (s *Store) scanAudit(ctx context.Context, q string, args []any, fn func(wallet.AuditEntry) error) error {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return s.mapErr("audit log", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e wallet.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.IP, &e.Client, &e.Details, &e.PrevHash, &e.Hash); err != nil {
			return s.mapErr("audit log", err)
		}
		e.At = fromNanos(at)
		if err := fn(e); err != nil {
			return err
		}
	}
	return s.mapErr("audit log", rows.Err())
}
