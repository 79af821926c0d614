package wallet

import (
	"context"
	"fmt"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Payee warnings: a user who was cheated reports the payee; whoever pays
// that payee afterwards is warned first, with how many people reported it.

// PayeeWarning is what a payer should know about a payee before paying.
type PayeeWarning struct {
	Payee   User
	Reports int // by other users than the one asking
}

// CheckPayee looks up who "to" names and how many others reported them.
func (s *Service) CheckPayee(ctx context.Context, u User, to string) (PayeeWarning, error) {
	p, err := s.resolvePayee(ctx, to)
	if err != nil {
		return PayeeWarning{}, err
	}
	n, err := s.store.PayeeReports(ctx, p.ID, u.ID)
	if err != nil {
		return PayeeWarning{}, fmt.Errorf("check payee: %w", err)
	}
	return PayeeWarning{Payee: p, Reports: n}, nil
}

// ReportPayee reports the user "to" names as a fraudster (once per
// reporter; a new report replaces the reason).
func (s *Service) ReportPayee(ctx context.Context, u User, to, reason string) error {
	p, err := s.resolvePayee(ctx, to)
	if err != nil {
		return err
	}
	if p.ID == u.ID {
		return newError(KindInvalid, CodeInvalidRequest, "you can not report yourself")
	}
	reason = clipString(strings.TrimSpace(reason), 300)
	if err := s.store.ReportPayee(ctx, p.ID, u.ID, reason, s.now().UTC()); err != nil {
		return fmt.Errorf("report payee: %w", err)
	}
	s.audit(ctx, u.ID, "payee_reported", p.ID, reason)
	return nil
}

// ReportPayeeOfBill reports the payee of one of the user's transfers out
// (the bill's counterparty).
func (s *Service) ReportPayeeOfBill(ctx context.Context, u User, billID, reason string) error {
	notFound := newError(KindNotFound, CodeNotFound, "you have no such transfer")
	tid, err := ledger.ParseID(billID)
	if err != nil {
		return notFound
	}
	t, err := s.ledger.LookupTransfer(ctx, tid)
	if err != nil || t.Code != TransferP2P {
		return notFound
	}
	ws, err := s.walletsOf(ctx, u.ID, false)
	if err != nil {
		return err
	}
	mine := false
	for _, w := range ws {
		mine = mine || w.AccountID == t.DebitAccountID
	}
	if !mine {
		return notFound
	}
	a, err := s.ledger.LookupAccount(ctx, t.CreditAccountID)
	if err != nil {
		return fmt.Errorf("report payee: %w", err)
	}
	payee, ok := strings.CutPrefix(a.Owner, "user:")
	if !ok {
		return notFound
	}
	return s.ReportPayee(ctx, u, payee, reason)
}
