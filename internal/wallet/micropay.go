package wallet

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// The payment code (付款码): the wallet app derives an 18-digit code every
// minute from a device secret, offline (pkg/paycode); the shop's POS reads
// it and calls micropay. Under the payer's password-free limits the
// payment completes at once; otherwise the order waits (USERPAYING) for
// the payer to confirm it in the wallet with the PIN while the POS polls.
// A code is single use: the device's newest used time step is kept, and
// only a newer one is accepted (a compare-and-set in the database).

// Codes of payment-code errors.
const (
	CodePaycodeInvalid = "paycode_invalid"
	CodePaycodeUsed    = "paycode_used"
	CodePaycodeExpired = "paycode_expired"
	OrderReversed      = "REVERSED"
)

// PaycodeConfig is the payment-code scheme every device and the server
// share (Config.PaycodeStep may shorten its time step, for benchmarks).
var PaycodeConfig = paycode.DefaultConfig()

// paycodeConfig is the scheme this service uses.
func (s *Service) paycodeConfig() paycode.Config {
	c := PaycodeConfig
	if s.cfg.PaycodeStep > 0 {
		c.Step = s.cfg.PaycodeStep
	}
	return c
}

// PaycodeStep is the time step of this service's payment codes.
func (s *Service) PaycodeStep() time.Duration { return s.paycodeConfig().Step }

// Enrolment is a device's payment-code credentials, shown once.
type Enrolment struct {
	Device uint64
	Secret string // base32, as authenticator apps take it
}

// EnrollPaycode enrols the user's device: the PIN confirms it. The secret
// is sealed at rest. deviceID is the login device of the session that
// enrols it (revoking that device revokes this enrolment); "" for none.
func (s *Service) EnrollPaycode(ctx context.Context, u User, deviceID, pin string) (Enrolment, error) {
	if err := s.verifyPIN(ctx, u, pin); err != nil {
		return Enrolment{}, err
	}
	secret, err := paycode.NewSecret()
	if err != nil {
		return Enrolment{}, err
	}
	b32 := paycode.EncodeSecret(secret)
	for attempt := 0; attempt < 5; attempt++ {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return Enrolment{}, err
		}
		n := 1 + binary.BigEndian.Uint64(r[:])%s.paycodeConfig().MaxDevice()
		sealed, err := s.vault.Seal([]byte(b32), []byte(fmt.Sprintf("paycode:%d", n)))
		if err != nil {
			return Enrolment{}, err
		}
		err = s.store.CreatePaycodeDevice(ctx, PaycodeDevice{Number: n, UserID: u.ID, Secret: sealed, Status: "active", CreatedAt: s.now().UTC(), DeviceID: deviceID})
		if errors.Is(err, ErrDuplicate) {
			continue // that number is taken: draw another
		}
		if err != nil {
			return Enrolment{}, fmt.Errorf("enrol device: %w", err)
		}
		s.audit(ctx, u.ID, "paycode_device_enrolled", u.ID, fmt.Sprintf("device %d; login device %s", n, deviceID))
		return Enrolment{Device: n, Secret: b32}, nil
	}
	return Enrolment{}, errors.New("enrol device: no free device number")
}

// PaycodeDevices lists the user's enrolled devices (numbers and when they
// were enrolled; the secrets stay sealed).
func (s *Service) PaycodeDevices(ctx context.Context, u User) ([]PaycodeDevice, error) {
	ds, err := s.store.PaycodeDevices(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("payment-code devices: %w", err)
	}
	return ds, nil
}

// RevokePaycode revokes one of the user's devices: its codes stop at once.
func (s *Service) RevokePaycode(ctx context.Context, u User, device uint64) error {
	defer s.cache.devices.forget()
	if err := s.store.RevokePaycodeDevice(ctx, u.ID, device); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "you have no such active device")
		}
		return err
	}
	s.audit(ctx, u.ID, "paycode_device_revoked", u.ID, fmt.Sprintf("device %d", device))
	return nil
}

// checkCode verifies a payment code without using it: it returns the
// payer, the device and the code's time step.
func (s *Service) checkCode(ctx context.Context, code string) (User, uint64, int64, error) {
	bad := newError(KindInvalid, CodePaycodeInvalid, "this payment code is not valid; ask the customer to refresh it")
	cfg := s.paycodeConfig()
	p, err := paycode.Parse(strings.TrimSpace(code), cfg)
	if err != nil {
		return User{}, 0, 0, bad
	}
	d, err := s.cache.devices.get(ctx, p.Device, func() (openDevice, error) { return s.openDevice(ctx, p.Device) })
	if err != nil || d.Status != "active" {
		return User{}, 0, 0, bad
	}
	// d.LastCounter may be a little old: a code it lets through that is not
	// newer than the stored one is refused by StartTillOrder's update.
	counter, err := paycode.VerifyAfter(paycode.Device{Number: d.Number, Secret: d.secret}, p, s.now(), d.LastCounter, cfg)
	switch {
	case errors.Is(err, paycode.ErrReplay):
		return User{}, 0, 0, errCodeUsed
	case errors.Is(err, paycode.ErrExpired):
		return User{}, 0, 0, newError(KindInvalid, CodePaycodeExpired, "this payment code has expired; ask the customer to refresh it")
	case err != nil:
		return User{}, 0, 0, bad
	}
	u, err := s.cache.users.get(ctx, d.UserID, func() (User, error) { return s.store.UserByID(ctx, d.UserID) })
	return u, d.Number, counter, err
}

var errCodeUsed = newError(KindConflict, CodePaycodeUsed, "this payment code was used already; ask the customer to refresh it")

// Micropay takes a payment code read at a POS for a new order (or answers
// a retry of the same out_trade_no with the order as it stands). Using the
// code and creating the order, claimed by the code's owner, is one write.
func (s *Service) Micropay(ctx context.Context, m Merchant, authCode string, r OrderRequest) (MerchantOrder, error) {
	o, err := s.newMerchantOrder(m, r)
	if err != nil {
		return MerchantOrder{}, err
	}
	// A POS retry of a sale finds its code used (or, racing, the order
	// number taken): both lead to the order as it stands, below.
	if err := s.checkTerminal(ctx, m, r.TerminalID); err != nil {
		return MerchantOrder{}, err
	}
	payer, device, counter, err := s.checkCode(ctx, authCode)
	if err != nil {
		if errors.Is(err, errCodeUsed) {
			// A concurrent retry of this very order may have used it.
			if again, qerr := s.existingOrder(ctx, m, o); qerr == nil {
				return again, nil
			}
		}
		return MerchantOrder{}, err
	}
	o.Status, o.PayerID = OrderUserPaying, payer.ID
	switch err := s.store.StartTillOrder(ctx, device, counter, o); {
	case errors.Is(err, ErrDuplicate):
		return s.existingOrder(ctx, m, o)
	case errors.Is(err, ErrNotFound):
		// The code's step was used, or the device revoked, meanwhile: the
		// device is read again next time.
		s.cache.devices.drop(device)
		if again, qerr := s.existingOrder(ctx, m, o); qerr == nil {
			return again, nil
		}
		return MerchantOrder{}, errCodeUsed
	case err != nil:
		return MerchantOrder{}, fmt.Errorf("micropay: %w", err)
	}
	if _, err := s.authorize(ctx, payer, "", o.Amount, o.Currency); err == nil {
		if o, err = s.completeClaimed(ctx, payer, m, o, true, fmt.Sprintf("paycode:%d", device)); err != nil || o.Status != OrderUserPaying {
			return o, err
		}
	}
	// Above the password-free limits, or risk asks for the PIN: the payer
	// confirms in the app. The notification's id is the order's, so that
	// the app finds the payment to confirm.
	s.inbox.add(Notification{ID: o.ID, UserID: payer.ID, Kind: NotifyConfirmPayment, Title: "Confirm a payment",
		Body:      fmt.Sprintf("%s asks %s. Open the wallet to confirm with your payment PIN.", m.DisplayName, formatMoney(o.Amount, o.Currency)),
		CreatedAt: s.now().UTC()})
	return o, nil
}

// NotifyConfirmPayment is the kind of the notification that asks the payer
// to confirm a payment a till started with their payment code; its id is
// the order's id.
const NotifyConfirmPayment = "confirm_payment"

// ConfirmPayment is the payer confirming, with the PIN, an order a POS
// started with their payment code.
func (s *Service) ConfirmPayment(ctx context.Context, payer User, orderID, pin string) (MerchantReceipt, error) {
	return s.confirmPayment(ctx, payer, orderID, func(MerchantOrder) error { return s.verifyPIN(ctx, payer, pin) })
}

// ConfirmPaymentPasskey is ConfirmPayment with a passkey assertion in
// place of the PIN (BeginPasskeyPayment with the order's id).
func (s *Service) ConfirmPaymentPasskey(ctx context.Context, payer User, orderID string, assertion []byte) (MerchantReceipt, error) {
	return s.confirmPayment(ctx, payer, orderID, func(o MerchantOrder) error {
		return s.verifyPaymentPasskey(ctx, payer, assertion, orderBinding(payer.ID, o.MerchantID, o.OutTradeNo, o.Amount, o.Currency))
	})
}

func (s *Service) confirmPayment(ctx context.Context, payer User, orderID string, check func(MerchantOrder) error) (MerchantReceipt, error) {
	o, err := s.store.MerchantOrderByID(ctx, orderID)
	if err != nil || o.PayerID != payer.ID {
		return MerchantReceipt{}, newError(KindNotFound, CodeNotFound, "you have no such payment to confirm")
	}
	m, err := s.merchant(ctx, o.MerchantID)
	if err != nil {
		return MerchantReceipt{}, err
	}
	if o.Status == OrderSuccess {
		return s.paidReceipt(ctx, payer, m, o)
	}
	if o.Status != OrderUserPaying {
		return MerchantReceipt{}, newError(KindConflict, CodeOrderNotPayable, "this payment is %s", strings.ToLower(o.Status))
	}
	if err := check(o); err != nil {
		return MerchantReceipt{}, err
	}
	o, err = s.completeClaimed(ctx, payer, m, o, false, "")
	if err != nil {
		return MerchantReceipt{}, err
	}
	return MerchantReceipt{Order: o, Merchant: m, TransferID: orderPaymentID(o).String()}, nil
}

// completeClaimed pays an order the payer has claimed (USERPAYING).
// device is the payment-code device the till read ("" when the payer
// confirms in the app).
func (s *Service) completeClaimed(ctx context.Context, payer User, m Merchant, o MerchantOrder, passwordFree bool, device string) (MerchantOrder, error) {
	ev := risk.Event{Kind: "paycode", UserID: payer.ID, UserSince: payer.CreatedAt, Amount: o.Amount, Currency: o.Currency,
		Counterparty: "merchant:" + m.ID, Strong: !passwordFree, At: s.now(), Device: device, MCC: m.MCC, Ref: orderPaymentID(o).String()}
	if err := s.assess(ctx, ev); err != nil {
		if e, ok := AsError(err); ok && e.Code == CodePINRequired {
			return o, nil // the payer confirms in the app
		}
		_ = s.store.SetMerchantOrderStatus(ctx, o.ID, OrderUserPaying, OrderNotPay, "", s.now().UTC())
		return MerchantOrder{}, err
	}
	from, ok, err := s.walletIn(ctx, payer.ID, o.Currency)
	if err != nil || !ok {
		return MerchantOrder{}, newError(KindInvalid, CodeWalletNotOpen, "the payer has no %s wallet", o.Currency)
	}
	created, err := s.payOrder(ctx, payer, m, o, from, passwordFree)
	if err != nil {
		_ = s.store.SetMerchantOrderStatus(ctx, o.ID, OrderUserPaying, OrderNotPay, "", s.now().UTC())
		return MerchantOrder{}, err
	}
	if created {
		s.risk.Done(ev)
	}
	return s.completePaid(ctx, o)
}

// completePaid marks an order whose payment is in the ledger paid, with
// its payment.succeeded event. The ledger is the truth: the order follows
// it, and a reader that finds the order still USERPAYING looks there
// (settleOrderState). If the till reversed the order while its payment
// was committing, the payment goes back to the payer.
func (s *Service) completePaid(ctx context.Context, o MerchantOrder) (MerchantOrder, error) {
	err := s.store.CompleteMerchantOrder(ctx, o.ID, o.PayerID, s.now().UTC(), orderEvent(ctx, s, o))
	if err == nil {
		o.Status = OrderSuccess
		return o, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return MerchantOrder{}, err
	}
	// It is no longer waiting: paid already, or reversed.
	now, err := s.store.MerchantOrderByID(ctx, o.ID)
	if err != nil {
		return MerchantOrder{}, err
	}
	if now.Status == OrderReversed {
		m, err := s.merchant(ctx, o.MerchantID)
		if err != nil {
			return MerchantOrder{}, err
		}
		return s.payBackReversed(ctx, m, now)
	}
	return now, nil
}

// payBackReversed pays back an order the till reversed whose payment
// committed all the same (the two crossed): the order is marked paid for
// a moment, then reversed again through the refund path, as a till's
// reversal of a paid order is. Either side of the crossing may call it;
// the refund number makes the pay-back happen once.
func (s *Service) payBackReversed(ctx context.Context, m Merchant, o MerchantOrder) (MerchantOrder, error) {
	if err := s.store.SetMerchantOrderStatus(ctx, o.ID, OrderReversed, OrderSuccess, "", s.now().UTC()); err != nil && !errors.Is(err, ErrNotFound) {
		return MerchantOrder{}, err
	}
	return s.Reverse(ctx, m, o.OutTradeNo)
}

// Reverse (撤销) undoes a POS payment the POS gave up on: an unpaid order
// is closed; a paid one is paid back — all that is not refunded yet, with
// the fee — as a refund (so that it and the merchant's own refunds can
// not together pay back more than was paid), then marked REVERSED.
func (s *Service) Reverse(ctx context.Context, m Merchant, no string) (MerchantOrder, error) {
	o, err := s.MerchantOrderByNo(ctx, m, no)
	if err != nil {
		return o, err
	}
	switch o.Status {
	case OrderReversed, OrderClosed:
		if o.Status == OrderReversed && o.Refunded == 0 && s.orderPaid(ctx, o) {
			return s.payBackReversed(ctx, m, o) // a payment crossed the reversal
		}
		return o, nil
	case OrderNotPay, OrderUserPaying:
		if err := s.store.SetMerchantOrderStatus(ctx, o.ID, o.Status, OrderReversed, "", s.now().UTC()); err != nil {
			return s.Reverse(ctx, m, no) // it moved on meanwhile: look again
		}
		o.Status = OrderReversed
		// A payment committing this instant finds the order reversed and
		// pays itself back (completePaid); one that committed before is
		// paid back here.
		if s.orderPaid(ctx, o) {
			return s.payBackReversed(ctx, m, o)
		}
		return o, nil
	}
	if rest := o.Amount - o.Refunded; rest > 0 {
		if _, err := s.refund(ctx, m, RefundRequest{OutTradeNo: no, OutRefundNo: reverseRefundNo, Amount: rest, Reason: "reversed by the till"}); err != nil {
			return o, err
		}
	}
	if err := s.store.SetMerchantOrderStatus(ctx, o.ID, "REFUND", OrderReversed, "", s.now().UTC()); err != nil && !errors.Is(err, ErrNotFound) {
		return o, err
	}
	return s.MerchantOrderByNo(ctx, m, no)
}

// openDevice is an enrolled device with its secret unsealed.
type openDevice struct {
	PaycodeDevice
	secret []byte
}

func (s *Service) openDevice(ctx context.Context, number uint64) (openDevice, error) {
	d, err := s.store.PaycodeDevice(ctx, number)
	if err != nil {
		return openDevice{}, err
	}
	sealed, err := s.vault.Open(d.Secret, []byte(fmt.Sprintf("paycode:%d", d.Number)))
	if err != nil {
		return openDevice{}, fmt.Errorf("payment code: %w", err)
	}
	raw, err := paycode.DecodeSecret(string(sealed))
	if err != nil {
		return openDevice{}, fmt.Errorf("payment code: %w", err)
	}
	return openDevice{PaycodeDevice: d, secret: raw}, nil
}
