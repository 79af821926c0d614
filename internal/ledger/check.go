package ledger

import (
	"context"
	"fmt"
	"sort"
)

// CheckReport is what Check found.
type CheckReport struct {
	Head       Head             `json:"head"`
	Accounts   int              `json:"accounts"`
	Transfers  int              `json:"transfers"`
	Pending    int              `json:"pending_transfers"` // neither posted nor voided
	Currencies []CurrencyTotals `json:"currencies"`
	// Violations describes broken invariants, at most maxViolations of
	// them; ViolationCount counts all.
	Violations     []string `json:"violations"`
	ViolationCount int      `json:"violation_count"`
}

// CurrencyTotals sums the balances of every account in one currency.
// Double entry makes debits equal credits, pending and posted alike.
type CurrencyTotals struct {
	Currency string `json:"currency"`
	Accounts int    `json:"accounts"`
	Balance
}

// OK reports whether no invariant is broken.
func (r *CheckReport) OK() bool { return r.ViolationCount == 0 }

const maxViolations = 100

type checkAccount struct {
	rec     AccountRecord
	replay  ChainState
	atRow   *Balance // the replayed balance when the replay reached the row's head
	lastPre int64    // the account's newest transfer at or before the checkpoint
}

type checkPending struct {
	ts, amount, expiresAt int64
	debit, credit         int64
	resolved              bool
}

type checker struct {
	report   CheckReport
	accounts map[int64]*checkAccount
	pendings map[int64]*checkPending
	lastTS   int64
}

func (c *checker) fail(format string, args ...any) {
	c.report.ViolationCount++
	if len(c.report.Violations) < maxViolations {
		c.report.Violations = append(c.report.Violations, fmt.Sprintf(format, args...))
	}
}

// Check recomputes every balance from the transfers, in one consistent
// snapshot, and verifies the ledger's invariants: each account's balance
// equals the sum of its transfers; the stored balances after each transfer
// and every chain pointer agree with a replay from the start; no account
// ever broke its flags or went below zero; every pending transfer is
// resolved at most once, within its amount and timeout; per currency,
// debits equal credits. Violations are reported, not returned as errors;
// an error means the check could not run.
func Check(ctx context.Context, r Reader) (CheckReport, error) {
	sn, err := r.Snapshot(ctx)
	if err != nil {
		return CheckReport{}, err
	}
	defer sn.Close()
	c := &checker{accounts: map[int64]*checkAccount{}, pendings: map[int64]*checkPending{}}
	c.report.Head = sn.Head()
	err = sn.ScanAccounts(ctx, func(a *AccountRecord) error {
		rec := *a
		rec.Chain = a.Chain.clone()
		c.accounts[a.Key] = &checkAccount{rec: rec}
		c.checkAccountFields(&rec)
		return nil
	})
	if err != nil {
		return c.report, fmt.Errorf("check: scan accounts: %w", err)
	}
	c.report.Accounts = len(c.accounts)
	if err := sn.ScanTransfers(ctx, func(t *TransferRecord) error { c.transfer(t); return nil }); err != nil {
		return c.report, fmt.Errorf("check: scan transfers: %w", err)
	}
	timeouts := map[int64]int64{}
	if err := sn.ScanTimeouts(ctx, func(t Timeout) error { timeouts[t.PendingTS] = t.ExpiresAt; return nil }); err != nil {
		return c.report, fmt.Errorf("check: scan timeouts: %w", err)
	}
	c.finish(timeouts)
	return c.report, nil
}

func (c *checker) checkAccountFields(a *AccountRecord) {
	h := c.report.Head
	switch {
	case a.ID.IsZero():
		c.fail("account %d: zero id", a.Key)
	case a.Key <= 0 || a.Key > h.LastAccountKey:
		c.fail("account %s: key %d outside 1..%d", a.ID, a.Key, h.LastAccountKey)
	case a.Timestamp <= 0 || a.Timestamp > h.LastTS:
		c.fail("account %s: timestamp %d after the head %d", a.ID, a.Timestamp, h.LastTS)
	case !validCurrency(a.Currency):
		c.fail("account %s: invalid currency %q", a.ID, a.Currency)
	case a.Flags&^accountFlagsKnown != 0 || a.Flags == accountFlagsKnown:
		c.fail("account %s: invalid flags %d", a.ID, a.Flags)
	}
}

func (c *checker) transfer(t *TransferRecord) {
	c.report.Transfers++
	if t.TS <= c.lastTS {
		c.fail("transfer %s: timestamp %d not after %d", t.ID, t.TS, c.lastTS)
	}
	c.lastTS = t.TS
	if t.TS > c.report.Head.LastTS {
		c.fail("transfer %s: timestamp %d after the head %d", t.ID, t.TS, c.report.Head.LastTS)
	}
	dr, cr := c.accounts[t.DebitKey], c.accounts[t.CreditKey]
	if dr == nil || cr == nil || dr == cr {
		c.fail("transfer %s: accounts %d and %d are not two existing accounts", t.ID, t.DebitKey, t.CreditKey)
		return
	}
	if t.Currency != dr.rec.Currency || t.Currency != cr.rec.Currency {
		c.fail("transfer %s: currency %s, accounts %s and %s", t.ID, t.Currency, dr.rec.Currency, cr.rec.Currency)
	}
	if t.Amount <= 0 {
		c.fail("transfer %s: amount %d", t.ID, t.Amount)
	}
	if t.TS < dr.rec.Timestamp || t.TS < cr.rec.Timestamp {
		c.fail("transfer %s: older than its accounts", t.ID)
	}
	d, k := dr.replay.Balance, cr.replay.Balance
	switch phase := t.Flags & (Pending | PostPending | VoidPending); phase {
	case 0:
		d.DebitsPosted += t.Amount
		k.CreditsPosted += t.Amount
	case Pending:
		d.DebitsPending += t.Amount
		k.CreditsPending += t.Amount
		p := &checkPending{ts: t.TS, amount: t.Amount, debit: t.DebitKey, credit: t.CreditKey}
		if t.TimeoutSeconds > 0 {
			p.expiresAt = t.ExpiresAt()
		}
		c.pendings[t.TS] = p
	case PostPending, VoidPending:
		p := c.pendings[t.PendingTS]
		switch {
		case p == nil:
			c.fail("transfer %s: resolves %d, which is not an earlier pending transfer", t.ID, t.PendingTS)
			return
		case p.resolved:
			c.fail("transfer %s: resolves pending transfer %d a second time", t.ID, t.PendingTS)
		case p.debit != t.DebitKey || p.credit != t.CreditKey:
			c.fail("transfer %s: accounts differ from pending transfer %d", t.ID, t.PendingTS)
		case phase == PostPending && t.Amount > p.amount:
			c.fail("transfer %s: posts %d of pending %d", t.ID, t.Amount, p.amount)
		case phase == VoidPending && t.Amount != p.amount:
			c.fail("transfer %s: voids %d of pending %d", t.ID, t.Amount, p.amount)
		case t.Flags&Expired != 0 && (p.expiresAt == 0 || t.TS < p.expiresAt):
			c.fail("transfer %s: expires pending transfer %d before its timeout", t.ID, t.PendingTS)
		case t.Flags&Expired == 0 && p.expiresAt != 0 && t.TS >= p.expiresAt:
			c.fail("transfer %s: resolves pending transfer %d after its timeout", t.ID, t.PendingTS)
		}
		p.resolved = true
		d.DebitsPending -= p.amount
		k.CreditsPending -= p.amount
		if phase == PostPending {
			d.DebitsPosted += t.Amount
			k.CreditsPosted += t.Amount
		}
	default:
		c.fail("transfer %s: flags %v are mutually exclusive", t.ID, t.Flags.Names())
		return
	}
	c.side(t, "debit", dr, &t.Debit, d)
	c.side(t, "credit", cr, &t.Credit, k)
}

// side replays one account's view of a transfer and compares it with what
// the transfer stored.
func (c *checker) side(t *TransferRecord, name string, a *checkAccount, s *Side, after Balance) {
	prevHead, prevHeight := a.replay.HeadTS, a.replay.Height
	skip := a.replay.level(1 + trailingZeros(prevHeight+1))
	a.replay.advance(t.TS)
	a.replay.Balance = after
	if s.PrevTS != prevHead || s.Height != prevHeight+1 || s.SkipTS != skip {
		c.fail("transfer %s: %s side's chain (prev %d, skip %d, height %d) should be (%d, %d, %d)",
			t.ID, name, s.PrevTS, s.SkipTS, s.Height, prevHead, skip, prevHeight+1)
	}
	if s.Balance != after {
		c.fail("transfer %s: %s account %s's stored balance %+v, replayed %+v", t.ID, name, a.rec.ID, s.Balance, after)
	}
	b := &a.replay.Balance
	switch {
	case b.DebitsPending < 0 || b.DebitsPosted < 0 || b.CreditsPending < 0 || b.CreditsPosted < 0:
		c.fail("account %s: negative balance %+v after transfer %s", a.rec.ID, *b, t.ID)
	case a.rec.Flags&DebitsMustNotExceedCredits != 0 && b.DebitsPending+b.DebitsPosted > b.CreditsPosted:
		c.fail("account %s: debits exceed credits after transfer %s: %+v", a.rec.ID, t.ID, *b)
	case a.rec.Flags&CreditsMustNotExceedDebits != 0 && b.CreditsPending+b.CreditsPosted > b.DebitsPosted:
		c.fail("account %s: credits exceed debits after transfer %s: %+v", a.rec.ID, t.ID, *b)
	}
	if t.TS == a.rec.Chain.HeadTS {
		at := a.replay.Balance
		a.atRow = &at
	}
	if t.TS <= c.report.Head.CheckpointTS {
		a.lastPre = t.TS
	}
}

func trailingZeros(x uint64) int {
	n := 0
	for x != 0 && x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

func (c *checker) finish(timeouts map[int64]int64) {
	totals := map[string]*CurrencyTotals{}
	keys := make([]int64, 0, len(c.accounts))
	for k := range c.accounts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		a := c.accounts[k]
		row := &a.rec.Chain
		switch {
		case row.HeadTS == 0 && row.Height != 0:
			c.fail("account %s: row has height %d but no head", a.rec.ID, row.Height)
		case row.HeadTS != 0 && a.atRow == nil:
			c.fail("account %s: row's head %d is not one of its transfers", a.rec.ID, row.HeadTS)
		case row.HeadTS != 0 && *a.atRow != row.Balance:
			c.fail("account %s: row balance %+v, replayed %+v at its head", a.rec.ID, row.Balance, *a.atRow)
		case a.lastPre > row.HeadTS:
			c.fail("account %s: row is behind the checkpoint (head %d, transfer %d)", a.rec.ID, row.HeadTS, a.lastPre)
		}
		t := totals[a.rec.Currency]
		if t == nil {
			t = &CurrencyTotals{Currency: a.rec.Currency}
			totals[a.rec.Currency] = t
		}
		t.Accounts++
		b := a.replay.Balance
		t.DebitsPending += b.DebitsPending
		t.DebitsPosted += b.DebitsPosted
		t.CreditsPending += b.CreditsPending
		t.CreditsPosted += b.CreditsPosted
	}
	for _, t := range totals {
		if t.DebitsPosted != t.CreditsPosted || t.DebitsPending != t.CreditsPending {
			c.fail("currency %s: debits %d+%d pending, credits %d+%d pending", t.Currency,
				t.DebitsPosted, t.DebitsPending, t.CreditsPosted, t.CreditsPending)
		}
		c.report.Currencies = append(c.report.Currencies, *t)
	}
	sort.Slice(c.report.Currencies, func(i, j int) bool { return c.report.Currencies[i].Currency < c.report.Currencies[j].Currency })
	for ts, p := range c.pendings {
		exp, has := timeouts[ts]
		switch {
		case !p.resolved:
			c.report.Pending++
			if p.expiresAt != 0 && (!has || exp != p.expiresAt) {
				c.fail("pending transfer %d: timeout %d not recorded", ts, p.expiresAt)
			}
		case has:
			c.fail("pending transfer %d: resolved, but its timeout is still recorded", ts)
		}
		delete(timeouts, ts)
	}
	for ts := range timeouts {
		c.fail("timeout recorded for %d, which is not a pending transfer", ts)
	}
	if c.report.Head.CheckpointTS > c.report.Head.LastTS {
		c.fail("head: checkpoint %d after last timestamp %d", c.report.Head.CheckpointTS, c.report.Head.LastTS)
	}
}
