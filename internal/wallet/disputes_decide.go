package wallet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Dispute defaults (Config overrides them).
const (
	DefaultDisputeMerchantSLA        = 48 * time.Hour
	DefaultDisputeOperatorSLA        = 72 * time.Hour
	DefaultDisputeReminderBefore     = 12 * time.Hour
	DefaultDisputeMaxAttachments     = 6
	DefaultDisputeAttachmentMaxBytes = 2 << 20
)

// WithdrawDispute closes the user's open ticket at their request.
func (s *Service) WithdrawDispute(ctx context.Context, u User, id string) (Dispute, error) {
	for range maxDisputeRetries {
		d, err := s.dispute(ctx, id, ownedBy(u))
		if err != nil {
			return Dispute{}, err
		}
		if !d.IsOpen() {
			return Dispute{}, newError(KindConflict, CodeDisputeClosed, "this ticket is %s", d.Status)
		}
		next := d
		next.Status, next.DueAt, next.UpdatedAt = DisputeClosed, time.Time{}, s.now().UTC()
		e := s.newEntry(d, AuthorUser, u.ID, EntryWithdrawn, "")
		err = s.store.UpdateDispute(ctx, next, &e)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Dispute{}, fmt.Errorf("withdraw dispute: %w", err)
		}
		s.audit(ctx, u.ID, "dispute_withdrawn", u.ID, "dispute "+d.ID)
		if d.MerchantID != "" {
			s.notifyMerchant(ctx, d, "dispute_withdrawn", "Ticket withdrawn", "The customer withdrew their ticket about "+formatMoney(d.Amount, d.Currency)+".")
		}
		next.Version++
		return next, nil
	}
	return Dispute{}, newError(KindConflict, CodeDisputeBusy, "the ticket is changing; try again")
}

// MerchantDisputes lists the tickets on a merchant's payments, newest
// first.
func (s *Service) MerchantDisputes(ctx context.Context, m Merchant, status string) ([]Dispute, error) {
	if status != "" && !contains(DisputeStatuses, status) {
		return nil, newError(KindInvalid, CodeInvalidRequest, "status must be one of %s", strings.Join(DisputeStatuses, ", "))
	}
	return s.store.Disputes(ctx, DisputeFilter{MerchantID: m.ID, Status: status, Limit: 200})
}

// MerchantDispute returns a ticket on one of the merchant's payments.
func (s *Service) MerchantDispute(ctx context.Context, m Merchant, id string) (DisputeCase, error) {
	d, err := s.dispute(ctx, id, ofMerchant(m))
	if err != nil {
		return DisputeCase{}, err
	}
	return s.disputeCase(ctx, d)
}

// OperatorDisputes is the operators' queue: overdue first, then by
// deadline (status "" is every open ticket).
func (s *Service) OperatorDisputes(ctx context.Context, status string) ([]Dispute, error) {
	if status == "" {
		status = DisputeOpen
	}
	if !contains(DisputeStatuses, status) {
		return nil, newError(KindInvalid, CodeInvalidRequest, "status must be one of %s", strings.Join(DisputeStatuses, ", "))
	}
	return s.store.Disputes(ctx, DisputeFilter{Status: status, Queue: true, Limit: 200})
}

// OperatorDispute returns any ticket (operators).
func (s *Service) OperatorDispute(ctx context.Context, id string) (DisputeCase, error) {
	d, err := s.dispute(ctx, id, anyDispute)
	if err != nil {
		return DisputeCase{}, err
	}
	return s.disputeCase(ctx, d)
}

// UserDisputeAttachment, MerchantDisputeAttachment and
// OperatorDisputeAttachment return an image of a ticket to one of its
// parties (anyone else: not found).
func (s *Service) UserDisputeAttachment(ctx context.Context, u User, id, attachment string) (DisputeAttachment, error) {
	return s.disputeAttachment(ctx, id, attachment, ownedBy(u))
}

// MerchantDisputeAttachment: see UserDisputeAttachment.
func (s *Service) MerchantDisputeAttachment(ctx context.Context, m Merchant, id, attachment string) (DisputeAttachment, error) {
	return s.disputeAttachment(ctx, id, attachment, ofMerchant(m))
}

// OperatorDisputeAttachment: see UserDisputeAttachment.
func (s *Service) OperatorDisputeAttachment(ctx context.Context, id, attachment string) (DisputeAttachment, error) {
	return s.disputeAttachment(ctx, id, attachment, anyDispute)
}

func (s *Service) disputeAttachment(ctx context.Context, id, attachment string, visible func(Dispute) bool) (DisputeAttachment, error) {
	if _, err := s.dispute(ctx, id, visible); err != nil {
		return DisputeAttachment{}, err
	}
	a, err := s.store.DisputeAttachment(ctx, id, attachment)
	if errors.Is(err, ErrNotFound) {
		return DisputeAttachment{}, newError(KindNotFound, CodeNotFound, "no such image")
	}
	return a, err
}

// DisputeDecision is an operator's decision on a ticket.
type DisputeDecision struct {
	Decision string // refund, insurance, reject
	// Amount is a refund's amount; 0 refunds all of the payment that is
	// not refunded yet.
	Amount int64
	// Reason is required to reject; a note otherwise.
	Reason string
}

// DecideDispute (an operator) decides an open ticket: a refund from the
// merchant, a paid insurance claim, or a rejection with reasons. Deciding
// a decided ticket again changes nothing (and books a refund or payout an
// earlier decision left unbooked: they have stable ids).
func (s *Service) DecideDispute(ctx context.Context, id string, dd DisputeDecision) (Dispute, error) {
	d, err := s.dispute(ctx, id, anyDispute)
	if err != nil {
		return Dispute{}, err
	}
	dd.Reason = clipString(strings.TrimSpace(dd.Reason), 1000)
	switch d.Status {
	case DisputeResolved, DisputeRejected:
		s.redrive(ctx, d)
		return d, newError(KindConflict, CodeDisputeDecided, "this ticket is %s already", d.Status)
	case DisputeClosed:
		return d, newError(KindConflict, CodeDisputeClosed, "the user withdrew this ticket")
	}
	switch dd.Decision {
	case DecisionReject:
		if dd.Reason == "" {
			return Dispute{}, newError(KindInvalid, CodeReasonRequired, "say why the ticket is rejected")
		}
		if rf, ok := s.bookedRefund(ctx, d); ok {
			// An earlier refund decision paid, then did not finish.
			return s.finishDispute(ctx, d, DisputeResolved, DecisionRefund, dd.Reason, rf.Amount)
		}
		return s.finishDispute(ctx, d, DisputeRejected, DecisionReject, dd.Reason, 0)
	case DecisionRefund:
		return s.decideRefund(ctx, d, dd)
	case DecisionInsurance:
		return s.decideInsurance(ctx, d, dd)
	}
	return Dispute{}, newError(KindInvalid, CodeInvalidDecision, "decision must be refund, insurance or reject")
}

// disputeRefundNo is the refund number of a ticket's refund: derived from
// the ticket (and the attempt, which a refund the merchant's balance
// refused burns), so that deciding twice refunds once. "~" is not allowed
// in merchants' own numbers.
func disputeRefundNo(d Dispute) string {
	no := "~dispute-" + compactID(d.ID)
	if d.RefundAttempt > 0 {
		no += "-" + strconv.Itoa(d.RefundAttempt)
	}
	return no
}

// bookedRefund returns the ticket's refund if it succeeded.
func (s *Service) bookedRefund(ctx context.Context, d Dispute) (MerchantRefund, bool) {
	if d.MerchantID == "" {
		return MerchantRefund{}, false
	}
	rf, err := s.store.MerchantRefund(ctx, d.MerchantID, disputeRefundNo(d))
	return rf, err == nil && rf.Status == RefundSuccess
}

func (s *Service) decideRefund(ctx context.Context, d Dispute, dd DisputeDecision) (Dispute, error) {
	if d.Kind != "payment" {
		return Dispute{}, newError(KindInvalid, CodeNotRefundable, "only a merchant payment is refunded by its merchant; decide by insurance or reject")
	}
	m, err := s.merchant(ctx, d.MerchantID)
	if err != nil {
		return Dispute{}, err
	}
	o, err := s.store.MerchantOrderByID(ctx, d.OrderID)
	if err != nil {
		return Dispute{}, fmt.Errorf("dispute refund: %w", err)
	}
	amount := dd.Amount
	if old, err := s.store.MerchantRefund(ctx, m.ID, disputeRefundNo(d)); err == nil && old.Status != RefundFailed {
		amount = old.Amount // an earlier decision's refund: finish it
	} else {
		left := o.Amount - o.Refunded
		if amount == 0 {
			amount = left
		}
		if amount <= 0 || amount > left {
			return Dispute{}, newError(KindInvalid, CodeRefundTooLarge, "at most %s of this payment can still be refunded", formatMoney(left, o.Currency)).with("refundable", left)
		}
	}
	rf, err := s.refund(ctx, m, RefundRequest{OutTradeNo: o.OutTradeNo, OutRefundNo: disputeRefundNo(d), Amount: amount, Reason: "dispute " + d.ID})
	if err == nil && rf.Status == RefundFailed {
		err = newError(KindConflict, CodeInsufficientBalance, "the merchant balance does not cover this refund")
	}
	if e, ok := AsError(err); ok && e.Code == CodeInsufficientBalance {
		// The number is used up: the next decision tries a new one.
		next := d
		next.RefundAttempt++
		if uerr := s.store.UpdateDispute(ctx, next, nil); uerr != nil && !errors.Is(uerr, ErrNotFound) {
			return Dispute{}, uerr
		}
		return Dispute{}, err
	}
	if err != nil {
		return Dispute{}, err
	}
	return s.finishDispute(ctx, d, DisputeResolved, DecisionRefund, dd.Reason, rf.Amount)
}

func (s *Service) decideInsurance(ctx context.Context, d Dispute, dd DisputeDecision) (Dispute, error) {
	if d.Reason != ReasonUnauthorised {
		return Dispute{}, newError(KindInvalid, CodeNotClaimable, "the insurance covers only money taken without the user's consent")
	}
	u, err := s.store.UserByID(ctx, d.UserID)
	if err != nil {
		return Dispute{}, fmt.Errorf("dispute claim: %w", err)
	}
	c, err := s.FileClaim(ctx, u, d.TransferID, "dispute "+d.ID+": "+d.Description)
	if e, ok := AsError(err); ok && e.Code == CodeClaimed {
		// Claimed before (by the user, or by a decision that did not finish).
		c, err = s.claimOf(ctx, d)
	}
	if err != nil {
		return Dispute{}, err
	}
	note := dd.Reason
	if note == "" {
		note = "dispute " + d.ID
	}
	switch c.Status {
	case ClaimSubmitted:
		if c, err = s.DecideClaim(ctx, c.ID, true, note); err != nil {
			return Dispute{}, err
		}
	case ClaimRejected:
		return Dispute{}, newError(KindConflict, CodeClaimDecided, "the insurance claim on this bill was rejected: %s", c.Reason)
	}
	d.ClaimID = c.ID
	return s.finishDispute(ctx, d, DisputeResolved, DecisionInsurance, dd.Reason, c.Amount)
}

// claimOf finds the insurance claim on a ticket's bill.
func (s *Service) claimOf(ctx context.Context, d Dispute) (Claim, error) {
	cs, err := s.store.Claims(ctx, ClaimFilter{UserID: d.UserID})
	if err != nil {
		return Claim{}, err
	}
	for _, c := range cs {
		if c.TransferID == d.TransferID {
			return c, nil
		}
	}
	return Claim{}, newError(KindConflict, CodeClaimed, "this bill has been claimed already")
}

// redrive books what a decided ticket's decision may have left unbooked
// (its refund or claim payout; both idempotent).
func (s *Service) redrive(ctx context.Context, d Dispute) {
	var err error
	switch {
	case d.Decision == DecisionRefund && d.MerchantID != "":
		var m Merchant
		if m, err = s.merchant(ctx, d.MerchantID); err == nil {
			var rf MerchantRefund
			if rf, err = s.store.MerchantRefund(ctx, m.ID, disputeRefundNo(d)); err == nil && rf.Status == RefundProcessing {
				var o MerchantOrder
				if o, err = s.store.MerchantOrderByID(ctx, d.OrderID); err == nil {
					_, err = s.driveRefund(ctx, m, o, rf)
				}
			}
		}
	case d.Decision == DecisionInsurance && d.ClaimID != "":
		var c Claim
		if c, err = s.store.Claim(ctx, d.ClaimID); err == nil && c.Status == ClaimPaid {
			err = s.PayOutClaim(ctx, c)
		}
	}
	if err != nil {
		s.log.Warn("wallet: dispute decided again", "dispute", d.ID, "err", err)
	}
}

// finishDispute records a decision (the money, if any, has moved).
func (s *Service) finishDispute(ctx context.Context, d Dispute, status, decision, note string, paid int64) (Dispute, error) {
	operator := ActorFrom(ctx).ID
	for range maxDisputeRetries {
		now := s.now().UTC()
		next := d
		next.Status, next.Decision, next.DecisionNote, next.Paid = status, decision, note, paid
		next.DecidedBy, next.DecidedAt, next.UpdatedAt, next.DueAt = operator, now, now, time.Time{}
		e := s.newEntry(d, AuthorOperator, operator, EntryDecided, note)
		err := s.store.UpdateDispute(ctx, next, &e)
		if errors.Is(err, ErrNotFound) {
			cur, rerr := s.store.Dispute(ctx, d.ID)
			if rerr != nil {
				return Dispute{}, rerr
			}
			if !cur.IsOpen() {
				return cur, newError(KindConflict, CodeDisputeDecided, "this ticket was decided meanwhile: %s", cur.Status)
			}
			cur.ClaimID = d.ClaimID
			d = cur
			continue
		}
		if err != nil {
			return Dispute{}, fmt.Errorf("decide dispute: %w", err)
		}
		next.Version++
		s.auditDecision(ctx, next)
		return next, nil
	}
	return Dispute{}, newError(KindConflict, CodeDisputeBusy, "the ticket is changing; try again")
}

func (s *Service) auditDecision(ctx context.Context, d Dispute) {
	money := formatMoney(d.Paid, d.Currency)
	switch d.Decision {
	case DecisionRefund:
		s.audit(ctx, "", "dispute_refunded", d.UserID, fmt.Sprintf("dispute %s: refund %d %s of order %s (%s)", d.ID, d.Paid, d.Currency, d.OrderID, disputeRefundNo(d)))
		s.notify(d.UserID, "dispute_resolved", "Ticket resolved", fmt.Sprintf("The merchant refunded %s to your wallet.", money))
		s.notifyMerchant(ctx, d, "dispute_resolved", "Ticket decided: refund", fmt.Sprintf("Customer service refunded %s of a payment from your balance.", money))
	case DecisionInsurance:
		s.audit(ctx, "", "dispute_insured", d.UserID, fmt.Sprintf("dispute %s: claim %s paid %d %s", d.ID, d.ClaimID, d.Paid, d.Currency))
		s.notify(d.UserID, "dispute_resolved", "Ticket resolved", fmt.Sprintf("Your account-security insurance paid %s back to your wallet.", money))
		if d.MerchantID != "" {
			s.notifyMerchant(ctx, d, "dispute_resolved", "Ticket decided", "Customer service settled a ticket on one of your payments through the customer's insurance.")
		}
	default:
		s.audit(ctx, "", "dispute_rejected", d.UserID, "dispute "+d.ID+": "+d.DecisionNote)
		s.notify(d.UserID, "dispute_rejected", "Ticket rejected", "Customer service did not uphold your ticket: "+d.DecisionNote)
		if d.MerchantID != "" {
			s.notifyMerchant(ctx, d, "dispute_rejected", "Ticket decided", "Customer service rejected a ticket on one of your payments.")
		}
	}
}

// RunDisputeSweep sweeps the tickets every interval until ctx ends.
func (s *Service) RunDisputeSweep(ctx context.Context, interval time.Duration) {
	s.every(ctx, interval, "dispute sweep", func(ctx context.Context) error {
		_, err := s.SweepDisputes(ctx)
		return err
	})
}

// maxSweep bounds the tickets one sweep handles (the next takes the rest).
const maxSweep = 200

// SweepDisputes reminds merchants whose deadline is near, passes the
// tickets they left unanswered to the operators, and marks the tickets
// the operators left past their deadline overdue. It returns how many
// tickets it changed.
func (s *Service) SweepDisputes(ctx context.Context) (int, error) {
	now := s.now().UTC()
	cfg := s.disputeSettings()
	ds, err := s.store.DueDisputes(ctx, now, now.Add(cfg.remindBefore), maxSweep)
	if err != nil {
		return 0, fmt.Errorf("dispute sweep: %w", err)
	}
	n := 0
	for _, d := range ds {
		next := d
		next.UpdatedAt = now
		var e DisputeEntry
		var after func()
		switch {
		case d.Status == DisputeAwaitingMerchant && !now.Before(d.DueAt):
			next.Status, next.DueAt, next.MerchantOverdue, next.Overdue = DisputeAwaitingOperator, now.Add(cfg.operatorSLA), true, false
			e = s.newEntry(d, AuthorSystem, "", EntryEscalated, "The merchant did not answer in time; customer service takes the ticket over.")
			after = func() {
				s.audit(ctx, "system", "dispute_escalated", d.UserID, "dispute "+d.ID+": the merchant did not answer by "+d.DueAt.Format(time.RFC3339))
				s.notify(d.UserID, "dispute_escalated", "Passed to customer service",
					fmt.Sprintf("The merchant did not answer in time; customer service will decide by %s.", s.dueText(next.DueAt)))
				s.notifyMerchant(ctx, d, "dispute_escalated", "Ticket passed to customer service", "You did not answer a customer's ticket in time; customer service will decide it.")
			}
		case d.Status == DisputeAwaitingMerchant:
			next.Reminded = true
			e = s.newEntry(d, AuthorSystem, "", EntryReminded, "The merchant was reminded to answer by "+s.dueText(d.DueAt)+".")
			after = func() {
				s.notifyMerchant(ctx, d, "dispute_reminder", "Answer a customer's ticket",
					fmt.Sprintf("A customer's ticket about %s waits for your answer; answer by %s or customer service will decide without it.",
						formatMoney(d.Amount, d.Currency), s.dueText(d.DueAt)))
			}
		case d.Status == DisputeAwaitingOperator:
			next.Overdue = true
			e = s.newEntry(d, AuthorSystem, "", EntryOverdue, "Customer service has not decided in time; the ticket is at the top of the queue.")
			after = func() {
				s.audit(ctx, "system", "dispute_overdue", d.UserID, "dispute "+d.ID+": no decision by "+d.DueAt.Format(time.RFC3339))
				s.log.Warn("wallet: dispute overdue", "dispute", d.ID, "due", d.DueAt)
				s.notify(d.UserID, "dispute_overdue", "Your ticket is taking longer",
					"Deciding your ticket takes longer than we promised; it is now first in customer service's queue.")
			}
		default:
			continue
		}
		err := s.store.UpdateDispute(ctx, next, &e)
		if errors.Is(err, ErrNotFound) {
			continue // changed meanwhile (answered, decided, or another sweep)
		}
		if err != nil {
			return n, fmt.Errorf("dispute sweep: %w", err)
		}
		after()
		n++
	}
	return n, nil
}
