package server

import (
	"context"
	"log/slog"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// CreateAdmin creates an operator: a user whose session may use the
// operator API (/v1/ledger). It opens the database itself, so with SQLite
// it runs while no server does.
func CreateAdmin(ctx context.Context, cfg Config, r wallet.Registration) (wallet.User, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Logger = log
	st, err := store.Open(ctx, cfg.DB, log)
	if err != nil {
		return wallet.User{}, err
	}
	defer st.Close()
	eng := ledger.New(st, ledger.Options{Logger: log})
	defer eng.Close()
	deps, closePartners, err := walletDeps(cfg, st, eng)
	if err != nil {
		return wallet.User{}, err
	}
	defer closePartners()
	wcfg := wallet.DefaultConfig()
	if cfg.Wallet != nil {
		wcfg = *cfg.Wallet
	}
	w, err := wallet.New(ctx, wcfg, deps)
	if err != nil {
		return wallet.User{}, err
	}
	defer w.Close()
	return w.CreateAdmin(ctx, r)
}
