package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Lookups of one thing, for clients that show it on its own page (the web
// app's bill detail, the payment it asks the payer to confirm).

// Bill returns one of the user's bills by its id (the ledger transfer).
func (s *Service) Bill(ctx context.Context, userID, id string) (Bill, error) {
	notFound := newError(KindNotFound, CodeNotFound, "you have no such bill")
	tid, err := ledger.ParseID(id)
	if err != nil {
		return Bill{}, notFound
	}
	t, err := s.ledger.LookupTransfer(ctx, tid)
	if errors.Is(err, ledger.ErrNotFound) {
		return Bill{}, notFound
	}
	if err != nil {
		return Bill{}, fmt.Errorf("bill: %w", err)
	}
	ws, err := s.store.Wallets(ctx, userID)
	if err != nil {
		return Bill{}, fmt.Errorf("bill: %w", err)
	}
	for _, w := range ws {
		if t.DebitAccountID != w.AccountID && t.CreditAccountID != w.AccountID {
			continue
		}
		b, show, err := s.bill(ctx, w, t)
		if err != nil {
			return Bill{}, err
		}
		if show {
			return b, nil
		}
	}
	return Bill{}, notFound
}

// PayerOrder returns an order the user pays (or is asked to confirm),
// its state brought up to date, with its merchant.
func (s *Service) PayerOrder(ctx context.Context, payer User, orderID string) (MerchantOrder, Merchant, error) {
	o, err := s.store.MerchantOrderByID(ctx, orderID)
	if err != nil || o.PayerID != payer.ID {
		return MerchantOrder{}, Merchant{}, newError(KindNotFound, CodeNotFound, "you have no such payment")
	}
	if o, err = s.settleOrderState(ctx, o); err != nil {
		return MerchantOrder{}, Merchant{}, err
	}
	m, err := s.merchant(ctx, o.MerchantID)
	if err != nil {
		return MerchantOrder{}, Merchant{}, err
	}
	return o, m, nil
}

// PendingConfirmation returns the newest payment a till started with the
// user's payment code after since that still waits for the payment PIN
// (the confirm_payment notification names it: its id is the order's).
func (s *Service) PendingConfirmation(ctx context.Context, payer User, since time.Time) (MerchantOrder, bool, error) {
	ns, err := s.store.Notifications(ctx, payer.ID, time.Time{}, 10)
	if err != nil {
		return MerchantOrder{}, false, fmt.Errorf("pending confirmation: %w", err)
	}
	for _, n := range ns {
		if n.CreatedAt.Before(since) {
			break
		}
		if n.Kind != NotifyConfirmPayment {
			continue
		}
		o, _, err := s.PayerOrder(ctx, payer, n.ID)
		if err == nil && o.Status == OrderUserPaying {
			return o, true, nil
		}
	}
	return MerchantOrder{}, false, nil
}

// UserName is a user's display name ("" if unknown), as bills show it.
func (s *Service) UserName(ctx context.Context, userID string) string { return s.userName(ctx, userID) }

// OrderPaymentID is the id of an order's payment in the ledger (the
// payer's bill of it).
func OrderPaymentID(o MerchantOrder) string { return orderPaymentID(o).String() }
