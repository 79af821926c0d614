package walletsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/screening"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

const caseColumns = "id, kind, dedupe, subject_kind, subject_id, subject_name, score, summary, evidence, status, created_at, decided_at, decided_by, note"

func scanCase(r scanner) (wallet.Case, error) {
	var c wallet.Case
	var created, decided int64
	err := r.Scan(&c.ID, &c.Kind, &c.Dedupe, &c.SubjectKind, &c.SubjectID, &c.SubjectName, &c.Score, &c.Summary, &c.Evidence,
		&c.Status, &created, &decided, &c.DecidedBy, &c.Note)
	c.CreatedAt, c.DecidedAt = fromNanos(created), fromNanos(decided)
	return c, err
}

// CreateCase stores a new case; ErrDuplicate if its dedupe key exists.
func (s *Store) CreateCase(ctx context.Context, c wallet.Case) error {
	_, err := s.exec(ctx, "INSERT INTO cases ("+caseColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		c.ID, c.Kind, c.Dedupe, c.SubjectKind, c.SubjectID, c.SubjectName, c.Score, c.Summary, c.Evidence, c.Status,
		nanos(c.CreatedAt), nanos(c.DecidedAt), c.DecidedBy, c.Note)
	return s.mapErr("create case", err)
}

// Case returns a case by id.
func (s *Store) Case(ctx context.Context, id string) (wallet.Case, error) {
	c, err := scanCase(s.queryRow(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = $1", id))
	return c, s.mapErr("case", err)
}

// CaseByDedupe returns the case with a dedupe key.
func (s *Store) CaseByDedupe(ctx context.Context, key string) (wallet.Case, error) {
	c, err := scanCase(s.queryRow(ctx, "SELECT "+caseColumns+" FROM cases WHERE dedupe = $1", key))
	return c, s.mapErr("case", err)
}

// Cases lists cases, open ones first, then newest first.
func (s *Store) Cases(ctx context.Context, f wallet.CaseFilter) ([]wallet.Case, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	limit = min(limit, 100_000)
	rows, err := s.query(ctx, "SELECT "+caseColumns+` FROM cases
		WHERE ($1 = '' OR status = $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR subject_kind = $3) AND ($4 = '' OR subject_id = $4)
		AND (CAST($6 AS BIGINT) = 0 OR created_at >= $6) AND (CAST($7 AS BIGINT) = 0 OR created_at < $7)
		ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, created_at DESC LIMIT $5`,
		f.Status, f.Kind, f.SubjectKind, f.SubjectID, limit, nanos(f.Since), nanos(f.Until))
	if err != nil {
		return nil, s.mapErr("cases", err)
	}
	defer rows.Close()
	var out []wallet.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, s.mapErr("cases", err)
		}
		out = append(out, c)
	}
	return out, s.mapErr("cases", rows.Err())
}

// DecideCase closes an open case; ErrNotFound if it is not open.
func (s *Store) DecideCase(ctx context.Context, id, status, by, note string, at time.Time) error {
	return s.exec1(ctx, "decide case", "UPDATE cases SET status = $2, decided_by = $3, note = $4, decided_at = $5 WHERE id = $1 AND status = 'open'",
		id, status, by, note, nanos(at))
}

// ReplaceScreeningList replaces every entry of a list's source with
// entries, in one transaction: screening never sees half a list.
func (s *Store) ReplaceScreeningList(ctx context.Context, source, sha256 string, entries []screening.Entry, at time.Time) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("load screening list", err)
	}
	defer end()
	if _, err := tx.ExecContext(ctx, s.text("DELETE FROM screening_entries WHERE source = $1"), source); err != nil {
		return s.mapErr("load screening list", err)
	}
	ins, err := tx.PrepareContext(ctx, s.text("INSERT INTO screening_entries (source, ref, kind, names, programs, remarks) VALUES ($1, $2, $3, $4, $5, $6)"))
	if err != nil {
		return s.mapErr("load screening list", err)
	}
	defer ins.Close()
	for _, e := range entries {
		names, err := json.Marshal(e.Names)
		if err != nil {
			return fmt.Errorf("load screening list: %w", err)
		}
		if _, err := ins.ExecContext(ctx, source, e.Ref, e.Kind, string(names), e.Programs, e.Remarks); err != nil {
			return s.mapErr("load screening list: entry "+e.Ref, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.text(`INSERT INTO screening_lists (source, entries, sha256, loaded_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (source) DO UPDATE SET entries = excluded.entries, sha256 = excluded.sha256, loaded_at = excluded.loaded_at`),
		source, len(entries), sha256, nanos(at)); err != nil {
		return s.mapErr("load screening list", err)
	}
	return s.mapErr("load screening list", tx.Commit())
}

// ScreeningLists describes the loaded lists.
func (s *Store) ScreeningLists(ctx context.Context) ([]wallet.ScreeningList, error) {
	rows, err := s.query(ctx, "SELECT source, entries, sha256, loaded_at FROM screening_lists ORDER BY source")
	if err != nil {
		return nil, s.mapErr("screening lists", err)
	}
	defer rows.Close()
	var out []wallet.ScreeningList
	for rows.Next() {
		var l wallet.ScreeningList
		var at int64
		if err := rows.Scan(&l.Source, &l.Entries, &l.SHA256, &at); err != nil {
			return nil, s.mapErr("screening lists", err)
		}
		l.LoadedAt = fromNanos(at)
		out = append(out, l)
	}
	return out, s.mapErr("screening lists", rows.Err())
}

// ScreeningEntries returns every loaded entry.
func (s *Store) ScreeningEntries(ctx context.Context) ([]screening.Entry, error) {
	rows, err := s.query(ctx, "SELECT source, ref, kind, names, programs, remarks FROM screening_entries ORDER BY source, ref")
	if err != nil {
		return nil, s.mapErr("screening entries", err)
	}
	defer rows.Close()
	var out []screening.Entry
	for rows.Next() {
		var e screening.Entry
		var names string
		if err := rows.Scan(&e.Source, &e.Ref, &e.Kind, &names, &e.Programs, &e.Remarks); err != nil {
			return nil, s.mapErr("screening entries", err)
		}
		if err := json.Unmarshal([]byte(names), &e.Names); err != nil {
			return nil, fmt.Errorf("screening entry %s %s: %w", e.Source, e.Ref, err)
		}
		out = append(out, e)
	}
	return out, s.mapErr("screening entries", rows.Err())
}

// MonitorCursor returns how far a monitor has read the ledger (0: not
// yet).
func (s *Store) MonitorCursor(ctx context.Context, name string) (int64, error) {
	var ts int64
	err := s.queryRow(ctx, "SELECT ts FROM monitor_cursors WHERE name = $1", name).Scan(&ts)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return ts, s.mapErr("monitor cursor", err)
}

// SetMonitorCursor moves a monitor's cursor forward (never back).
func (s *Store) SetMonitorCursor(ctx context.Context, name string, ts int64) error {
	_, err := s.exec(ctx, `INSERT INTO monitor_cursors (name, ts) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET ts = excluded.ts WHERE monitor_cursors.ts < excluded.ts`, name, ts)
	return s.mapErr("set monitor cursor", err)
}
