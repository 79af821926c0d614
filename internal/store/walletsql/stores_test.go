package walletsql

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiliantong/shiliantong/internal/store/postgres"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

// bothStores opens a new store of each kind, as the server does.
func bothStores(ctx context.Context) map[string]func(t *testing.T) *Store {
	return map[string]func(t *testing.T) *Store{
		"sqlite": func(t *testing.T) *Store {
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "slt.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			s := New(st.SQL(), SQLite, sqlite.IsUniqueViolation, st.WriteLock(), st.SyncLog)
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) *Store {
			st, err := postgres.Open(ctx, pgtest.NewSchema(t), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			s := New(st.SQL(), Postgres, postgres.IsUniqueViolation, nil, nil)
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}
