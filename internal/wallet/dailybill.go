package wallet

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// The daily bill (对账单): every movement of a merchant's balance on one
// day (in the configured time zone) — payments, refunds, fees and fees
// given back — read from the merchant's ledger account, with totals. Its
// net total is, by construction, the change of the account's balance over
// the day, which is what a merchant reconciles against.

// DailyBill is a merchant's day.
type DailyBill struct {
	Date                                   string
	Rows                                   []DailyBillRow
	Payments, Refunds, Fees, FeesBack, Net int64
	OpeningBalance, ClosingBalance         int64
}

// DailyBillRow is one movement.
type DailyBillRow struct {
	Time      time.Time
	Type      string // payment, refund, fee, fee_back
	Reference string // order:… or refund:…
	Amount    int64  // signed, for the merchant
	ID        string
}

// MerchantDailyBill reads a merchant's day from the ledger.
func (s *Service) MerchantDailyBill(ctx context.Context, m Merchant, date string) (DailyBill, error) {
	day, err := time.ParseInLocation("2006-01-02", date, s.cfg.Day)
	if err != nil {
		return DailyBill{}, newError(KindInvalid, CodeInvalidRequest, "the date is YYYY-MM-DD")
	}
	acct := merchantAccount(m.ID)
	from, to := day, day.AddDate(0, 0, 1)
	b := DailyBill{Date: date}
	f := ledger.TransferFilter{From: from, To: to, Limit: ledger.MaxPageSize}
	for {
		page, err := s.ledger.AccountTransfers(ctx, acct, f)
		if err != nil {
			return DailyBill{}, fmt.Errorf("daily bill: %w", err)
		}
		for _, t := range page.Transfers {
			b.add(acct, t)
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	// Newest first from the ledger; a bill reads oldest first.
	for i, j := 0, len(b.Rows)-1; i < j; i, j = i+1, j-1 {
		b.Rows[i], b.Rows[j] = b.Rows[j], b.Rows[i]
	}
	open, err := s.ledger.BalanceAt(ctx, acct, from.Add(-time.Nanosecond))
	if err != nil {
		return DailyBill{}, fmt.Errorf("daily bill: %w", err)
	}
	b.OpeningBalance = open.CreditsPosted - open.DebitsPosted
	b.ClosingBalance = b.OpeningBalance + b.Net
	return b, nil
}

func (b *DailyBill) add(acct ledger.ID, t ledger.Transfer) {
	if t.Flags&(ledger.Pending|ledger.VoidPending) != 0 {
		return // merchants' money moves in one phase
	}
	amount := t.Amount
	if t.DebitAccountID == acct {
		amount = -amount
	}
	typ := "other"
	switch {
	case t.Code == TransferPayment:
		typ, b.Payments = "payment", b.Payments+amount
	case t.Code == TransferRefund:
		typ, b.Refunds = "refund", b.Refunds+amount
	case t.Code == TransferMerchantFee && amount < 0:
		typ, b.Fees = "fee", b.Fees+amount
	case t.Code == TransferMerchantFee:
		typ, b.FeesBack = "fee_back", b.FeesBack+amount
	}
	b.Net += amount
	b.Rows = append(b.Rows, DailyBillRow{Time: t.CreatedAt(), Type: typ, Reference: t.Reference, Amount: amount, ID: t.ID.String()})
}

// WriteCSV writes the bill: a row per movement, then the totals.
func (b *DailyBill) WriteCSV(w io.Writer, loc *time.Location) error {
	cw := csv.NewWriter(w)
	amt := func(v int64) string { return formatAmount(v, "CNY") }
	_ = cw.Write([]string{"time", "type", "reference", "amount", "currency", "id"})
	for _, r := range b.Rows {
		_ = cw.Write([]string{r.Time.In(loc).Format(time.RFC3339Nano), r.Type, r.Reference, amt(r.Amount), "CNY", r.ID})
	}
	for _, t := range []struct {
		name string
		v    int64
	}{{"total payments", b.Payments}, {"total refunds", b.Refunds}, {"total fees", b.Fees}, {"total fees given back", b.FeesBack},
		{"net", b.Net}, {"opening balance", b.OpeningBalance}, {"closing balance", b.ClosingBalance}} {
		_ = cw.Write([]string{"", t.name, "", amt(t.v), "CNY", ""})
	}
	cw.Flush()
	return cw.Error()
}

// DayZone is the time zone whose days bills and limits use.
func (s *Service) DayZone() *time.Location { return s.cfg.Day }
