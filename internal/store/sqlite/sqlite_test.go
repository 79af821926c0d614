package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/shiliantong/shiliantong/internal/ledger/ledgertest"
	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

func config() ledgertest.Config {
	return ledgertest.Config{
		NewDB: func(t testing.TB) ledgertest.Opener {
			path := filepath.Join(t.TempDir(), "slt.db")
			return func(t testing.TB) ledgertest.Store {
				s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		},
		Exec: func(t testing.TB, s ledgertest.Store, query string) {
			if _, err := s.(*sqlite.Store).DB().Exec(query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
	}
}

func TestConformance(t *testing.T) { ledgertest.Run(t, config()) }
