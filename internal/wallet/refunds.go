package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Refunds: full, partial and repeated up to the amount paid, idempotent by
// the merchant's out_refund_no, paid from the merchant's balance. The
// order's refunded total is raised in the database only if it stays within
// the amount paid (one conditional update), so concurrent refunds can not
// together exceed it. The fee is given back in proportion: after refunds
// totalling R of an order of amount A and fee F, the merchant has got back
// floor(F·R/A) — all of F when all is refunded.

// Refund statuses and codes.
const (
	RefundProcessing = "processing"
	RefundSuccess    = "success"
	RefundFailed     = "failed"

	CodeOutRefundNoReused = "out_refund_no_reused"
	CodeRefundTooLarge    = "refund_exceeds_paid"
	CodeOrderNotPaid      = "order_not_paid"
)

// RefundRequest is a merchant's refund.
type RefundRequest struct {
	OutTradeNo, OutRefundNo string
	Amount                  int64
	Reason                  string
}

// Refund pays (part of) an order back to its payer.
func (s *Service) Refund(ctx context.Context, m Merchant, r RefundRequest) (MerchantRefund, error) {
	if err := checkOutTradeNo(r.OutRefundNo); err != nil {
		return MerchantRefund{}, newError(KindInvalid, CodeInvalidOutTradeNo, "out_refund_no is 1 to 32 letters, digits or _-|*")
	}
	return s.refund(ctx, m, r)
}

// reverseRefundNo is the refund number of a reversal; "~" is not allowed
// in merchants' own numbers, so it can not clash with one.
const reverseRefundNo = "~reverse"

// refund is Refund without the check of the refund number.
func (s *Service) refund(ctx context.Context, m Merchant, r RefundRequest) (MerchantRefund, error) {
	o, err := s.MerchantOrderByNo(ctx, m, r.OutTradeNo)
	if err != nil {
		return MerchantRefund{}, err
	}
	if old, err := s.store.MerchantRefund(ctx, m.ID, r.OutRefundNo); err == nil {
		return s.replayRefund(ctx, m, o, old, r)
	}
	if o.Status != OrderSuccess && o.Status != "REFUND" {
		return MerchantRefund{}, newError(KindConflict, CodeOrderNotPaid, "the order is %s: only paid orders are refunded", o.Status)
	}
	if r.Amount <= 0 || r.Amount > o.Amount-o.Refunded {
		return MerchantRefund{}, newError(KindInvalid, CodeRefundTooLarge, "at most %s of this order can still be refunded", formatMoney(o.Amount-o.Refunded, o.Currency))
	}
	reason := strings.TrimSpace(r.Reason)
	if len(reason) > 200 {
		reason = clipString(reason, 200)
	}
	rf := MerchantRefund{ID: ledger.NewID().String(), MerchantID: m.ID, OrderID: o.ID, OutRefundNo: r.OutRefundNo, Amount: r.Amount,
		Reason: reason, Status: RefundProcessing, CreatedAt: s.now().UTC()}
	rf, err = s.store.AddRefund(ctx, rf, func(before int64) int64 {
		return feeShare(o.Fee, before+r.Amount, o.Amount) - feeShare(o.Fee, before, o.Amount)
	})
	switch {
	case errors.Is(err, ErrDuplicate):
		old, err := s.store.MerchantRefund(ctx, m.ID, r.OutRefundNo)
		if err != nil {
			return MerchantRefund{}, err
		}
		return s.replayRefund(ctx, m, o, old, r)
	case errors.Is(err, ErrNotFound):
		return MerchantRefund{}, newError(KindInvalid, CodeRefundTooLarge, "this refund would exceed what was paid")
	case err != nil:
		return MerchantRefund{}, fmt.Errorf("refund: %w", err)
	}
	return s.driveRefund(ctx, m, o, rf)
}

func (s *Service) replayRefund(ctx context.Context, m Merchant, o MerchantOrder, old MerchantRefund, r RefundRequest) (MerchantRefund, error) {
	if old.OrderID != o.ID || old.Amount != r.Amount {
		return MerchantRefund{}, newError(KindConflict, CodeOutRefundNoReused, "out_refund_no %s was used for another refund", r.OutRefundNo)
	}
	return s.driveRefund(ctx, m, o, old)
}

// driveRefund books a processing refund in the ledger (idempotent).
func (s *Service) driveRefund(ctx context.Context, m Merchant, o MerchantOrder, rf MerchantRefund) (MerchantRefund, error) {
	if rf.Status != RefundProcessing {
		return rf, nil
	}
	to, ok, err := s.walletIn(ctx, o.PayerID, o.Currency)
	if err != nil || !ok {
		return rf, fmt.Errorf("refund %s: payer wallet (%v)", rf.ID, err)
	}
	id, _ := ledger.ParseID(rf.ID)
	ts := []ledger.Transfer{{ID: linkedID("wallet/refund", id, "refund"), DebitAccountID: merchantAccount(m.ID), CreditAccountID: to.AccountID,
		Amount: rf.Amount, Currency: o.Currency, Code: TransferRefund, Reference: "refund:" + rf.ID}}
	if rf.FeeBack > 0 {
		// The fee comes back first: the merchant's balance may need it.
		ts = append([]ledger.Transfer{{ID: linkedID("wallet/refund", id, "fee"), DebitAccountID: feeIncome(o.Currency), CreditAccountID: merchantAccount(m.ID),
			Amount: rf.FeeBack, Currency: o.Currency, Code: TransferMerchantFee, Reference: "fee-back:" + rf.ID, Flags: ledger.Linked}}, ts...)
	}
	res, err := s.ledger.CreateTransfers(ctx, ts)
	if err != nil {
		return rf, fmt.Errorf("refund %s: %w", rf.ID, errors.Join(errUnavailable, err))
	}
	if i, why := firstFailure(res); i >= 0 {
		if why != ledger.TransferExceedsCredits {
			return rf, fmt.Errorf("refund %s: %s", rf.ID, why)
		}
		if err := s.store.FailRefund(ctx, rf); err != nil {
			return rf, err
		}
		return rf, newError(KindConflict, CodeInsufficientBalance, "the merchant balance does not cover this refund")
	}
	ev := event(ctx, s, m.ID, "refund.succeeded", refundData{OutTradeNo: o.OutTradeNo, OutRefundNo: rf.OutRefundNo,
		RefundID: rf.ID, Amount: rf.Amount, FeeBack: rf.FeeBack, Currency: o.Currency, Status: RefundSuccess})
	if err := s.store.SetRefundStatus(ctx, rf.ID, RefundSuccess, ev); err != nil && !errors.Is(err, ErrNotFound) {
		return rf, err
	}
	rf.Status = RefundSuccess
	return rf, nil
}

// feeShare is ⌊fee·refunded/amount⌋ without overflow: fee and refunded
// may each be near 10¹², so the product is computed in 128 bits.
// 0 ≤ refunded ≤ amount, so the quotient fits.
func feeShare(fee, refunded, amount int64) int64 {
	hi, lo := bits.Mul64(uint64(fee), uint64(refunded))
	q, _ := bits.Div64(hi, lo, uint64(amount))
	return int64(q)
}
