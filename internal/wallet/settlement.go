package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Settlement (T+1): every day, each approved merchant's balance as of the
// end of the day before is paid to its settlement card through the bank
// connector — the same order machinery as a withdrawal: the amount is
// reserved from the merchant's account with a pending transfer, posted on
// the bank's success and voided on its failure, whatever the bank's delays.
// One settlement per merchant and day: its id is derived from both.

// OrderSettlement is the kind of a merchant's payout.
const OrderSettlement = "settlement"

// SetSettlementCard sets the merchant's payout card: one of the owner's
// verified debit cards.
func (s *Service) SetSettlementCard(ctx context.Context, owner User, merchantID, cardID string) error {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return err
	}
	c, err := s.card(ctx, owner, cardID)
	if err != nil {
		return err
	}
	if c.Status != "verified" || c.Type == "credit" {
		return newError(KindInvalid, CodeCardNotForPayouts, "payouts go to a verified debit card")
	}
	defer s.cache.forgetMerchants()
	return s.store.SetSettlementCard(ctx, merchantID, cardID)
}

// Settle pays out every approved merchant's balance at the end of date
// (YYYY-MM-DD, China time), once; it returns the settlement orders.
func (s *Service) Settle(ctx context.Context, date string) ([]BankOrder, error) {
	day, err := time.ParseInLocation("2006-01-02", date, s.cfg.Day)
	if err != nil {
		return nil, newError(KindInvalid, CodeInvalidRequest, "the date is YYYY-MM-DD")
	}
	cutoff := day.AddDate(0, 0, 1).Add(-time.Nanosecond)
	if s.now().Before(cutoff) {
		return nil, newError(KindInvalid, CodeInvalidRequest, "%s has not ended yet", date)
	}
	if ActorFrom(ctx).ID != "" { // an operator's run (the hourly one is not a person's action)
		s.audit(ctx, "", "settlement_run", "date:"+date, "")
	}
	var out []BankOrder
	after := ""
	for {
		ms, err := s.store.ApprovedMerchants(ctx, after, 100)
		if err != nil {
			return out, fmt.Errorf("settle: %w", err)
		}
		if len(ms) == 0 {
			return out, nil
		}
		for _, m := range ms {
			o, ok, err := s.settleMerchant(ctx, m, date, cutoff)
			if err != nil {
				s.log.Warn("wallet: settle merchant", "merchant", m.ID, "date", date, "err", err)
				continue
			}
			if ok {
				out = append(out, o)
			}
		}
		after = ms[len(ms)-1].ID
	}
}

func (s *Service) settleMerchant(ctx context.Context, m Merchant, date string, cutoff time.Time) (BankOrder, bool, error) {
	if m.SettlementCard == "" {
		return BankOrder{}, false, nil
	}
	id := ledger.NameID("wallet/settlement", m.ID, date).String()
	if o, err := s.store.OrderByID(ctx, id); err == nil {
		o, err := s.drive(ctx, o)
		return o, true, err
	}
	acct := merchantAccount(m.ID)
	then, err := s.ledger.BalanceAt(ctx, acct, cutoff)
	if err != nil {
		return BankOrder{}, false, err
	}
	now, err := s.ledger.LookupAccount(ctx, acct)
	if err != nil {
		return BankOrder{}, false, err
	}
	amount := min(then.CreditsPosted-then.DebitsPosted, now.CreditsPosted-now.DebitsPosted-now.DebitsPending)
	if amount <= 0 {
		return BankOrder{}, false, nil
	}
	at := s.now().UTC()
	o := BankOrder{ID: id, UserID: m.OwnerID, Kind: OrderSettlement, MerchantID: m.ID, CardID: m.SettlementCard, Amount: amount,
		Currency: "CNY", Status: OrderProcessing, CreatedAt: at, UpdatedAt: at}
	if err := s.store.CreateOrder(ctx, o); err != nil {
		if !errors.Is(err, ErrDuplicate) {
			return BankOrder{}, false, err
		}
		if o, err = s.store.OrderByID(ctx, id); err != nil {
			return BankOrder{}, false, err
		}
	}
	o, err = s.drive(ctx, o)
	return o, true, err
}

// reserveSettlement books a settlement's pending transfer (idempotent).
func (s *Service) reserveSettlement(ctx context.Context, o BankOrder) error {
	res, err := s.ledger.CreateTransfers(ctx, []ledger.Transfer{{ID: orderTransferID(o), DebitAccountID: merchantAccount(o.MerchantID),
		CreditAccountID: bankClearing(o.Currency), Amount: o.Amount, Currency: o.Currency, Code: TransferSettlement,
		Reference: "settlement:" + o.ID, Flags: ledger.Pending}})
	if err != nil {
		return fmt.Errorf("reserve settlement: %w", errors.Join(errUnavailable, err))
	}
	if !res[0].OK() {
		if res[0] == ledger.TransferExceedsCredits {
			return newError(KindInvalid, CodeInsufficientBalance, "the merchant balance does not cover the settlement")
		}
		return fmt.Errorf("reserve settlement: %s", res[0])
	}
	return nil
}

// RunSettlement settles the day before every interval (it is
// idempotent: a day's settlement is made once).
func (s *Service) RunSettlement(ctx context.Context, interval time.Duration) {
	s.every(ctx, interval, "settle", func(ctx context.Context) error {
		_, err := s.Settle(ctx, s.now().In(s.cfg.Day).AddDate(0, 0, -1).Format("2006-01-02"))
		return err
	})
}
