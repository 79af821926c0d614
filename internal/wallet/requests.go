package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Payment requests (收款): a user asks another for an amount; the payer
// pays it (a P2P transfer, with PIN or password-free) or declines.

// RequestPayment asks payer (named as in a transfer's "to") for an amount.
func (s *Service) RequestPayment(ctx context.Context, requester User, payerRef string, amount int64, cur, note string) (PaymentRequest, error) {
	if err := s.checkAmount(amount, cur); err != nil {
		return PaymentRequest{}, err
	}
	note, err := checkNote(note)
	if err != nil {
		return PaymentRequest{}, err
	}
	payer, err := s.resolvePayee(ctx, payerRef)
	if err != nil {
		return PaymentRequest{}, err
	}
	if payer.ID == requester.ID {
		return PaymentRequest{}, newError(KindInvalid, CodeSelfTransfer, "you can not ask yourself for money")
	}
	if _, err := s.payeeWallet(ctx, requester, cur); err != nil {
		return PaymentRequest{}, newError(KindInvalid, CodeWalletNotOpen, "open a %s wallet first to receive %s", cur, cur)
	}
	now := s.now().UTC()
	r := PaymentRequest{ID: ledger.NewID().String(), RequesterID: requester.ID, PayerID: payer.ID, Amount: amount, Currency: cur,
		Note: note, Status: "pending", CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreatePaymentRequest(ctx, r); err != nil {
		return PaymentRequest{}, fmt.Errorf("request payment: %w", err)
	}
	s.notify(payer.ID, "payment_request", "Payment request",
		fmt.Sprintf("%s asks you for %s. %s", requester.Name, formatMoney(amount, cur), note))
	return r, nil
}

// paymentRequestFor returns a request the user may see.
func (s *Service) paymentRequestFor(ctx context.Context, u User, id string) (PaymentRequest, error) {
	r, err := s.store.PaymentRequestByID(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && r.PayerID != u.ID && r.RequesterID != u.ID) {
		return PaymentRequest{}, newError(KindNotFound, CodeNotFound, "you have no such payment request")
	}
	return r, err
}

// PayRequest pays a payment request addressed to the user. Paying it
// twice moves money once: the transfer's id is derived from the request.
func (s *Service) PayRequest(ctx context.Context, payer User, id, pin string) (Receipt, error) {
	r, err := s.paymentRequestFor(ctx, payer, id)
	if err != nil {
		return Receipt{}, err
	}
	if r.PayerID != payer.ID {
		return Receipt{}, newError(KindForbidden, CodeForbidden, "only the person asked can pay this request")
	}
	if r.Status != "pending" && r.Status != "paid" {
		return Receipt{}, newError(KindConflict, CodeRequestNotPending, "this payment request is %s", r.Status)
	}
	rec, err := s.Transfer(ctx, payer, P2PRequest{To: r.RequesterID, Amount: r.Amount, Currency: r.Currency, PIN: pin, Note: r.Note, paymentRequest: r.ID})
	if err != nil {
		return Receipt{}, err
	}
	if err := s.store.SetPaymentRequestStatus(ctx, r.ID, "paid", rec.TransferID, s.now().UTC()); err != nil && !errors.Is(err, ErrNotFound) {
		return Receipt{}, fmt.Errorf("pay request: %w", err)
	}
	return rec, nil
}

// DeclineRequest declines (payer) or cancels (requester) a pending request.
func (s *Service) DeclineRequest(ctx context.Context, u User, id string) (PaymentRequest, error) {
	r, err := s.paymentRequestFor(ctx, u, id)
	if err != nil {
		return PaymentRequest{}, err
	}
	if _, err := s.ledger.LookupTransfer(ctx, ledger.NameID("wallet/payment-request", r.ID)); err == nil {
		return PaymentRequest{}, newError(KindConflict, CodeRequestNotPending, "this payment request has been paid")
	}
	status := "declined"
	if r.RequesterID == u.ID {
		status = "cancelled"
	}
	if err := s.store.SetPaymentRequestStatus(ctx, r.ID, status, "", s.now().UTC()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return PaymentRequest{}, newError(KindConflict, CodeRequestNotPending, "this payment request is %s", r.Status)
		}
		return PaymentRequest{}, fmt.Errorf("decline request: %w", err)
	}
	if status == "declined" {
		s.notify(r.RequesterID, "payment_request_declined", "Payment request declined",
			fmt.Sprintf("%s declined your request for %s.", u.Name, formatMoney(r.Amount, r.Currency)))
	}
	r.Status = status
	return r, nil
}

// PaymentRequests lists the requests a user made or received.
func (s *Service) PaymentRequests(ctx context.Context, u User) ([]PaymentRequest, error) {
	return s.store.PaymentRequests(ctx, u.ID, 100)
}
