package wallet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lookups for the merchant portal (a merchant's owner and staff) and the
// operator console, and the operator's freeze. Functions named for an
// owner check that the user owns the merchant; those for staff let a
// cashier in where cashiers may look (today's takings, orders); operator
// functions (SearchUsers, FreezeUser …) are for callers that checked the
// operator's role, like ApproveMerchant.

// ConsoleStore is the part of Store the portal and the console read.
type ConsoleStore interface {
	// UserMerchants lists the merchants a user owns or works for.
	UserMerchants(ctx context.Context, userID string) ([]Membership, error)
	// StaffMembers lists a merchant's staff, with their names and numbers.
	StaffMembers(ctx context.Context, merchantID string) ([]StaffMember, error)
	// RemoveStaff removes a staff member; ErrNotFound if there is none.
	RemoveStaff(ctx context.Context, merchantID, userID string) error
	// MerchantKeys lists a merchant's API keys, without their secrets.
	MerchantKeys(ctx context.Context, merchantID string) ([]MerchantKey, error)
	// SearchMerchantOrders lists a merchant's orders, newest first.
	SearchMerchantOrders(ctx context.Context, merchantID string, q OrderQuery) ([]MerchantOrder, error)
	// OrderRefunds lists an order's refunds, oldest first.
	OrderRefunds(ctx context.Context, orderID string) ([]MerchantRefund, error)
	// MerchantSettlements lists a merchant's settlement orders, newest first.
	MerchantSettlements(ctx context.Context, merchantID string, limit int) ([]BankOrder, error)
	// SearchUsers finds users by id, mobile number (prefix) or name
	// (prefix, real or display).
	SearchUsers(ctx context.Context, q string, limit int) ([]User, error)
	// SearchMerchants finds merchants by id or name (prefix, legal or
	// display) and status ("" for any), newest first.
	SearchMerchants(ctx context.Context, q, status string, limit int) ([]Merchant, error)
	// SetFrozen freezes (at non-zero) or unfreezes (zero) a user.
	SetFrozen(ctx context.Context, userID string, at time.Time) error
}

// Membership is a merchant and the user's role at it.
type Membership struct {
	Merchant Merchant
	Role     string // StaffOwner, StaffCashier
}

// StaffMember is one of a merchant's staff.
type StaffMember struct {
	UserID, Name, Phone, Role string
	CreatedAt                 time.Time
}

// OrderQuery filters a merchant's orders.
type OrderQuery struct {
	OutTradeNo string // exact
	Status     string // "" for any
	From, To   time.Time
	Limit      int
}

// CodeAccountFrozen: an operator froze the account.
const CodeAccountFrozen = "account_frozen"

// Frozen reports whether an operator froze the user.
func (u User) Frozen() bool { return !u.FrozenAt.IsZero() }

// checkNotFrozen refuses a money-out of a frozen user.
func checkNotFrozen(u User) error {
	if u.Frozen() {
		return newError(KindForbidden, CodeAccountFrozen, "this account is frozen: no money can leave it; contact customer service")
	}
	return nil
}

// MyMerchants lists the merchants the user owns or works for.
func (s *Service) MyMerchants(ctx context.Context, u User) ([]Membership, error) {
	return s.store.UserMerchants(ctx, u.ID)
}

// PortalMerchant returns a merchant the user owns or works for, with the
// user's role. A cashier sees only approved merchants.
func (s *Service) PortalMerchant(ctx context.Context, u User, merchantID string) (Merchant, string, error) {
	m, err := s.merchant(ctx, merchantID)
	if err != nil {
		return Merchant{}, "", err
	}
	if m.OwnerID == u.ID {
		return m, StaffOwner, nil
	}
	m, err = s.staffMerchant(ctx, u, merchantID, true)
	if err != nil {
		return Merchant{}, "", err
	}
	return m, StaffCashier, nil
}

// MerchantOrders searches a merchant's orders (owner and cashiers).
func (s *Service) MerchantOrders(ctx context.Context, u User, merchantID string, q OrderQuery) ([]MerchantOrder, error) {
	if _, err := s.staffMerchant(ctx, u, merchantID, true); err != nil {
		return nil, err
	}
	q.OutTradeNo = strings.TrimSpace(q.OutTradeNo)
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	return s.store.SearchMerchantOrders(ctx, merchantID, q)
}

// MerchantOrderDetail is an order with its refunds (owner and cashiers).
func (s *Service) MerchantOrderDetail(ctx context.Context, u User, merchantID, outTradeNo string) (MerchantOrder, []MerchantRefund, error) {
	o, err := s.TillOrder(ctx, u, merchantID, outTradeNo)
	if err != nil {
		return MerchantOrder{}, nil, err
	}
	rs, err := s.store.OrderRefunds(ctx, o.ID)
	return o, rs, err
}

// StaffDailyBill is the merchant's daily bill for its owner and cashiers
// (today's takings).
func (s *Service) StaffDailyBill(ctx context.Context, u User, merchantID, date string) (DailyBill, error) {
	m, err := s.staffMerchant(ctx, u, merchantID, true)
	if err != nil {
		return DailyBill{}, err
	}
	if m.Status != "approved" {
		return DailyBill{Date: date}, nil
	}
	return s.MerchantDailyBill(ctx, m, date)
}

// MerchantKeys lists a merchant's API keys (the owner).
func (s *Service) MerchantKeys(ctx context.Context, owner User, merchantID string) ([]MerchantKey, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return nil, err
	}
	return s.store.MerchantKeys(ctx, merchantID)
}

// MerchantWebhook returns where a merchant's events go ("" if nowhere),
// for its owner; the secret is not returned.
func (s *Service) MerchantWebhook(ctx context.Context, owner User, merchantID string) (string, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return "", err
	}
	w, err := s.store.Webhook(ctx, merchantID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return w.URL, err
}

// MerchantSettlements lists a merchant's payouts (the owner).
func (s *Service) MerchantSettlements(ctx context.Context, owner User, merchantID string) ([]BankOrder, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return nil, err
	}
	return s.store.MerchantSettlements(ctx, merchantID, 60)
}

// OwnerDailyBill is a merchant's daily bill for its owner.
func (s *Service) OwnerDailyBill(ctx context.Context, owner User, merchantID, date string) (DailyBill, error) {
	m, err := s.ownMerchant(ctx, owner, merchantID)
	if err != nil {
		return DailyBill{}, err
	}
	return s.MerchantDailyBill(ctx, m, date)
}

// MerchantStaff lists a merchant's staff (the owner).
func (s *Service) MerchantStaff(ctx context.Context, owner User, merchantID string) ([]StaffMember, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return nil, err
	}
	return s.store.StaffMembers(ctx, merchantID)
}

// RemoveStaff (the owner) removes a staff member.
func (s *Service) RemoveStaff(ctx context.Context, owner User, merchantID, userID string) error {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return err
	}
	if err := s.store.RemoveStaff(ctx, merchantID, userID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "no such staff member")
		}
		return err
	}
	return nil
}

// SearchUsers (an operator) finds users.
func (s *Service) SearchUsers(ctx context.Context, q string) ([]User, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if p, err := NormalizePhone(q); err == nil {
		q = p
	}
	return s.store.SearchUsers(ctx, q, 50)
}

// SearchMerchants (an operator) finds merchants; an empty query with a
// status lists the merchants in it (the pending ones, to approve).
func (s *Service) SearchMerchants(ctx context.Context, q, status string) ([]Merchant, error) {
	return s.store.SearchMerchants(ctx, strings.TrimSpace(q), status, 50)
}

// UserByID (an operator) returns a user.
func (s *Service) UserByID(ctx context.Context, id string) (User, error) {
	u, err := s.store.UserByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return User{}, newError(KindNotFound, CodeNotFound, "no such user")
	}
	return u, err
}

// MerchantByID (an operator) returns a merchant.
func (s *Service) MerchantByID(ctx context.Context, id string) (Merchant, error) {
	return s.merchant(ctx, id)
}

// UserMerchants (an operator) lists the merchants a user owns or works for.
func (s *Service) UserMerchants(ctx context.Context, userID string) ([]Membership, error) {
	return s.store.UserMerchants(ctx, userID)
}

// FreezeUser (an operator) freezes or unfreezes a user. A frozen user may
// log in, see their money and receive money, but no money leaves their
// wallets: every money-out (transfers, payments to merchants, payment
// codes, withdrawals) is refused on the money-out path. Caches are
// forgotten at once on this server; another server sees the change within
// the session cache's lifetime (2 s).
func (s *Service) FreezeUser(ctx context.Context, id string, freeze bool) (User, error) {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	var at time.Time
	if freeze {
		at = s.now().UTC()
		if u.Frozen() {
			at = u.FrozenAt
		}
	}
	if err := s.store.SetFrozen(ctx, id, at); err != nil {
		return User{}, fmt.Errorf("freeze user: %w", err)
	}
	s.cache.forgetSessions() // and the users behind payment codes
	action := "user_unfrozen"
	if freeze {
		action = "user_frozen"
	}
	s.audit(ctx, "", action, id, "")
	u.FrozenAt = at
	return u, nil
}

// ReportFraud is the user's own emergency stop ("report fraud"): their
// outflows are frozen at once, as an operator's freeze does, and customer
// service takes it from there (only an operator unfreezes). What the user
// says happened is kept in the audit trail.
func (s *Service) ReportFraud(ctx context.Context, u User, what string) (User, error) {
	at := s.now().UTC()
	if u.Frozen() {
		at = u.FrozenAt
	}
	if err := s.store.SetFrozen(ctx, u.ID, at); err != nil {
		return User{}, fmt.Errorf("report fraud: %w", err)
	}
	s.cache.forgetSessions()
	s.audit(ctx, u.ID, "fraud_reported", u.ID, clipString(strings.TrimSpace(what), 300))
	s.notify(u.ID, "account_frozen", "Your account is frozen",
		"You reported fraud: no money can leave your wallets now. Customer service will contact you; only they can unfreeze it.")
	u.FrozenAt = at
	return u, nil
}
