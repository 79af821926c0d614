package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// writer is the engine's connection. It talks to the driver directly,
// without database/sql, and keeps its statements prepared: at a hundred
// thousand transfers a second, the per-call costs of database/sql show.
type writer struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
	args  []driver.NamedValue

	insertTransfers, insertAccounts, upsertBalances, insertTimeouts *multiRow
}

func newWriter(conn driver.Conn) *writer {
	return &writer{
		conn:            conn,
		stmts:           map[string]driver.Stmt{},
		insertTransfers: newMultiRow(insertTransfersSQL, "", 14),
		insertAccounts:  newMultiRow(insertAccountsSQL, "", 7),
		upsertBalances:  newMultiRow(upsertBalancesSQL, upsertBalancesSuffix, 8),
		insertTimeouts:  newMultiRow(insertTimeoutsSQL, "", 2),
	}
}

// multiRow is an INSERT of several rows per statement, its text built once
// per row count.
type multiRow struct {
	prefix, suffix string
	cols           int
	built          map[int]string
}

func newMultiRow(prefix, suffix string, cols int) *multiRow {
	return &multiRow{prefix: prefix, suffix: suffix, cols: cols, built: map[int]string{}}
}

func (m *multiRow) sql(rows int) string {
	q, ok := m.built[rows]
	if !ok {
		q = m.prefix + placeholders(rows, m.cols) + m.suffix
		m.built[rows] = q
	}
	return q
}

func (w *writer) close() error {
	for _, st := range w.stmts {
		st.Close()
	}
	return w.conn.Close()
}

func (w *writer) stmt(ctx context.Context, q string) (driver.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", firstLine(q), err)
	}
	if len(w.stmts) > 512 {
		// Statements with IN lists of many lengths: do not grow forever.
		for k, s := range w.stmts {
			s.Close()
			delete(w.stmts, k)
		}
	}
	w.stmts[q] = st
	return st, nil
}

func (w *writer) bind(vals []any) []driver.NamedValue {
	w.args = w.args[:0]
	for i, v := range vals {
		w.args = append(w.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return w.args
}

func (w *writer) exec(ctx context.Context, q string, vals ...any) error {
	st, err := w.stmt(ctx, q)
	if err != nil {
		return err
	}
	if _, err := st.(driver.StmtExecContext).ExecContext(ctx, w.bind(vals)); err != nil {
		return mapError(err)
	}
	return nil
}

func (w *writer) execArgs(ctx context.Context, q string, args []driver.NamedValue) error {
	st, err := w.stmt(ctx, q)
	if err != nil {
		return err
	}
	if _, err := st.(driver.StmtExecContext).ExecContext(ctx, args); err != nil {
		return mapError(err)
	}
	return nil
}

// query runs q and calls fn with each row's values (valid during the call).
func (w *writer) query(ctx context.Context, q string, vals []any, fn func([]driver.Value) error) error {
	st, err := w.stmt(ctx, q)
	if err != nil {
		return err
	}
	args := make([]driver.NamedValue, len(vals))
	for i, v := range vals {
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return mapError(err)
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

// mapError turns a unique-constraint violation into ledger.ErrDuplicate.
func mapError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			if strings.Contains(err.Error(), "ledger_commits") {
				return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
			}
			return fmt.Errorf("%w: %v", ledger.ErrDuplicate, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
		}
	}
	return err
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 80 {
		q = q[:80]
	}
	return q
}

// placeholders returns "(?,?,…),(?,?,…)…" for rows of n columns.
func placeholders(rows, n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
}

// inList returns "?,?,…" with n markers.
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
