package wallet

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/money"
)

// Daily limits are ledger accounts, in the way TigerBeetle recommends for
// rate limits. Each user has, per day and currency, an allowance account
// that may not go below zero, funded from the operator's limit source
// with the tier's daily outflow. A money-out is a linked chain: first a
// transfer that uses the allowance (allowance → source), then the money
// itself. The ledger commits both or neither, in one batch, so two
// payments at the same moment — even on two servers — can not both slip
// under the limit, and a failed payment uses none of it. Password-free
// payments have a second allowance of the same kind.
//
// The accounts' ids are derived from (user, kind, currency, day), and the
// funding transfers' ids from (account, tier): creating and funding them
// is idempotent, so any process may do it at any time, and a tier raised
// during the day adds the difference.

const (
	limitOutflow = "outflow"
	limitNoPIN   = "nopin"
)

// day is today's date in the configured zone.
func (s *Service) day() string { return s.now().In(s.cfg.Day).Format("2006-01-02") }

func limitAccount(userID, kind, cur, day string) ledger.ID {
	return ledger.NameID("wallet/limit", userID, kind, cur, day)
}

// noPINKind names the password-free allowance; a change of the user's
// settings starts a new one.
func noPINKind(u User) string { return limitNoPIN + "-v" + strconv.Itoa(u.NoPINVersion) }

// limitUse is the chain link that uses an allowance for the transfer main.
func limitUse(account ledger.ID, kind string, main ledger.ID, cur string, amount int64) ledger.Transfer {
	return ledger.Transfer{
		ID: linkedID("wallet/limit-use", main, kind), DebitAccountID: account, CreditAccountID: limitSource(cur),
		Amount: amount, Currency: cur, Code: TransferLimitUse, Flags: ledger.Linked, Reference: "limit:" + kind,
	}
}

// limitRefund gives back what a failed money-out (a voided withdrawal)
// used of an allowance.
func limitRefund(account ledger.ID, kind string, main ledger.ID, cur string, amount int64) ledger.Transfer {
	return ledger.Transfer{
		ID: linkedID("wallet/limit-refund", main, kind), DebitAccountID: limitSource(cur), CreditAccountID: account,
		Amount: amount, Currency: cur, Code: TransferLimitFund, Reference: "limit-refund:" + kind,
	}
}

// fundOutflow creates today's outflow allowance of a user in a currency
// and funds it up to the user's tier.
func (s *Service) fundOutflow(ctx context.Context, u User, cur string) error {
	tiers := s.cfg.Limits[cur]
	acct := limitAccount(u.ID, limitOutflow, cur, s.day())
	var funds []ledger.Transfer
	prev := int64(0)
	for t := Tier0; t <= u.Tier && int(t) < len(tiers); t++ {
		if d := tiers[t].DailyOutflow - prev; d > 0 {
			funds = append(funds, ledger.Transfer{
				ID: ledger.NameID("wallet/limit-fund", acct.String(), strconv.Itoa(int(t))), DebitAccountID: limitSource(cur),
				CreditAccountID: acct, Amount: d, Currency: cur, Code: TransferLimitFund, Reference: "limit-fund:tier" + strconv.Itoa(int(t)),
			})
		}
		prev = tiers[t].DailyOutflow
	}
	return s.createAllowance(ctx, u, acct, cur, funds)
}

// fundNoPIN creates today's password-free allowance.
func (s *Service) fundNoPIN(ctx context.Context, u User, cur string) error {
	acct := limitAccount(u.ID, noPINKind(u), cur, s.day())
	var funds []ledger.Transfer
	if u.NoPINDaily > 0 {
		funds = append(funds, ledger.Transfer{
			ID: ledger.NameID("wallet/limit-fund", acct.String()), DebitAccountID: limitSource(cur), CreditAccountID: acct,
			Amount: u.NoPINDaily, Currency: cur, Code: TransferLimitFund, Reference: "limit-fund:nopin",
		})
	}
	return s.createAllowance(ctx, u, acct, cur, funds)
}

func (s *Service) createAllowance(ctx context.Context, u User, acct ledger.ID, cur string, funds []ledger.Transfer) error {
	ares, err := s.ledger.CreateAccounts(ctx, []ledger.Account{{ID: acct, Currency: cur, Code: AccountLimit,
		Flags: ledger.DebitsMustNotExceedCredits, Owner: "limit:" + u.ID}})
	if err != nil {
		return fmt.Errorf("create allowance: %w", err)
	}
	if !ares[0].OK() {
		return fmt.Errorf("create allowance: %s", ares[0])
	}
	if len(funds) == 0 {
		return nil
	}
	tres, err := s.ledger.CreateTransfers(ctx, funds)
	if err != nil {
		return fmt.Errorf("fund allowance: %w", err)
	}
	for _, r := range tres {
		if !r.OK() {
			return fmt.Errorf("fund allowance: %s", r)
		}
	}
	return nil
}

// RaiseTier moves a user to a higher tier and tops up today's
// allowances at once.
func (s *Service) raiseTier(ctx context.Context, u User, tier Tier) error {
	if tier <= u.Tier {
		return nil
	}
	if err := s.store.SetTier(ctx, u.ID, tier); err != nil {
		return fmt.Errorf("raise tier: %w", err)
	}
	s.cache.forgetSessions()
	u.Tier = tier
	for cur := range s.cfg.Limits {
		if err := s.fundOutflow(ctx, u, cur); err != nil {
			return err
		}
	}
	return nil
}

// limitExceeded is the error for a used-up daily allowance.
func (s *Service) limitExceeded(u User, cur string) *Error {
	l := s.cfg.Limits[cur][u.Tier].DailyOutflow
	return newError(KindInvalid, CodeLimitExceeded,
		"this would exceed your daily outflow limit of %s (tier %d); verify your identity or link a bank card to raise it, or try tomorrow",
		formatMoney(l, cur), u.Tier).with("limit", "daily_outflow").with("limit_amount", l).with("currency", cur).with("tier", int(u.Tier))
}

func formatMoney(minor int64, cur string) string { return formatAmount(minor, cur) + " " + cur }

// formatAmount renders minor units as a decimal amount in major units,
// with the currency's exact decimals and without its code.
func formatAmount(minor int64, cur string) string {
	c, err := money.Lookup(cur)
	if err != nil {
		return strconv.FormatInt(minor, 10)
	}
	return money.FormatAmount(minor, c)
}

func formatCNY(minor int64) string { return formatMoney(minor, "CNY") }
