// Package postgres is the production store: PostgreSQL through pgx. Its
// SQL stays within what CockroachDB and YugabyteDB also accept.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a PostgreSQL database shared by any number of processes.
type Store struct {
	pool *pgxpool.Pool
	w    *pgx.Conn // the engine's connection
	log  *slog.Logger

	sqlOnce sync.Once
	sqlDB   *sql.DB
}

// Options tune Open.
type Options struct {
	Logger *slog.Logger
}

// Open connects to the database at dsn and applies the migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s, err := open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	w, err := pgx.Connect(ctx, dsn)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: connect writer: %w", err)
	}
	s.w = w
	return s, nil
}

// OpenReadOnly connects for reading only (slt check): no migrations and no
// writer connection.
func OpenReadOnly(ctx context.Context, dsn string, opts Options) (*Store, error) {
	return open(ctx, dsn, opts)
}

func open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool, log: log}, nil
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// Several processes may start at once: a session lock lets one migrate
	// while the others wait.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Pool returns the connection pool for readers.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Exclusive reports false: other processes may write the same database.
func (s *Store) Exclusive() bool { return false }

// Close closes every connection.
func (s *Store) Close() error {
	var err error
	if s.w != nil {
		err = s.w.Close(context.Background())
	}
	s.pool.Close()
	return err
}

// mapError turns constraint and serialisation failures into the ledger's
// errors.
func mapError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			if pe.ConstraintName == "transfers_id_key" || pe.ConstraintName == "accounts_id_key" {
				return fmt.Errorf("%w: %v", ledger.ErrDuplicate, err)
			}
			// Keys, timestamps, resolutions and the commit chain come from
			// the head: a clash means another writer moved it.
			return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
		case "23503": // foreign_key_violation: the commit row's base never committed
			return fmt.Errorf("%w: %v", ledger.ErrHeadMoved, err)
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return fmt.Errorf("%w: %v", ledger.ErrConflict, err)
		}
	}
	return err
}

// SQL returns a database/sql view of the pool for the services' own tables
// (the wallet's).
func (s *Store) SQL() *sql.DB {
	s.sqlOnce.Do(func() { s.sqlDB = stdlib.OpenDBFromPool(s.pool) })
	return s.sqlDB
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
