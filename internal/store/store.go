// Package store opens the database named by a DSN: an embedded SQLite file
// ("sqlite:PATH") or a PostgreSQL server ("postgres://…").
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store/postgres"
	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

// DefaultDSN is where the server keeps its data when told nothing else.
const DefaultDSN = "sqlite:./slt-data/slt.db"

// Store is an open database.
type Store interface {
	ledger.Store
	// SQL is the pool for the services' own tables (the wallet's).
	SQL() *sql.DB
	Close() error
}

// IsUniqueViolation reports whether err, from either database, is
// a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	return sqlite.IsUniqueViolation(err) || postgres.IsUniqueViolation(err)
}

// Kind names the store a DSN selects: "sqlite" or "postgres".
func Kind(dsn string) (string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		if strings.TrimPrefix(dsn, "sqlite:") == "" {
			return "", fmt.Errorf("store: %q names no file (sqlite:PATH)", dsn)
		}
		return "sqlite", nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "postgres", nil
	}
	return "", fmt.Errorf("store: %q is neither sqlite:PATH nor a postgres:// URL", redact(dsn))
}

// DataDir returns the directory for the server's other files (the admin
// token, keys, the risk model's state): beside a SQLite file; for
// PostgreSQL $SLT_DATA_DIR, or ./slt-data.
func DataDir(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return filepath.Dir(strings.TrimPrefix(dsn, "sqlite:"))
	}
	if d := os.Getenv("SLT_DATA_DIR"); d != "" {
		return d
	}
	return "slt-data"
}

// Open opens the store and applies its migrations.
func Open(ctx context.Context, dsn string, log *slog.Logger) (Store, error) {
	kind, err := Kind(dsn)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "sqlite":
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"), sqlite.Options{Logger: log})
	default:
		return postgres.Open(ctx, dsn, postgres.Options{Logger: log})
	}
}

// ReadStore is a store opened for reading only.
type ReadStore interface {
	ledger.Reader
	Close() error
}

// OpenReadOnly opens the store for reading, beside a server that may be
// using it; it applies no migrations.
func OpenReadOnly(ctx context.Context, dsn string, log *slog.Logger) (ReadStore, error) {
	kind, err := Kind(dsn)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "sqlite":
		return sqlite.OpenReadOnly(ctx, strings.TrimPrefix(dsn, "sqlite:"), sqlite.Options{Logger: log})
	default:
		return postgres.OpenReadOnly(ctx, dsn, postgres.Options{Logger: log})
	}
}

// redact hides a password in a URL-shaped DSN.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.IndexByte(rest, '@'); at >= 0 {
			if colon := strings.IndexByte(rest[:at], ':'); colon >= 0 {
				return dsn[:i+3] + rest[:colon] + ":***" + rest[at:]
			}
		}
	}
	return dsn
}
