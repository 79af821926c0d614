package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Merchant staff: the owner adds users as cashiers. A cashier works the
// till through the wallet app's session — charges payment codes, looks
// orders up — but may not refund, make keys, or change where money goes;
// those stay with the owner.

// Staff roles.
const (
	StaffOwner   = "owner"
	StaffCashier = "cashier"
)

// AddStaff (the owner) makes a registered user a cashier of the merchant.
func (s *Service) AddStaff(ctx context.Context, owner User, merchantID, phone, role string) error {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return err
	}
	if role != StaffCashier {
		return newError(KindInvalid, CodeInvalidRequest, "the role is %q", StaffCashier)
	}
	p, err := NormalizePhone(phone)
	if err != nil {
		return err
	}
	u, err := s.store.UserByPhone(ctx, p)
	if errors.Is(err, ErrNotFound) {
		return newError(KindNotFound, CodeUnknownPayee, "no user has this mobile number; they register first")
	}
	if err != nil {
		return err
	}
	if u.ID == owner.ID {
		return newError(KindInvalid, CodeInvalidRequest, "you own this merchant already")
	}
	if err := s.store.AddStaff(ctx, merchantID, u.ID, role, s.now().UTC()); err != nil {
		return fmt.Errorf("add staff: %w", err)
	}
	return nil
}

// staffMerchant returns a merchant the user works for: the owner always,
// a cashier when cashiers may do this.
func (s *Service) staffMerchant(ctx context.Context, u User, merchantID string, cashierMay bool) (Merchant, error) {
	m, err := s.merchant(ctx, merchantID)
	if err != nil {
		return Merchant{}, err
	}
	if m.OwnerID == u.ID {
		return m, nil
	}
	role, err := s.store.StaffRole(ctx, merchantID, u.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Merchant{}, newError(KindNotFound, CodeNotFound, "no such merchant")
	case err != nil:
		return Merchant{}, err
	case role == StaffCashier && !cashierMay:
		return Merchant{}, newError(KindForbidden, CodeForbidden, "only the merchant's owner may do this")
	}
	if m.Status != "approved" {
		return Merchant{}, newError(KindConflict, CodeMerchantNotActive, "the merchant is %s", m.Status)
	}
	return m, nil
}

// TillMicropay is micropay from the till app, by a cashier's (or the
// owner's) session instead of a signed server request.
func (s *Service) TillMicropay(ctx context.Context, u User, merchantID, authCode string, r OrderRequest) (MerchantOrder, error) {
	m, err := s.staffMerchant(ctx, u, merchantID, true)
	if err != nil {
		return MerchantOrder{}, err
	}
	return s.Micropay(ctx, m, authCode, r)
}

// TillOrder looks an order up for the till.
func (s *Service) TillOrder(ctx context.Context, u User, merchantID, no string) (MerchantOrder, error) {
	m, err := s.staffMerchant(ctx, u, merchantID, true)
	if err != nil {
		return MerchantOrder{}, err
	}
	return s.MerchantOrderByNo(ctx, m, no)
}

// TillRefund refunds from the till app: the owner only.
func (s *Service) TillRefund(ctx context.Context, u User, merchantID string, r RefundRequest) (MerchantRefund, error) {
	m, err := s.staffMerchant(ctx, u, merchantID, false)
	if err != nil {
		return MerchantRefund{}, err
	}
	return s.Refund(ctx, m, r)
}

// CreateStore (the owner) adds a store.
func (s *Service) CreateStore(ctx context.Context, owner User, merchantID, name string) (Shop, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return Shop{}, err
	}
	name, err := checkName(name)
	if err != nil {
		return Shop{}, err
	}
	st := Shop{ID: ledger.NewID().String(), MerchantID: merchantID, Name: name, CreatedAt: s.now().UTC()}
	return st, s.store.CreateStore(ctx, st)
}

// CreateTerminal (the owner) adds a till to one of the merchant's stores.
func (s *Service) CreateTerminal(ctx context.Context, owner User, merchantID, storeID, name string) (Terminal, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return Terminal{}, err
	}
	name, err := checkName(name)
	if err != nil {
		return Terminal{}, err
	}
	t := Terminal{ID: ledger.NewID().String(), StoreID: storeID, MerchantID: merchantID, Name: name, CreatedAt: s.now().UTC()}
	if err := s.store.CreateTerminal(ctx, t); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Terminal{}, newError(KindNotFound, CodeNotFound, "the merchant has no such store")
		}
		return Terminal{}, err
	}
	return t, nil
}

// checkTerminal checks that an order's terminal, if any, is the merchant's.
func (s *Service) checkTerminal(ctx context.Context, m Merchant, id string) error {
	if id == "" {
		return nil
	}
	t, err := s.store.Terminal(ctx, id)
	if err != nil || t.MerchantID != m.ID {
		return newError(KindInvalid, CodeInvalidRequest, "terminal_id names no till of this merchant")
	}
	return nil
}
