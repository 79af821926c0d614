package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/shiliantong/shiliantong/internal/screening"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/store/walletsql"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// ScreeningList is a parsed sanctions list and the bytes it came from.
type ScreeningList struct {
	Source  string
	Entries []screening.Entry
	Raw     []byte
}

// LoadScreeningLists replaces the lists' entries in the database (each
// list in one transaction). A running server screens with them within a
// minute. With SQLite it runs while no server does (the server holds the
// file's write lock).
func LoadScreeningLists(ctx context.Context, dsn string, log *slog.Logger, lists []ScreeningList) error {
	st, err := store.Open(ctx, dsn, log)
	if err != nil {
		return err
	}
	defer st.Close()
	kind, err := store.Kind(dsn)
	if err != nil {
		return err
	}
	ws := walletsql.New(st.SQL(), kind, store.IsUniqueViolation, nil, nil)
	defer ws.Close()
	now := time.Now().UTC()
	for _, l := range lists {
		if err := wallet.LoadScreeningList(ctx, ws, l.Source, l.Entries, l.Raw, now); err != nil {
			return fmt.Errorf("load %s: %w", l.Source, err)
		}
	}
	return nil
}

// ScreeningEntries reads the loaded lists' entries.
func ScreeningEntries(ctx context.Context, dsn string, log *slog.Logger) ([]screening.Entry, error) {
	st, err := store.Open(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	kind, err := store.Kind(dsn)
	if err != nil {
		return nil, err
	}
	ws := walletsql.New(st.SQL(), kind, store.IsUniqueViolation, nil, nil)
	defer ws.Close()
	return ws.ScreeningEntries(ctx)
}
