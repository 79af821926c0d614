package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/risk"
)

// Top-ups and withdrawals go through the bank connector, which answers
// late, fails, and times out. Each is an order whose id is also the bank's
// request id, driven by drive, which every step of makes idempotent: the
// ledger ids are derived from the order, the bank request id is the
// order's, and an order's final status is set once (processing → done).
// So the request that creates an order, a retry of it, and the
// reconciler that picks up orders the bank left pending, may all drive
// the same order, in any process, in any order — the money moves once.
//
// A withdrawal first reserves the money with pending ledger transfers
// (the amount to the bank clearing account, the fee to fee income, and
// the day's outflow allowance), then asks the bank to pay the card. The
// bank's success posts the pending transfers; its failure voids them and
// gives the allowance back. A timeout changes nothing: the reservation
// waits, however long, for the bank's final answer. A top-up asks the
// bank to debit the card first, and credits the wallet from the clearing
// account on the bank's success.

// Order kinds and statuses.
const (
	OrderTopUp      = "top_up"
	OrderWithdrawal = "withdrawal"

	OrderProcessing = "processing"
	OrderSucceeded  = "succeeded"
	OrderFailed     = "failed"
)

// BankOrderRequest asks for a top-up or a withdrawal.
type BankOrderRequest struct {
	CardID         string
	Amount         int64
	Currency       string
	PIN            string
	IdempotencyKey string
}

// TopUp moves money from a verified card into the wallet.
func (s *Service) TopUp(ctx context.Context, u User, r BankOrderRequest) (BankOrder, error) {
	return s.newOrder(ctx, u, OrderTopUp, r)
}

// Withdraw moves money from the wallet to a verified debit card, for the
// tier's fee.
func (s *Service) Withdraw(ctx context.Context, u User, r BankOrderRequest) (BankOrder, error) {
	return s.newOrder(ctx, u, OrderWithdrawal, r)
}

func (s *Service) newOrder(ctx context.Context, u User, kind string, r BankOrderRequest) (BankOrder, error) {
	if err := s.checkAmount(r.Amount, r.Currency); err != nil {
		return BankOrder{}, err
	}
	c, err := s.card(ctx, u, r.CardID)
	if err != nil {
		return BankOrder{}, err
	}
	if c.Status != "verified" {
		return BankOrder{}, newError(KindInvalid, CodeCardNotVerified, "verify the card with the code the bank sent first")
	}
	if kind == OrderWithdrawal && c.Type == "credit" {
		return BankOrder{}, newError(KindInvalid, CodeCardNotForPayouts, "withdrawals go to debit cards only")
	}
	w, ok, err := s.walletIn(ctx, u.ID, r.Currency)
	if err != nil {
		return BankOrder{}, err
	}
	if !ok {
		return BankOrder{}, newError(KindInvalid, CodeWalletNotOpen, "you have no %s wallet", r.Currency)
	}
	id := operationID(kind, u.ID, r.IdempotencyKey).String()
	if existing, err := s.store.OrderByID(ctx, id); err == nil {
		return s.replayOrder(existing, kind, c.ID, r)
	}
	if _, err := s.authorize(ctx, u, r.PIN, r.Amount, r.Currency); err != nil || r.PIN == "" {
		if err == nil {
			err = newError(KindUnauthorized, CodePINRequired, "top-ups and withdrawals need your payment PIN")
		}
		return BankOrder{}, err
	}
	if kind == OrderTopUp {
		if err := s.checkBalanceCap(ctx, u, w, r.Amount); err != nil {
			return BankOrder{}, err
		}
	}
	ev := risk.Event{Kind: kind, UserID: u.ID, UserSince: u.CreatedAt, Amount: r.Amount, Currency: r.Currency,
		Counterparty: "card:" + c.ID, Strong: true, At: s.now()}
	if kind == OrderWithdrawal {
		if err := s.assess(ctx, ev); err != nil {
			return BankOrder{}, err
		}
	}
	now := s.now().UTC()
	o := BankOrder{ID: id, UserID: u.ID, Kind: kind, CardID: c.ID, Amount: r.Amount, Currency: r.Currency,
		Status: OrderProcessing, CreatedAt: now, UpdatedAt: now}
	if kind == OrderWithdrawal {
		o.Fee = s.cfg.Limits[r.Currency][u.Tier].WithdrawalFee
	}
	if err := s.store.CreateOrder(ctx, o); err != nil {
		if errors.Is(err, ErrDuplicate) {
			existing, err := s.store.OrderByID(ctx, id)
			if err != nil {
				return BankOrder{}, fmt.Errorf("order: %w", err)
			}
			return s.replayOrder(existing, kind, c.ID, r)
		}
		return BankOrder{}, fmt.Errorf("order: %w", err)
	}
	if kind == OrderWithdrawal {
		s.risk.Done(ev)
	}
	return s.drive(ctx, o)
}

// replayOrder answers a retried request with the order it made, unless the
// key was used for another request.
func (s *Service) replayOrder(o BankOrder, kind, cardID string, r BankOrderRequest) (BankOrder, error) {
	if o.Kind != kind || o.CardID != cardID || o.Amount != r.Amount || o.Currency != r.Currency {
		return BankOrder{}, newError(KindInvalid, CodeIdempotencyKeyReused, "this Idempotency-Key was used for a different request")
	}
	return o, nil
}

// Order returns one of the user's orders, driving it once more if the bank
// has not answered yet.
func (s *Service) Order(ctx context.Context, u User, id string) (BankOrder, error) {
	o, err := s.store.OrderByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && o.UserID != u.ID) {
		return BankOrder{}, newError(KindNotFound, CodeNotFound, "you have no such top-up or withdrawal")
	}
	if err != nil {
		return BankOrder{}, fmt.Errorf("order: %w", err)
	}
	if o.Status == OrderProcessing {
		// Someone is waiting: ask the bank now rather than at the
		// reconciler's next round.
		return s.drive(ctx, o)
	}
	return o, nil
}

// Orders lists the user's top-ups and withdrawals.
func (s *Service) Orders(ctx context.Context, u User) ([]BankOrder, error) {
	return s.store.Orders(ctx, u.ID, 100)
}

// The ledger ids of an order's transfers.
func orderTransferID(o BankOrder) ledger.ID { return ledger.NameID("wallet/order", o.ID) }
func orderFeeID(o BankOrder) ledger.ID      { return ledger.NameID("wallet/order-fee", o.ID) }

// drive takes an order as far as it can go now, and returns it as it is.
func (s *Service) drive(ctx context.Context, o BankOrder) (BankOrder, error) {
	if o.Status != OrderProcessing {
		return o, nil
	}
	u, err := s.store.UserByID(ctx, o.UserID)
	if err != nil {
		return o, fmt.Errorf("order %s: %w", o.ID, err)
	}
	if o.Kind == OrderSettlement {
		if err := s.reserveSettlement(ctx, o); err != nil {
			if e, ok := AsError(err); ok && e.Kind == KindInvalid {
				if ferr := s.finish(ctx, o, OrderFailed, e.Code); ferr != nil {
					return o, ferr
				}
			}
			return o, err
		}
	}
	if o.Kind == OrderWithdrawal {
		if err := s.reserve(ctx, u, o); err != nil {
			if e, ok := AsError(err); ok && e.Kind == KindInvalid {
				// Refused before the bank was asked: the order fails.
				if ferr := s.finish(ctx, o, OrderFailed, e.Code); ferr != nil {
					return o, ferr
				}
			}
			return o, err
		}
	}
	res, err := s.askBank(ctx, u, o)
	if err != nil {
		// Unknown outcome: the order stays processing; the reconciler asks again.
		s.log.Info("wallet: bank outcome unknown, will ask again", "order", o.ID, "err", err)
		return o, nil
	}
	if !res.State.Final() {
		return o, nil
	}
	return s.settle(ctx, u, o, res)
}

// reserve books a withdrawal's pending transfers (idempotent).
func (s *Service) reserve(ctx context.Context, u User, o BankOrder) error {
	w, ok, err := s.walletIn(ctx, u.ID, o.Currency)
	if err != nil || !ok {
		return fmt.Errorf("reserve %s: no wallet (%v)", o.ID, err)
	}
	main := ledger.Transfer{ID: orderTransferID(o), DebitAccountID: w.AccountID, CreditAccountID: bankClearing(o.Currency),
		Amount: o.Amount, Currency: o.Currency, Code: TransferWithdrawal, Reference: "withdrawal:" + o.ID, Flags: ledger.Pending}
	var extra []ledger.Transfer
	if o.Fee > 0 {
		extra = append(extra, ledger.Transfer{ID: orderFeeID(o), DebitAccountID: w.AccountID, CreditAccountID: feeIncome(o.Currency),
			Amount: o.Fee, Currency: o.Currency, Code: TransferFee, Reference: "withdrawal-fee:" + o.ID, Flags: ledger.Pending})
	}
	_, err = s.moneyOut(ctx, u, main, false, extra...)
	if e, ok := AsError(err); ok && e.Code == CodeInsufficientBalance && o.Fee > 0 {
		e.Message = fmt.Sprintf("your %s balance is not enough for this withdrawal and its fee of %s", o.Currency, formatMoney(o.Fee, o.Currency))
	}
	return err
}

// askBank sends the order's request (again: the bank knows it by id).
func (s *Service) askBank(ctx context.Context, u User, o BankOrder) (bank.Result, error) {
	cards, err := s.store.Cards(ctx, u.ID)
	if err != nil {
		return bank.Result{}, err
	}
	token := ""
	for _, c := range cards {
		if c.ID == o.CardID {
			token = c.BankToken
		}
	}
	p := bank.Payment{RequestID: o.ID, CardToken: token, Currency: o.Currency, Amount: o.Amount}
	if token == "" {
		// The card was removed after the order was made: only ask, and
		// if the bank never heard of the order, it failed.
		res, err := s.bank.Status(ctx, o.ID)
		if errors.Is(err, bank.ErrUnknownRequest) {
			return bank.Result{RequestID: o.ID, State: bank.StateFailed, Reason: "card_removed"}, nil
		}
		return res, err
	}
	if o.Kind == OrderTopUp {
		return s.bank.Debit(ctx, p)
	}
	return s.bank.Credit(ctx, p)
}

// settle books the bank's final answer and ends the order.
func (s *Service) settle(ctx context.Context, u User, o BankOrder, res bank.Result) (BankOrder, error) {
	var ts []ledger.Transfer
	status := OrderSucceeded
	switch {
	case o.Kind == OrderTopUp && res.State == bank.StateSucceeded:
		w, ok, err := s.walletIn(ctx, u.ID, o.Currency)
		if err != nil || !ok {
			return o, fmt.Errorf("settle %s: no wallet (%v)", o.ID, err)
		}
		ts = append(ts, ledger.Transfer{ID: orderTransferID(o), DebitAccountID: bankClearing(o.Currency), CreditAccountID: w.AccountID,
			Amount: o.Amount, Currency: o.Currency, Code: TransferTopUp, Reference: "top-up:" + o.ID})
	case o.Kind == OrderTopUp:
		status = OrderFailed
	case res.State == bank.StateSucceeded:
		ts = append(ts, s.complete(o, ledger.PostPending)...)
	case o.Kind == OrderSettlement:
		status = OrderFailed
		ts = append(ts, s.complete(o, ledger.VoidPending)...)
	default:
		status = OrderFailed
		ts = append(ts, s.complete(o, ledger.VoidPending)...)
		ts = append(ts, limitRefund(limitAccount(u.ID, limitOutflow, o.Currency, dayOf(s, o.CreatedAt)), limitOutflow,
			orderTransferID(o), o.Currency, o.Amount))
	}
	if len(ts) > 0 {
		res, err := s.ledger.CreateTransfers(ctx, ts)
		if err != nil {
			return o, fmt.Errorf("settle %s: %w", o.ID, err)
		}
		for i, r := range res {
			if !r.OK() {
				return o, fmt.Errorf("settle %s: transfer %d: %s", o.ID, i, r)
			}
		}
	}
	if err := s.finish(ctx, o, status, res.Reason); err != nil {
		return o, err
	}
	o.Status, o.Reason = status, res.Reason
	return o, nil
}

// dayOf is the day (for allowances) an order was made on.
func dayOf(s *Service, t time.Time) string { return t.In(s.cfg.Day).Format("2006-01-02") }

// complete posts or voids a withdrawal's pending transfers.
func (s *Service) complete(o BankOrder, flag ledger.TransferFlags) []ledger.Transfer {
	idFor := postID
	if flag == ledger.VoidPending {
		idFor = voidID
	}
	pending := []ledger.ID{orderTransferID(o)}
	if o.Fee > 0 {
		pending = append(pending, orderFeeID(o))
	}
	var ts []ledger.Transfer
	for i, p := range pending {
		t := ledger.Transfer{ID: idFor(p), PendingID: p, Flags: flag}
		if i < len(pending)-1 {
			t.Flags |= ledger.Linked
		}
		ts = append(ts, t)
	}
	return ts
}

// finish ends an order once and tells its owner.
func (s *Service) finish(ctx context.Context, o BankOrder, status, reason string) error {
	err := s.store.FinishOrder(ctx, o.ID, status, reason, s.now().UTC())
	if errors.Is(err, ErrNotFound) {
		return nil // someone else finished it
	}
	if err != nil {
		return fmt.Errorf("finish order %s: %w", o.ID, err)
	}
	amt := formatMoney(o.Amount, o.Currency)
	switch {
	case o.Kind == OrderTopUp && status == OrderSucceeded:
		s.notify(o.UserID, "top_up_done", "Top-up done", fmt.Sprintf("%s from your bank card is in your wallet.", amt))
	case o.Kind == OrderTopUp:
		s.notify(o.UserID, "top_up_failed", "Top-up failed", fmt.Sprintf("The bank refused the top-up of %s (%s). Nothing was charged.", amt, reason))
	case o.Kind == OrderSettlement && status == OrderSucceeded:
		s.notify(o.UserID, "settlement_done", "Settlement paid", fmt.Sprintf("%s of your merchant's takings was paid to your bank card.", amt))
	case o.Kind == OrderSettlement:
		s.notify(o.UserID, "settlement_failed", "Settlement failed", fmt.Sprintf("The payout of %s failed (%s); it stays in the merchant balance.", amt, reason))
	case status == OrderSucceeded:
		s.notify(o.UserID, "withdrawal_done", "Withdrawal done", fmt.Sprintf("%s was paid to your bank card.", amt))
	default:
		s.notify(o.UserID, "withdrawal_failed", "Withdrawal failed", fmt.Sprintf("The withdrawal of %s failed (%s); the money is back in your wallet.", amt, reason))
	}
	return nil
}

// Reconcile drives orders the bank left pending or that timed out; the
// server runs it every few seconds. It returns how many it looked at.
func (s *Service) Reconcile(ctx context.Context, olderThan time.Duration) (int, error) {
	os, err := s.store.ProcessingOrders(ctx, s.now().Add(-olderThan), 100)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	for _, o := range os {
		if _, err := s.drive(ctx, o); err != nil {
			if _, ok := AsError(err); !ok {
				s.log.Warn("wallet: reconcile order", "order", o.ID, "err", err)
			}
		}
	}
	return len(os), nil
}

// RunReconciler calls Reconcile every interval until ctx ends.
func (s *Service) RunReconciler(ctx context.Context, interval time.Duration) {
	s.every(ctx, interval, "reconcile", func(ctx context.Context) error {
		_, err := s.Reconcile(ctx, interval)
		return err
	})
}

// every runs f every interval until ctx ends, logging its failures.
func (s *Service) every(ctx context.Context, interval time.Duration, what string, f func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("wallet: "+what, "err", err)
			}
		}
	}
}
