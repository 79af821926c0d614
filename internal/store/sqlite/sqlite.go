// Package sqlite is the embedded store: one SQLite file in WAL mode with
// full synchronous commits, written by one process at a time.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// checkpointInterval is how often the write-ahead log is copied into the
// database file. A checkpoint copies each page once, its newest version,
// however often it changed since the last: a page that many writes touch
// (an index's leaf per merchant, say) is copied and flushed once a second
// rather than five times (with 1,000 merchants paid at once: 43 KB written
// per payment instead of 53 KB, +7 % payments/s; docs/benchmarks.md).
const checkpointInterval = time.Second

// ErrLocked: another process is serving the database file.
var ErrLocked = errors.New("database file in use by another process")

// Store is a SQLite database opened for writing by this process.
type Store struct {
	path     string
	lock     *os.File
	db       *sql.DB  // readers
	stmts    sync.Map // query text → *sql.Stmt on db: the readers' fixed queries, parsed once
	w        *writer  // the engine's connection
	log      *slog.Logger
	stopCkpt chan struct{}
	ckptDone sync.WaitGroup
	writeMu  *writeLock // see writeLock
	wal      *walSyncer // flushes the log after commits made without (walsync.go)
	// restartFrames: the log's length that makes the checkpointer restart it.
	restartFrames int64
}

// Options tune Open.
type Options struct {
	Logger *slog.Logger
	// checkpointEvery replaces checkpointInterval (tests).
	checkpointEvery time.Duration
}

// busyTimeout is how long a connection waits for a lock SQLite holds.
const busyTimeout = 10 * time.Second

// pragmas apply to every connection. WAL lets readers run beside the
// writer; synchronous=FULL makes every commit durable before it returns.
var pragmas = []string{
	"journal_mode(WAL)",
	"synchronous(FULL)",
	fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
	"temp_store(MEMORY)",
}

func dsn(path string, extra ...string) string {
	q := url.Values{}
	for _, p := range append(append([]string{}, pragmas...), extra...) {
		q.Add("_pragma", p)
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path, takes the
// exclusive process lock beside it, and applies the migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	// Commit with fdatasync(2), as SQLite built for Linux does: the same
	// durability as fsync(2) without forcing timestamp updates through the
	// file system's journal.
	_, _ = sqlite.Fdatasync(true)
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, lock: lock, log: log, stopCkpt: make(chan struct{}), wal: newWALSyncer(path), writeMu: newWriteLock(), restartFrames: restartFrames}
	if err := s.open(ctx); err != nil {
		s.closeFiles()
		return nil, err
	}
	s.ckptDone.Add(1)
	every := checkpointInterval
	if opts.checkpointEvery > 0 {
		every = opts.checkpointEvery
	}
	go s.checkpointer(every)
	return s, nil
}

// OpenReadOnly opens the database at path for reading only, without the
// process lock, beside a server that may be writing it (for slt check).
func OpenReadOnly(ctx context.Context, path string, opts Options) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(path, "query_only(1)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{path: path, db: db, log: opts.Logger, writeMu: newWriteLock()}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	// No connection checkpoints by itself (the checkpointer below does,
	// outside the write lock); the pool's page caches hold the services'
	// hot tables and indexes.
	db, err := sql.Open("sqlite", dsn(s.path, "query_only(0)", "wal_autocheckpoint(0)", "cache_size(-16384)"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	s.db = db
	if err := migrate(ctx, db); err != nil {
		return err
	}
	// The writer's connection does not checkpoint by itself: a background
	// goroutine does, on another connection, so commits never wait for it.
	// Foreign keys on: the chain of commits (see the migration) refuses a
	// batch built on a head that never committed.
	// Its commits are flushed outside the write lock (walsync.go).
	conn, err := (&sqlite.Driver{}).Open(dsn(s.path, "wal_autocheckpoint(0)", "cache_size(-65536)", "foreign_keys(1)", "synchronous(NORMAL)"))
	if err != nil {
		return fmt.Errorf("sqlite: open writer connection: %w", err)
	}
	s.w = newWriter(conn)
	return nil
}

// Migrate applies every migration that has not run yet.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, mustSub(migrations, "migrations"),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// lockFile takes an exclusive, non-blocking lock: SQLite serves one
// process; several processes share a PostgreSQL database instead.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		pid := strings.TrimSpace(string(holder))
		if pid == "" {
			pid = "unknown"
		}
		return nil, fmt.Errorf("%w: %s is locked by process %s; a SQLite database serves one process at a time "+
			"(stop that process, or use PostgreSQL to run several)", ErrLocked, strings.TrimSuffix(path, ".lock"), pid)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// checkpointer copies the write-ahead log into the database file in the
// background, so that the log stays short and the writers rarely wait.
//
// A passive checkpoint copies what it can beside the writers, but the log
// file is only reused from its start once a checkpoint has copied every
// frame and no reader still reads from it — which, under a steady stream
// of writes and reads, never happens by itself: the log grew by about
// 100 MB a second under load, without end (and writes that extend a file
// cost more than writes over it). So once the log holds more than
// restartFrames, the checkpointer takes the write lock (the writers queue
// behind it for a moment), and a RESTART checkpoint copies the few frames
// the passive ones left, waits for the readers of old frames to finish (at
// most restartWait), and lets the next writer start the log again. Each
// passive checkpoint flushes the database file itself (passiveCheckpoint),
// so that the restart has little to flush while it holds the lock.
func (s *Store) checkpointer(every time.Duration) {
	defer s.ckptDone.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stopCkpt:
			return
		case <-t.C:
			if err := s.checkpoint(context.Background()); err != nil {
				s.log.Warn("sqlite: checkpoint", "err", err)
			}
		}
	}
}

const (
	restartFrames = 32768 // 128 MiB of 4 KiB pages: a second and more of writes under load
	restartWait   = 200 * time.Millisecond
)

// checkpoint runs one passive checkpoint, and a restarting one when the
// log has grown past restartFrames.
func (s *Store) checkpoint(ctx context.Context) error {
	frames, err := s.passiveCheckpoint(ctx)
	if err != nil || frames <= s.restartFrames {
		return err
	}
	// Once more, for the frames written meanwhile: the restart, under the
	// lock, then has only the last few to copy and flush.
	if _, err := s.passiveCheckpoint(ctx); err != nil {
		return err
	}
	var busy, copied int64
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartWait.Milliseconds())); err != nil {
		return err
	}
	// The connection goes back to the pool with the pool's setting.
	defer func() {
		_, _ = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
	}()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	// busy: a reader outlasted restartWait; the next round tries again.
	return nil
}

// passiveCheckpoint copies what it can of the log into the database file
// and flushes that file, without the write lock; it returns the log's
// length in frames.
//
// SQLite flushes the file itself only when a checkpoint copied the whole
// log, which under steady writes never happens (the log has grown again
// by the end of the copy): the copies piled up unflushed until a restart,
// under the write lock, flushed them all at once — about 50 ms for 16 MiB
// here, with every writer waiting.
func (s *Store) passiveCheckpoint(ctx context.Context) (int64, error) {
	var busy, frames, copied int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return 0, err
	}
	if copied > 0 {
		if err := fdatasync(s.path, "the database file"); err != nil {
			return 0, err
		}
	}
	return frames, nil
}

// Exclusive reports that this process is the only writer.
func (s *Store) Exclusive() bool { return true }

// DB returns the pool for readers.
func (s *Store) DB() *sql.DB { return s.db }

// Close checkpoints the log into the database file and releases the lock.
func (s *Store) Close() error {
	if s.w == nil { // read-only
		return s.closeFiles()
	}
	close(s.stopCkpt)
	s.ckptDone.Wait()
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.close())
	}
	if s.db != nil {
		if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, fmt.Errorf("sqlite: final checkpoint: %w", err))
		}
	}
	errs = append(errs, s.closeFiles())
	return errors.Join(errs...)
}

func (s *Store) closeFiles() error {
	var errs []error
	s.stmts.Range(func(q, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		s.stmts.Delete(q)
		return true
	})
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

func mustSub(fsys embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// SQL returns the pool of connections for the services' own tables (the
// wallet's): the ledger writes through a connection of its own.
func (s *Store) SQL() *sql.DB { return s.db }

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// WriteLock is held by every write transaction of this process; services
// writing their own tables take it too (see writeMu).
func (s *Store) WriteLock() sync.Locker { return s.writeMu }

// SyncLog returns once every commit made before the call is on disk: for
// a writer that commits with synchronous=NORMAL under the write lock and
// flushes after releasing it (walsync.go).
func (s *Store) SyncLog() error { return s.wal.sync() }
