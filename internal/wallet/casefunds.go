package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// TransferCaseRefund is the code of money a compliance decision sends
// back: from the wallet of a case's subject (a mule, a scammer) to the
// wallet it came from.
const TransferCaseRefund uint16 = 9

// Codes of refund decisions.
const (
	CodeNothingToRefund = "nothing_to_refund"
	CodeRefundShort     = "refund_short"
)

// Case decisions, as operators name them (and DecisionRefund, as for
// disputes).
const (
	DecisionClear   = "clear"
	DecisionConfirm = "confirm"
)

// Decide applies an operator's decision on a case: clear, confirm or
// refund (DecideCase, RefundCase).
func (s *Service) Decide(ctx context.Context, id, decision, note string) (Case, error) {
	switch decision {
	case DecisionClear, DecisionConfirm:
		return s.DecideCase(ctx, id, decision == DecisionConfirm, note)
	case DecisionRefund:
		return s.RefundCase(ctx, id, note)
	}
	return Case{}, newError(KindInvalid, CodeInvalidRequest, "the decision is clear, confirm or refund")
}

// RefundCase is an operator's third decision on an AML case: the money
// that came into the subject's wallet from other users' wallets by the
// case's transfers goes back to them (原路退回), every one in full or not
// at all; then the case is confirmed and the subject's outflows frozen.
// Each pay-back has an id made from the case and the transfer, so that
// deciding again never pays twice; if the subject's wallet can not cover
// them all, nothing is decided (422 refund_short) — the operator freezes
// the account (confirm) and customer service takes it from there.
func (s *Service) RefundCase(ctx context.Context, id, note string) (Case, error) {
	return s.decideCase(ctx, id, true, note, func(c Case) error {
		if c.Kind != CaseAML || c.SubjectKind != "user" {
			return newError(KindInvalid, CodeNothingToRefund, "only an AML case's incoming transfers can be sent back")
		}
		var ev amlEvidence
		if err := json.Unmarshal([]byte(c.Evidence), &ev); err != nil {
			return fmt.Errorf("refund case: %w", err)
		}
		backs, err := s.payBacks(ctx, c, ev.Txns)
		if err != nil {
			return err
		}
		if len(backs) == 0 {
			return newError(KindInvalid, CodeNothingToRefund, "no transfer of this case came in from another user's wallet")
		}
		res, err := s.ledger.CreateTransfers(ctx, backs)
		if err != nil {
			return fmt.Errorf("refund case: %w", err)
		}
		for i, r := range res {
			switch r {
			case ledger.TransferCreated, ledger.TransferExists:
			case ledger.TransferExceedsCredits, ledger.TransferLinkedEventFailed:
				return newError(KindInvalid, CodeRefundShort, "the subject's wallet can not cover the money to send back (%s); freeze it (confirm) instead", formatMoney(backs[i].Amount, backs[i].Currency))
			default:
				return fmt.Errorf("refund case: transfer %d: %s", i, r)
			}
		}
		for _, b := range backs {
			s.notify(strings.TrimPrefix(s.accountOwner(ctx, b.CreditAccountID), "user:"), "case_refund", "Money sent back to you",
				fmt.Sprintf("After a review, %s you sent was sent back to your wallet.", formatMoney(b.Amount, b.Currency)))
		}
		s.audit(ctx, "", "case_refunded", "user:"+c.SubjectID, fmt.Sprintf("case %s: %d transfers sent back", c.ID, len(backs)))
		if _, err := s.FreezeUser(ctx, c.SubjectID, true); err != nil {
			return err
		}
		return nil
	})
}

// payBacks are the transfers sending back what came into the subject's
// wallet from other users' wallets by the listed transfers, linked (all or
// none).
func (s *Service) payBacks(ctx context.Context, c Case, txns []string) ([]ledger.Transfer, error) {
	var out []ledger.Transfer
	for _, tid := range txns {
		id, err := ledger.ParseID(tid)
		if err != nil {
			continue
		}
		t, err := s.ledger.LookupTransfer(ctx, id)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("refund case: %w", err)
		}
		if t.Code != TransferP2P || s.accountOwner(ctx, t.CreditAccountID) != "user:"+c.SubjectID || !s.isWallet(ctx, t.DebitAccountID) {
			continue
		}
		out = append(out, ledger.Transfer{ID: ledger.NameID("wallet/case-refund", c.ID, tid), DebitAccountID: t.CreditAccountID,
			CreditAccountID: t.DebitAccountID, Amount: t.Amount, Currency: t.Currency, Code: TransferCaseRefund, Reference: "case:" + c.ID,
			Flags: ledger.Linked})
	}
	if n := len(out); n > 0 {
		out[n-1].Flags &^= ledger.Linked // the chain's last closes it
	}
	return out, nil
}

// accountOwner is a ledger account's owner ("user:…", "merchant:…"), or "".
func (s *Service) accountOwner(ctx context.Context, id ledger.ID) string {
	a, err := s.ledger.LookupAccount(ctx, id)
	if err != nil {
		return ""
	}
	return a.Owner
}

func (s *Service) isWallet(ctx context.Context, id ledger.ID) bool {
	a, err := s.ledger.LookupAccount(ctx, id)
	return err == nil && a.Code == AccountWallet
}
