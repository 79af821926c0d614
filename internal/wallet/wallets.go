package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Balance is one wallet with its balance, as the user sees it.
type Balance struct {
	Currency  string
	AccountID string
	Available int64 // what may be spent now: credits posted minus all debits
	Pending   int64 // on its way out (withdrawals waiting for the bank)
	Incoming  int64 // on its way in
	OpenedAt  time.Time
}

// Wallets returns a user's wallets with their balances from the ledger.
func (s *Service) Wallets(ctx context.Context, userID string) ([]Balance, error) {
	ws, err := s.store.Wallets(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("wallets: %w", err)
	}
	out := make([]Balance, 0, len(ws))
	for _, w := range ws {
		a, err := s.ledger.LookupAccount(ctx, w.AccountID)
		if err != nil {
			return nil, fmt.Errorf("wallets: %w", err)
		}
		out = append(out, Balance{
			Currency: w.Currency, AccountID: w.AccountID.String(), OpenedAt: w.CreatedAt,
			Available: a.CreditsPosted - a.DebitsPosted - a.DebitsPending,
			Pending:   a.DebitsPending, Incoming: a.CreditsPending,
		})
	}
	return out, nil
}

// OpenWallet opens a wallet in another currency.
func (s *Service) OpenWallet(ctx context.Context, userID, cur string) (Balance, error) {
	if _, ok := s.cfg.Limits[cur]; !ok {
		return Balance{}, newError(KindInvalid, CodeCurrencyNotSupported, "wallets can not be opened in %q; supported: %v", clipString(cur, 8), s.SupportedCurrencies()).
			with("supported", s.SupportedCurrencies())
	}
	w, err := s.newWalletAccount(ctx, userID, cur)
	if err != nil {
		return Balance{}, err
	}
	if err := s.store.CreateWallet(ctx, w); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Balance{}, newError(KindConflict, CodeWalletExists, "you already have a %s wallet", cur)
		}
		return Balance{}, fmt.Errorf("open wallet: %w", err)
	}
	return Balance{Currency: cur, AccountID: w.AccountID.String(), OpenedAt: w.CreatedAt}, nil
}

func currencies(ws []WalletAccount) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Currency
	}
	return out
}
