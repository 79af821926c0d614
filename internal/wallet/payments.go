package wallet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/pkg/emvqr"
)

// Merchant orders and scan-to-pay (扫一扫). An order is created by the
// merchant (signed API) or, for a static store QR code, by the payer's
// payment itself. Its payment is a linked chain in the ledger — the
// payer's allowances, payer → merchant, merchant → fee income — so the
// payment and its fee commit together. The payment's ledger id is derived
// from the order: an order is paid at most once, whoever retries.

// Order statuses, as WeChat Pay names them.
const (
	OrderNotPay     = "NOTPAY"
	OrderUserPaying = "USERPAYING"
	OrderSuccess    = "SUCCESS"
	OrderClosed     = "CLOSED"
)

// QRGUID identifies ShiLianTong's merchant account template (tag 26) in
// EMVCo merchant-presented QR codes; its sub-tag 01 is the merchant and
// 02 the order (dynamic codes), both as 22-character base64url ids.
const QRGUID = "com.shiliantong"

// OrderRequest is a merchant's new order.
type OrderRequest struct {
	OutTradeNo  string
	Amount      int64
	Currency    string
	Description string
	ExpiresIn   time.Duration // 0: two hours
	TerminalID  string        // the till, if the merchant has registered it
}

func checkOutTradeNo(no string) error {
	if no == "" || len(no) > 32 || strings.IndexFunc(no, func(r rune) bool {
		return !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-|*", r)))
	}) >= 0 {
		return newError(KindInvalid, CodeInvalidOutTradeNo, "out_trade_no is 1 to 32 letters, digits or _-|*")
	}
	return nil
}

// fee is the merchant's fee on an amount, rounded half up to the minor unit.
func fee(amount int64, bps int) int64 { return (amount*int64(bps) + 5_000) / 10_000 }

// newMerchantOrder checks a merchant's order request and builds the order.
func (s *Service) newMerchantOrder(m Merchant, r OrderRequest) (MerchantOrder, error) {
	if err := checkOutTradeNo(r.OutTradeNo); err != nil {
		return MerchantOrder{}, err
	}
	if r.Currency != "CNY" {
		return MerchantOrder{}, newError(KindInvalid, CodeCurrencyNotSupported, "merchant orders are in CNY")
	}
	if r.Amount <= 0 || r.Amount > maxOrderAmount {
		return MerchantOrder{}, newError(KindInvalid, CodeInvalidAmount, "the amount must be 1 to %d minor units", int64(maxOrderAmount))
	}
	desc := strings.TrimSpace(r.Description)
	if utf8.RuneCountInString(desc) > 127 || !utf8.ValidString(desc) {
		return MerchantOrder{}, newError(KindInvalid, CodeInvalidDescription, "the description has at most 127 characters")
	}
	exp := r.ExpiresIn
	if exp == 0 {
		exp = defaultOrderExpiry
	}
	if exp < time.Minute || exp > maxOrderExpiry {
		return MerchantOrder{}, newError(KindInvalid, CodeInvalidRequest, "an order expires after 1 minute to 7 days")
	}
	now := s.now().UTC()
	return MerchantOrder{ID: ledger.NewID().String(), MerchantID: m.ID, OutTradeNo: r.OutTradeNo, Amount: r.Amount, Fee: fee(r.Amount, m.FeeBPS),
		Currency: r.Currency, Description: desc, Status: OrderNotPay, TerminalID: r.TerminalID, ExpiresAt: now.Add(exp), CreatedAt: now, UpdatedAt: now}, nil
}

// existingOrder answers a request whose out_trade_no names an order: the
// order as it stands when it is the same order, a conflict otherwise.
func (s *Service) existingOrder(ctx context.Context, m Merchant, o MerchantOrder) (MerchantOrder, error) {
	old, err := s.store.MerchantOrder(ctx, m.ID, o.OutTradeNo)
	if err != nil {
		return MerchantOrder{}, err
	}
	if old.Amount != o.Amount || old.Currency != o.Currency || old.Description != o.Description {
		return MerchantOrder{}, newError(KindConflict, CodeOutTradeNoReused, "out_trade_no %s was used for another order", o.OutTradeNo)
	}
	return s.settleOrderState(ctx, old)
}

// CreateMerchantOrder creates an order, or returns the one the merchant
// made with this out_trade_no (created false) when it is the same order.
func (s *Service) CreateMerchantOrder(ctx context.Context, m Merchant, r OrderRequest) (MerchantOrder, bool, error) {
	o, err := s.newMerchantOrder(m, r)
	if err != nil {
		return MerchantOrder{}, false, err
	}
	if err := s.checkTerminal(ctx, m, r.TerminalID); err != nil {
		return MerchantOrder{}, false, err
	}
	err = s.store.CreateMerchantOrder(ctx, o)
	if errors.Is(err, ErrDuplicate) {
		old, err := s.existingOrder(ctx, m, o)
		return old, false, err
	}
	if err != nil {
		return MerchantOrder{}, false, fmt.Errorf("create order: %w", err)
	}
	return o, true, nil
}

// MerchantOrderByNo returns a merchant's order, its state brought up to
// date (an unpaid order past its expiry is closed).
func (s *Service) MerchantOrderByNo(ctx context.Context, m Merchant, no string) (MerchantOrder, error) {
	o, err := s.store.MerchantOrder(ctx, m.ID, no)
	if errors.Is(err, ErrNotFound) {
		return MerchantOrder{}, newError(KindNotFound, CodeNotFound, "no order %s", no)
	}
	if err != nil {
		return MerchantOrder{}, err
	}
	return s.settleOrderState(ctx, o)
}

// settleOrderState closes an expired unpaid order, and resolves a claim
// whose payer went away: paid if the payment is in the ledger, unpaid
// again otherwise.
func (s *Service) settleOrderState(ctx context.Context, o MerchantOrder) (MerchantOrder, error) {
	now := s.now()
	if o.Status == OrderUserPaying {
		// The ledger decides: a paid order may be read before its new
		// state is committed (by another request, while the payment
		// completes), or after a crash lost that write (it is not
		// flushed on its own: the payment's commit was).
		switch {
		case s.orderPaid(ctx, o):
			done, err := s.completePaid(ctx, o)
			if err != nil {
				return MerchantOrder{}, err
			}
			o = done
		case now.Sub(o.UpdatedAt) > claimFor:
			if err := s.store.SetMerchantOrderStatus(ctx, o.ID, OrderUserPaying, OrderNotPay, "", now.UTC()); err == nil {
				o.Status = OrderNotPay
			}
		}
	}
	if o.Status == OrderNotPay && now.After(o.ExpiresAt) && !s.orderPaid(ctx, o) {
		if err := s.store.SetMerchantOrderStatus(ctx, o.ID, OrderNotPay, OrderClosed, "", now.UTC()); err == nil {
			o.Status = OrderClosed
		}
	}
	return o, nil
}

// orderPaid reports whether the order's payment is in the ledger (a payer
// whose claim lapsed may still have paid it).
func (s *Service) orderPaid(ctx context.Context, o MerchantOrder) bool {
	_, err := s.ledger.LookupTransfer(ctx, orderPaymentID(o))
	return err == nil
}

// CloseMerchantOrder closes an unpaid order.
func (s *Service) CloseMerchantOrder(ctx context.Context, m Merchant, no string) (MerchantOrder, error) {
	o, err := s.MerchantOrderByNo(ctx, m, no)
	if err != nil {
		return o, err
	}
	switch o.Status {
	case OrderClosed:
		return o, nil
	case OrderSuccess, OrderUserPaying:
		return o, newError(KindConflict, CodeOrderPaid, "the order is %s; refund it instead", o.Status)
	}
	if s.orderPaid(ctx, o) {
		return o, newError(KindConflict, CodeOrderPaid, "the order has been paid; refund it instead")
	}
	if err := s.store.SetMerchantOrderStatus(ctx, o.ID, OrderNotPay, OrderClosed, "", s.now().UTC()); err != nil {
		return s.MerchantOrderByNo(ctx, m, no)
	}
	o.Status = OrderClosed
	return o, nil
}

// compactID writes a UUID as 22 base64url characters (QR codes are short).
func compactID(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(u[:])
}

func expandID(s string) (string, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 16 {
		return "", false
	}
	return uuid.UUID(b).String(), true
}

// MerchantQR is the EMVCo merchant-presented payload of a merchant's
// static store code (order nil: the payer enters the amount) or of an
// order (dynamic: the amount is fixed, single use).
func MerchantQR(m Merchant, o *MerchantOrder) (string, error) {
	acct := emvqr.MerchantAccount{ID: "26", GUID: QRGUID, Fields: []emvqr.Tag{{ID: "01", Value: compactID(m.ID)}}}
	b := emvqr.Builder{Accounts: []emvqr.MerchantAccount{acct}, Currency: "CNY",
		Merchant: emvqr.Merchant{CategoryCode: m.MCC, Country: m.Country, Name: m.DisplayName, City: m.City}}
	if o != nil {
		b.Dynamic, b.Amount = true, o.Amount
		b.Accounts[0].Fields = append(b.Accounts[0].Fields, emvqr.Tag{ID: "02", Value: compactID(o.ID)})
	}
	return emvqr.Build(b)
}

// StoreQR returns the static QR payload of a merchant the user owns.
func (s *Service) StoreQR(ctx context.Context, owner User, merchantID string) (string, error) {
	m, err := s.ownMerchant(ctx, owner, merchantID)
	if err != nil {
		return "", err
	}
	if m.Status != "approved" {
		return "", newError(KindConflict, CodeMerchantNotActive, "the merchant is %s", m.Status)
	}
	return MerchantQR(m, nil)
}

// Scanned is what a payer sees after scanning a merchant's code.
type Scanned struct {
	Merchant Merchant
	Order    *MerchantOrder // nil for a static code
}

// Scan reads a merchant QR payload and says who will be paid.
func (s *Service) Scan(ctx context.Context, payload string) (Scanned, error) {
	p, err := emvqr.Decode(strings.TrimSpace(payload))
	if err != nil {
		return Scanned{}, newError(KindInvalid, CodeQRNotSupported, "this is not a payment QR code: %v", err)
	}
	if err := p.Validate(); err != nil {
		return Scanned{}, newError(KindInvalid, CodeQRNotSupported, "this payment QR code is damaged: %v", err)
	}
	var acct *emvqr.MerchantAccount
	for i := range p.MerchantAccounts {
		if p.MerchantAccounts[i].GUID == QRGUID {
			acct = &p.MerchantAccounts[i]
		}
	}
	if acct == nil {
		return Scanned{}, newError(KindInvalid, CodeQRNotSupported, "this QR code is for another payment scheme; it can not be paid from this wallet yet").
			with("schemes", guids(p))
	}
	mid, ok := expandID(acct.Field("01"))
	if !ok {
		return Scanned{}, newError(KindInvalid, CodeQRNotSupported, "this QR code names no merchant")
	}
	m, err := s.merchant(ctx, mid)
	if err != nil {
		return Scanned{}, err
	}
	if m.Status != "approved" {
		return Scanned{}, newError(KindInvalid, CodeMerchantNotActive, "this merchant can not take payments")
	}
	out := Scanned{Merchant: m}
	if oid := acct.Field("02"); oid != "" {
		id, ok := expandID(oid)
		if !ok {
			return Scanned{}, newError(KindInvalid, CodeQRNotSupported, "this QR code names no order")
		}
		o, err := s.store.MerchantOrderByID(ctx, id)
		if err != nil || o.MerchantID != m.ID {
			return Scanned{}, newError(KindNotFound, CodeNotFound, "this order does not exist")
		}
		if o, err = s.settleOrderState(ctx, o); err != nil {
			return Scanned{}, err
		}
		out.Order = &o
	}
	return out, nil
}

func guids(p *emvqr.Payload) []string {
	var out []string
	for _, a := range p.MerchantAccounts {
		if a.GUID != "" {
			out = append(out, a.GUID)
		}
	}
	return out
}

// ScanPayment pays a scanned code.
type ScanPayment struct {
	Payload        string // the scanned QR payload
	Amount         int64  // static codes: what the payer enters; dynamic: must be the order's or 0
	PIN            string
	Passkey        []byte // a passkey assertion (JSON) in place of the PIN (BeginPasskeyPayment)
	IdempotencyKey string
	SessionStarted time.Time
	Device         string // the session's device ("" if unknown), for risk
}

// MerchantReceipt is a completed payment.
type MerchantReceipt struct {
	Order        MerchantOrder
	Merchant     Merchant
	TransferID   string
	PasswordFree bool
	Replayed     bool
}

// orderPaymentID and orderFeeID are the ledger ids of an order's payment.
func orderPaymentID(o MerchantOrder) ledger.ID { return orderLinkedID(o, "payment") }
func orderFeeTransferID(o MerchantOrder) ledger.ID {
	return orderLinkedID(o, "fee")
}

func orderLinkedID(o MerchantOrder, kind string) ledger.ID {
	id, err := ledger.ParseID(o.ID)
	if err != nil {
		return ledger.NameID("wallet/order-"+kind, o.ID)
	}
	return linkedID("wallet/order-"+kind, id, kind)
}

// PayMerchant pays a scanned merchant code from the payer's CNY wallet.
func (s *Service) PayMerchant(ctx context.Context, payer User, r ScanPayment) (MerchantReceipt, error) {
	sc, err := s.Scan(ctx, r.Payload)
	if err != nil {
		return MerchantReceipt{}, err
	}
	o, err := s.orderToPay(ctx, payer, sc, r)
	if err != nil {
		return MerchantReceipt{}, err
	}
	if o.Status == OrderSuccess {
		return s.paidReceipt(ctx, payer, sc.Merchant, o)
	}
	if o.Status != OrderNotPay || s.now().After(o.ExpiresAt) {
		return MerchantReceipt{}, newError(KindConflict, CodeOrderNotPayable, "this order can not be paid: it is %s", strings.ToLower(o.Status))
	}
	from, ok, err := s.walletIn(ctx, payer.ID, "CNY")
	if err != nil || !ok {
		return MerchantReceipt{}, newError(KindInvalid, CodeWalletNotOpen, "you have no CNY wallet")
	}
	var passwordFree bool
	if len(r.Passkey) > 0 {
		err = s.verifyPaymentPasskey(ctx, payer, r.Passkey, orderBinding(payer.ID, sc.Merchant.ID, o.OutTradeNo, o.Amount, "CNY"))
	} else {
		passwordFree, err = s.authorize(ctx, payer, r.PIN, o.Amount, "CNY")
	}
	if err != nil {
		return MerchantReceipt{}, err
	}
	ev := risk.Event{Kind: "payment", UserID: payer.ID, UserSince: payer.CreatedAt, SessionStarted: r.SessionStarted,
		Amount: o.Amount, Currency: "CNY", Counterparty: "merchant:" + o.MerchantID, Strong: !passwordFree, At: s.now(),
		Device: r.Device, MCC: sc.Merchant.MCC, Ref: orderPaymentID(o).String()}
	if err := s.assess(ctx, ev); err != nil {
		return MerchantReceipt{}, err
	}
	if err := s.store.SetMerchantOrderStatus(ctx, o.ID, OrderNotPay, OrderUserPaying, payer.ID, s.now().UTC()); err != nil {
		return MerchantReceipt{}, newError(KindConflict, CodeOrderNotPayable, "this order is being paid or was paid")
	}
	created, err := s.payOrder(ctx, payer, sc.Merchant, o, from, passwordFree)
	if err != nil {
		_ = s.store.SetMerchantOrderStatus(ctx, o.ID, OrderUserPaying, OrderNotPay, "", s.now().UTC())
		return MerchantReceipt{}, err
	}
	if created {
		s.risk.Done(ev)
	}
	o.PayerID = payer.ID
	if o, err = s.completePaid(ctx, o); err != nil {
		return MerchantReceipt{}, fmt.Errorf("pay merchant: %w", err)
	}
	return MerchantReceipt{Order: o, Merchant: sc.Merchant, TransferID: orderPaymentID(o).String(), PasswordFree: passwordFree}, nil
}

// payOrder commits the payment and its fee with the payer's allowances.
func (s *Service) payOrder(ctx context.Context, payer User, m Merchant, o MerchantOrder, from WalletAccount, passwordFree bool) (bool, error) {
	main := ledger.Transfer{ID: orderPaymentID(o), DebitAccountID: from.AccountID, CreditAccountID: merchantAccount(m.ID),
		Amount: o.Amount, Currency: "CNY", Code: TransferPayment, Reference: "order:" + o.ID}
	var extra []ledger.Transfer
	if o.Fee > 0 {
		extra = append(extra, ledger.Transfer{ID: orderFeeTransferID(o), DebitAccountID: merchantAccount(m.ID), CreditAccountID: feeIncome("CNY"),
			Amount: o.Fee, Currency: "CNY", Code: TransferMerchantFee, Reference: "fee:" + o.ID})
	}
	return s.moneyOut(ctx, payer, main, passwordFree, extra...)
}

// orderToPay is the scanned order, or for a static code a new order for
// the amount the payer entered (its number derived from the payer's
// idempotency key, so a retry pays the same order).
func (s *Service) orderToPay(ctx context.Context, payer User, sc Scanned, r ScanPayment) (MerchantOrder, error) {
	if sc.Order != nil {
		if r.Amount != 0 && r.Amount != sc.Order.Amount {
			return MerchantOrder{}, newError(KindInvalid, CodeInvalidAmount, "this order is for %s", formatCNY(sc.Order.Amount))
		}
		return *sc.Order, nil
	}
	if r.Amount <= 0 {
		return MerchantOrder{}, newError(KindInvalid, CodeInvalidAmount, "enter the amount to pay")
	}
	no := staticOrderNo(payer.ID, r.IdempotencyKey)
	o, _, err := s.CreateMerchantOrder(ctx, sc.Merchant, OrderRequest{OutTradeNo: no, Amount: r.Amount, Currency: "CNY", Description: "scan to pay"})
	if e, ok := AsError(err); ok && e.Code == CodeOutTradeNoReused {
		return MerchantOrder{}, newError(KindInvalid, CodeIdempotencyKeyReused, "this Idempotency-Key was used for a different payment")
	}
	return o, err
}

// paidReceipt answers a retry of a payment that is done.
func (s *Service) paidReceipt(ctx context.Context, payer User, m Merchant, o MerchantOrder) (MerchantReceipt, error) {
	if o.PayerID != payer.ID {
		return MerchantReceipt{}, newError(KindConflict, CodeOrderPaid, "this order has been paid")
	}
	return MerchantReceipt{Order: o, Merchant: m, TransferID: orderPaymentID(o).String(), Replayed: true}, nil
}

// MerchantBalance is a merchant's balance in its ledger account.
func (s *Service) MerchantBalance(ctx context.Context, owner User, merchantID string) (int64, error) {
	m, err := s.ownMerchant(ctx, owner, merchantID)
	if err != nil {
		return 0, err
	}
	if m.AccountID == "" {
		return 0, nil
	}
	a, err := s.ledger.LookupAccount(ctx, merchantAccount(m.ID))
	if err != nil {
		return 0, err
	}
	return a.CreditsPosted - a.DebitsPosted - a.DebitsPending, nil
}
