package server

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"

	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/store"
)

// LogKeys returns the transparency log's keys: an Ed25519 key derived from
// SLT_SECRET_KEY (or the secret-key file of the data directory), named
// after the origin.
func LogKeys(dsn, origin string) (ledgerlog.Keys, error) {
	s64, err := secretFile("SLT_SECRET_KEY", store.DataDir(dsn), "secret-key", randomKey)
	if err != nil {
		return ledgerlog.Keys{}, err
	}
	secret, err := base64.StdEncoding.DecodeString(s64)
	if err != nil || len(secret) < 32 {
		return ledgerlog.Keys{}, fmt.Errorf("secret key: want base64 of at least 32 bytes")
	}
	if origin == "" {
		origin = ledgerlog.DefaultOrigin
	}
	return ledgerlog.NewKeys(origin, derive(secret, "log-key"))
}

// openLog returns the transparency log over the store, reading the
// ledger through src.
func openLog(cfg Config, st store.Store, src ledgerlog.Source, log *slog.Logger) (*ledgerlog.Log, error) {
	return openLogFrom(cfg.DB, st, src, cfg.LogOrigin, log)
}

// OpenLog returns the transparency log over the store opened from dsn.
func OpenLog(dsn string, st store.Store, origin string, log *slog.Logger) (*ledgerlog.Log, error) {
	src, ok := st.(ledgerlog.Source)
	if !ok {
		return nil, fmt.Errorf("transparency log: the store can not be tailed")
	}
	return openLogFrom(dsn, st, src, origin, log)
}

func openLogFrom(dsn string, st store.Store, src ledgerlog.Source, origin string, log *slog.Logger) (*ledgerlog.Log, error) {
	kind, err := store.Kind(dsn)
	if err != nil {
		return nil, err
	}
	if origin == "" {
		origin = ledgerlog.DefaultOrigin
	}
	keys, err := LogKeys(dsn, origin)
	if err != nil {
		return nil, err
	}
	var lock sync.Locker
	if l, ok := st.(interface{ WriteLock() sync.Locker }); ok {
		lock = l.WriteLock()
	}
	lg, err := ledgerlog.New(ledgerlog.Options{DB: st.SQL(), Dialect: kind, WriteLock: lock, Source: src,
		Keys: keys, Origin: origin, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := lg.Load(context.Background()); err != nil {
		return nil, err
	}
	return lg, nil
}

// AuditLog replays the whole transparency log of the database dsn against
// its ledger (read-only, beside a running server): the function behind
// `slt audit`. verifierKey, if not empty, must verify the newest
// checkpoint's signature.
func AuditLog(ctx context.Context, dsn, verifierKey string, log *slog.Logger) (ledgerlog.AuditReport, error) {
	kind, err := store.Kind(dsn)
	if err != nil {
		return ledgerlog.AuditReport{}, err
	}
	r, err := store.OpenReadOnly(ctx, dsn, log)
	if err != nil {
		return ledgerlog.AuditReport{}, err
	}
	defer r.Close()
	s, ok := r.(interface{ SQL() *sql.DB })
	if !ok {
		return ledgerlog.AuditReport{}, fmt.Errorf("audit: the store has no SQL access")
	}
	return ledgerlog.Audit(ctx, ledgerlog.AuditOptions{Reader: r, DB: s.SQL(), Dialect: kind, VerifierKey: verifierKey})
}
