package ledgerlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// Dialects of the database behind the log.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// db runs the log's statements on either database: they are written with
// $n parameters, rewritten to ?n for SQLite.
type db struct {
	sql      *sql.DB
	numbered bool
	lock     sync.Locker // held around writes (SQLite: the process's one writer)
	// rowFormat is one row of a multi-row insert in PostgreSQL's numbered
	// parameters (built directly: rewriting a 768-parameter statement with
	// a regular expression on every append showed in profiles). SQLite
	// takes anonymous markers, bound in order: its driver asks each
	// marker's name, and finding a numbered marker's name scans them all —
	// quadratic in a long INSERT.
	rowFormat string

	stmtMu     sync.Mutex
	fullInsert *sql.Stmt // the INSERT of leafChunk leaves
}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}

func newDB(s *sql.DB, dialect string, lock sync.Locker) (*db, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("ledgerlog: unknown dialect %q", dialect)
	}
	if lock == nil {
		lock = noLock{}
	}
	return &db{sql: s, numbered: dialect == SQLite, lock: lock, rowFormat: "($%d,$%d,$%d)"}, nil
}

var dollarParam = regexp.MustCompile(`\$([0-9]+)`)

func (d *db) text(q string) string {
	if d.numbered {
		return dollarParam.ReplaceAllString(q, "?$1")
	}
	return q
}

// hashSize is the size of every hash in the tree (SHA-256).
const hashSize = 32

// nodeRow returns the leaf row that stores a node, and the node's offset
// in the row's hashes.
func nodeRow(id compact.NodeID) (row uint64, offset int) {
	return (id.Index+1)<<id.Level - 1, int(id.Level) * hashSize
}

// nodeHashes reads the hashes of perfect-subtree nodes.
func (d *db) nodeHashes(ctx context.Context, q querier, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	rowsWanted := make([]any, 0, len(ids))
	seen := map[uint64]bool{}
	for _, id := range ids {
		r, _ := nodeRow(id)
		if !seen[r] {
			seen[r] = true
			rowsWanted = append(rowsWanted, int64(r))
		}
	}
	ph := make([]string, len(rowsWanted))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, d.text("SELECT idx, hashes FROM log_leaves WHERE idx IN ("+strings.Join(ph, ",")+")"), rowsWanted...)
	if err != nil {
		return nil, fmt.Errorf("ledgerlog: read nodes: %w", err)
	}
	defer rows.Close()
	got := make(map[uint64][]byte, len(rowsWanted))
	for rows.Next() {
		var (
			idx    int64
			hashes []byte
		)
		if err := rows.Scan(&idx, &hashes); err != nil {
			return nil, fmt.Errorf("ledgerlog: read nodes: %w", err)
		}
		got[uint64(idx)] = hashes
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledgerlog: read nodes: %w", err)
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		r, off := nodeRow(id)
		h, ok := got[r]
		if !ok || len(h) < off+hashSize {
			return nil, fmt.Errorf("%w: node %d/%d is missing", ErrCorrupt, id.Level, id.Index)
		}
		out[i] = h[off : off+hashSize : off+hashSize]
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ErrCorrupt reports stored log rows that are not what the log wrote.
var ErrCorrupt = errors.New("the stored log is corrupt")

// leafRow is one row of log_leaves.
type leafRow struct {
	idx    uint64
	ts     int64
	hashes []byte
}

// insertLeaves writes rows in one transaction, which commits without
// waiting for the disk: leaves are derived from the ledger, and nobody
// outside sees one before a signed checkpoint covers it — whose insert
// (insertCheckpoint) does wait, and flushes the leaves before it with it
// (SQLite's log and PostgreSQL's are each one sequential file). A crash
// that loses leaves loses their checkpoint too, and the log appends them
// again from the ledger. So the process's write lock is not held across a
// flush (it was: about 9 ms, five times a second, under load).
func (d *db) insertLeaves(ctx context.Context, rows []leafRow) error {
	// Prepared before the lock is taken and a connection held: preparing
	// takes a connection of the pool too.
	var full *sql.Stmt
	if len(rows) >= leafChunk {
		var err error
		if full, err = d.fullInsertStmt(ctx); err != nil {
			return fmt.Errorf("ledgerlog: append: %w", err)
		}
	}
	d.lock.Lock()
	defer d.lock.Unlock()
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("ledgerlog: append: %w", err)
	}
	defer conn.Close()
	if d.numbered {
		// SQLite: a connection's setting, outside the transaction.
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return fmt.Errorf("ledgerlog: append: %w", err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
				// Do not let the pool hand it out without flushes: close it.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledgerlog: append: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if !d.numbered {
		if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return fmt.Errorf("ledgerlog: append: %w", err)
		}
	}
	var args []any
	for len(rows) > 0 {
		n := min(leafChunk, len(rows))
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, int64(r.idx), r.ts, r.hashes)
		}
		if n == leafChunk {
			_, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, d.insertSQL(n), args...)
		}
		if err != nil {
			return fmt.Errorf("ledgerlog: append: %w", err)
		}
		rows = rows[n:]
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledgerlog: append: %w", err)
	}
	return nil
}

// leafChunk is the most leaves one INSERT writes.
const leafChunk = 256

// fullInsertStmt returns the INSERT of leafChunk leaves, prepared once:
// parsing a statement of 768 parameters at every append showed in
// profiles.
func (d *db) fullInsertStmt(ctx context.Context) (*sql.Stmt, error) {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	if d.fullInsert == nil {
		st, err := d.sql.PrepareContext(ctx, d.insertSQL(leafChunk))
		if err != nil {
			return nil, err
		}
		d.fullInsert = st
	}
	return d.fullInsert, nil
}

// insertSQL is the INSERT of n leaves.
func (d *db) insertSQL(n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO log_leaves (idx, ts, hashes) VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		if d.numbered {
			q.WriteString("(?,?,?)")
		} else {
			fmt.Fprintf(&q, d.rowFormat, 3*i+1, 3*i+2, 3*i+3)
		}
	}
	return q.String()
}

// StoredCheckpoint is a checkpoint the server signed.
type StoredCheckpoint struct {
	Size      uint64
	Root      []byte
	Note      string // the signed note
	CreatedAt int64  // ns since the Unix epoch
}

func (d *db) insertCheckpoint(ctx context.Context, c StoredCheckpoint) error {
	d.lock.Lock()
	defer d.lock.Unlock()
	_, err := d.sql.ExecContext(ctx, d.text("INSERT INTO log_checkpoints (size, root, note, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (size) DO NOTHING"),
		int64(c.Size), c.Root, c.Note, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("ledgerlog: store checkpoint: %w", err)
	}
	return nil
}

// checkpoint reads the signed checkpoint of a size, or the newest if size
// is negative. sql.ErrNoRows if there is none.
func (d *db) checkpoint(ctx context.Context, size int64) (StoredCheckpoint, error) {
	q := "SELECT size, root, note, created_at FROM log_checkpoints WHERE size = $1"
	args := []any{size}
	if size < 0 {
		q, args = "SELECT size, root, note, created_at FROM log_checkpoints ORDER BY size DESC LIMIT 1", nil
	}
	var (
		c  StoredCheckpoint
		sz int64
	)
	err := d.sql.QueryRowContext(ctx, d.text(q), args...).Scan(&sz, &c.Root, &c.Note, &c.CreatedAt)
	c.Size = uint64(sz)
	return c, err
}

// tip returns the number of leaves and the newest leaf's timestamp.
func (d *db) tip(ctx context.Context) (size uint64, lastTS int64, err error) {
	var idx int64
	err = d.sql.QueryRowContext(ctx, "SELECT idx, ts FROM log_leaves ORDER BY idx DESC LIMIT 1").Scan(&idx, &lastTS)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("ledgerlog: read the log's size: %w", err)
	}
	return uint64(idx) + 1, lastTS, nil
}

// leafAt returns the leaf row of a transfer's timestamp.
func (d *db) leafAt(ctx context.Context, ts int64) (leafRow, error) {
	var (
		r   leafRow
		idx int64
	)
	err := d.sql.QueryRowContext(ctx, d.text("SELECT idx, ts, hashes FROM log_leaves WHERE ts = $1"), ts).Scan(&idx, &r.ts, &r.hashes)
	r.idx = uint64(idx)
	return r, err
}
