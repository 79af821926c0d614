package wallet

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Bill is one line of a user's transaction history, as a person reads it.
type Bill struct {
	ID           string // the ledger transfer
	Type         string // transfer, top_up, withdrawal, fee
	Amount       int64  // signed: + money in, - money out
	Currency     string
	Counterparty string // a person's name, or "Bank card", "ShiLianTong"
	Status       string // completed, processing, failed
	Note         string
	Time         time.Time
}

// BillFilter selects bills.
type BillFilter struct {
	Type     string    // "" = all
	Currency string    // "" = every wallet
	From, To time.Time // [From, To); zero = unbounded
	Limit    int       // 1..100, 0 = 20
	Cursor   string
}

// BillPage is a page of bills, newest first.
type BillPage struct {
	Bills []Bill
	Next  string
}

// BillTypes are the bill types a filter may name.
var BillTypes = []string{"transfer", "payment", "refund", "top_up", "withdrawal", "fee"}

var billType = map[uint16]string{TransferP2P: "transfer", TransferPayment: "payment", TransferTopUp: "top_up", TransferWithdrawal: "withdrawal",
	TransferFee: "fee", TransferMerchantFee: "fee", TransferRefund: "refund", TransferCaseRefund: "refund"}

// maxBillScan bounds the ledger transfers one page looks at when a type
// filter skips most of them.
const maxBillScan = 2000

// Bills lists a user's bills across their wallets, newest first.
func (s *Service) Bills(ctx context.Context, userID string, f BillFilter) (BillPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 100 {
		f.Limit = 100
	}
	if f.Type != "" && !contains(BillTypes, f.Type) {
		return BillPage{}, newError(KindInvalid, CodeInvalidRequest, "type must be one of %s", strings.Join(BillTypes, ", "))
	}
	before, err := decodeBillCursor(f.Cursor)
	if err != nil {
		return BillPage{}, err
	}
	ws, err := s.store.Wallets(ctx, userID)
	if err != nil {
		return BillPage{}, fmt.Errorf("bills: %w", err)
	}
	var page BillPage
	for scanned := 0; len(page.Bills) < f.Limit && scanned < maxBillScan; {
		t, w, ok, err := s.newestBefore(ctx, ws, f, before)
		if err != nil {
			return BillPage{}, err
		}
		if !ok {
			return page, nil
		}
		scanned++
		before = t.Timestamp
		b, show, err := s.bill(ctx, w, t)
		if err != nil {
			return BillPage{}, err
		}
		if show && (f.Type == "" || f.Type == b.Type) {
			page.Bills = append(page.Bills, b)
		}
	}
	page.Next = encodeBillCursor(before)
	return page, nil
}

// CodeInvalidRequest is a filter or query that makes no sense.
const CodeInvalidRequest = "invalid_request"

// newestBefore returns the newest transfer before a timestamp over the
// user's wallets (in the filter's currency and time range).
func (s *Service) newestBefore(ctx context.Context, ws []WalletAccount, f BillFilter, before int64) (ledger.Transfer, WalletAccount, bool, error) {
	var best ledger.Transfer
	var bestW WalletAccount
	found := false
	to := f.To
	if before > 0 && (to.IsZero() || time.Unix(0, before).Before(to)) {
		to = time.Unix(0, before)
	}
	for _, w := range ws {
		if f.Currency != "" && w.Currency != f.Currency {
			continue
		}
		p, err := s.ledger.AccountTransfers(ctx, w.AccountID, ledger.TransferFilter{From: f.From, To: to, Limit: 1})
		if err != nil {
			return best, bestW, false, fmt.Errorf("bills: %w", err)
		}
		if len(p.Transfers) == 1 && (!found || p.Transfers[0].Timestamp > best.Timestamp) {
			best, bestW, found = p.Transfers[0], w, true
		}
	}
	return best, bestW, found, nil
}

// bill describes a transfer of wallet w; show is false for the ledger's
// bookkeeping of a withdrawal (its post or void), which the withdrawal's
// own line reports as its status.
func (s *Service) bill(ctx context.Context, w WalletAccount, t ledger.Transfer) (Bill, bool, error) {
	if t.Flags&(ledger.PostPending|ledger.VoidPending) != 0 {
		return Bill{}, false, nil
	}
	b := Bill{ID: t.ID.String(), Type: billType[t.Code], Amount: t.Amount, Currency: t.Currency, Status: "completed", Time: t.CreatedAt()}
	if b.Type == "" {
		b.Type = "other"
	}
	out := t.DebitAccountID == w.AccountID
	other := t.CreditAccountID
	if out {
		b.Amount = -t.Amount
	} else {
		other = t.DebitAccountID
	}
	b.Counterparty = s.counterparty(ctx, other)
	b.Note = t.Reference
	switch {
	case strings.HasPrefix(t.Reference, "request:"):
		b.Note = "payment request"
	case strings.Contains(t.Reference, ":") && t.Code != TransferP2P:
		b.Note = "" // a reference to an order, not words for people
	}
	if t.Flags&ledger.Pending != 0 {
		st, err := s.pendingStatus(ctx, t.ID)
		if err != nil {
			return Bill{}, false, err
		}
		b.Status = st
	}
	return b, true, nil
}

// pendingStatus is the state of a two-phase transfer the wallet made.
func (s *Service) pendingStatus(ctx context.Context, id ledger.ID) (string, error) {
	for _, c := range []struct {
		id     ledger.ID
		status string
	}{{postID(id), "completed"}, {voidID(id), "failed"}, {ledger.ExpiryID(id), "failed"}} {
		_, err := s.ledger.LookupTransfer(ctx, c.id)
		if err == nil {
			return c.status, nil
		}
		if !errors.Is(err, ledger.ErrNotFound) {
			return "", fmt.Errorf("bills: %w", err)
		}
	}
	return "processing", nil
}

// postID and voidID are the ids of the transfers that complete or release
// a pending transfer the wallet made.
func postID(pending ledger.ID) ledger.ID { return ledger.NameID("wallet/post", pending.String()) }
func voidID(pending ledger.ID) ledger.ID { return ledger.NameID("wallet/void", pending.String()) }

func (s *Service) counterparty(ctx context.Context, account ledger.ID) string {
	for cur := range s.cfg.Limits {
		switch account {
		case bankClearing(cur):
			return "Bank card"
		case feeIncome(cur):
			return "ShiLianTong"
		}
	}
	w, err := s.store.WalletByAccount(ctx, account)
	if err == nil {
		return s.userName(ctx, w.UserID)
	}
	if a, err := s.ledger.LookupAccount(ctx, account); err == nil && strings.HasPrefix(a.Owner, "merchant:") {
		if m, err := s.store.MerchantByID(ctx, strings.TrimPrefix(a.Owner, "merchant:")); err == nil {
			return m.DisplayName
		}
	}
	return ""
}

func encodeBillCursor(ts int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ts))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeBillCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) != 8 || binary.BigEndian.Uint64(b) > 1<<62 {
		return 0, newError(KindInvalid, CodeInvalidCursor, "the cursor is not one this server returned")
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Statement writes a month's bills (in the configured time zone) as CSV,
// oldest first, amounts as decimals in the currency's units.
func (s *Service) Statement(ctx context.Context, userID string, year int, month time.Month, w io.Writer) error {
	if year < 2000 || year > 9999 || month < 1 || month > 12 {
		return newError(KindInvalid, CodeInvalidRequest, "month must be YYYY-MM")
	}
	from := time.Date(year, month, 1, 0, 0, 0, 0, s.cfg.Day)
	f := BillFilter{From: from, To: from.AddDate(0, 1, 0), Limit: 100}
	var all []Bill
	for {
		p, err := s.Bills(ctx, userID, f)
		if err != nil {
			return err
		}
		all = append(all, p.Bills...)
		if len(p.Bills) == 0 || p.Next == "" || len(all) >= 100_000 {
			break
		}
		f.Cursor = p.Next
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time", "type", "counterparty", "amount", "currency", "status", "note", "id"})
	for i := len(all) - 1; i >= 0; i-- {
		b := all[i]
		amt := formatMoney(b.Amount, b.Currency)
		amt = strings.TrimSuffix(amt, " "+b.Currency)
		_ = cw.Write([]string{b.Time.In(s.cfg.Day).Format(time.RFC3339), b.Type, csvSafe(b.Counterparty), amt, b.Currency, b.Status, csvSafe(b.Note), b.ID})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses a cell a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
