// Package ledgertest holds what every store's tests share: a naive
// reference model of the ledger, and a conformance suite that runs the
// engine on a store and compares it with the model.
package ledgertest

import (
	"cmp"
	"math"
	"slices"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Model is a deliberately naive ledger: maps and straight-line rules, no
// batching, no caches, no chains of pointers. The engine must agree with
// it on every result and every balance.
type Model struct {
	Accounts  map[ledger.ID]*ModelAccount
	Transfers map[ledger.ID]*ModelTransfer
	Order     []ledger.ID // transfers in the order they were created
	// Currencies the model accepts (an independent list, not the money
	// package).
	Currencies map[string]bool
}

// ModelAccount is an account and its balance.
type ModelAccount struct {
	ledger.Account
}

// ModelTransfer is a stored transfer, with the state of a pending one.
type ModelTransfer struct {
	ledger.Transfer
	CreatedNS int64  // the model's clock when created
	State     string // pending transfers: "pending", "posted", "voided", "expired"
}

// NewModel returns an empty model.
func NewModel() *Model {
	return &Model{
		Accounts:   map[ledger.ID]*ModelAccount{},
		Transfers:  map[ledger.ID]*ModelTransfer{},
		Currencies: map[string]bool{"CNY": true, "USD": true, "JPY": true, "KWD": true, "EUR": true},
	}
}

// CreateAccounts applies one request of accounts.
func (m *Model) CreateAccounts(as []ledger.Account) []ledger.AccountResult {
	res := make([]ledger.AccountResult, len(as))
	for i, a := range as {
		res[i] = m.createAccount(a)
	}
	return res
}

func (m *Model) createAccount(a ledger.Account) ledger.AccountResult {
	const both = ledger.DebitsMustNotExceedCredits | ledger.CreditsMustNotExceedDebits
	switch {
	case a.ID == ledger.ID{}:
		return ledger.AccountIDMustNotBeZero
	case a.Flags&^both != 0:
		return ledger.AccountFlagsReserved
	case a.Flags == both:
		return ledger.AccountFlagsAreMutuallyExclusive
	case a.Code == 0:
		return ledger.AccountCodeMustNotBeZero
	case !m.Currencies[a.Currency]:
		return ledger.AccountCurrencyInvalid
	case len(a.Owner) > ledger.MaxOwnerBytes:
		return ledger.AccountOwnerTooLong
	}
	if x, ok := m.Accounts[a.ID]; ok {
		if x.Currency == a.Currency && x.Code == a.Code && x.Flags == a.Flags && x.Owner == a.Owner {
			return ledger.AccountExists
		}
		return ledger.AccountExistsWithDifferentFields
	}
	a.Balance = ledger.Balance{}
	m.Accounts[a.ID] = &ModelAccount{Account: a}
	return ledger.AccountCreated
}

// snapshot is everything a failed linked chain must restore.
type snapshot struct {
	accounts  map[ledger.ID]ledger.Balance
	states    map[ledger.ID]string
	transfers int
}

func (m *Model) save() snapshot {
	s := snapshot{accounts: map[ledger.ID]ledger.Balance{}, states: map[ledger.ID]string{}, transfers: len(m.Order)}
	for id, a := range m.Accounts {
		s.accounts[id] = a.Balance
	}
	for id, t := range m.Transfers {
		s.states[id] = t.State
	}
	return s
}

func (m *Model) restore(s snapshot) {
	for _, id := range m.Order[s.transfers:] {
		delete(m.Transfers, id)
	}
	m.Order = m.Order[:s.transfers]
	for id, b := range s.accounts {
		m.Accounts[id].Balance = b
	}
	for id, st := range s.states {
		m.Transfers[id].State = st
	}
}

// CreateTransfers applies one request of transfers at time nowNS.
func (m *Model) CreateTransfers(ts []ledger.Transfer, nowNS int64) []ledger.TransferResult {
	res := make([]ledger.TransferResult, len(ts))
	for i := 0; i < len(ts); {
		// The chain starting at i: up to the first transfer without the
		// linked flag, or the end of the request (an open chain).
		end := i
		for end < len(ts) && ts[end].Flags&ledger.Linked != 0 {
			end++
		}
		if end == i { // not linked: on its own
			res[i] = m.transfer(ts[i], nowNS)
			i++
			continue
		}
		if end == len(ts) { // the chain never closes
			for j := i; j < len(ts); j++ {
				res[j] = ledger.TransferLinkedEventFailed
			}
			res[len(ts)-1] = ledger.TransferLinkedEventChainOpen
			break
		}
		saved := m.save()
		failed := -1
		for j := i; j <= end; j++ {
			res[j] = m.transfer(ts[j], nowNS)
			if res[j] != ledger.TransferCreated && res[j] != ledger.TransferExists {
				failed = j
				break
			}
		}
		created, exists := false, false
		for j := i; j <= end && failed < 0; j++ {
			created = created || res[j] == ledger.TransferCreated
			exists = exists || res[j] == ledger.TransferExists
		}
		if failed >= 0 || (created && exists) {
			m.restore(saved)
			for j := i; j <= end; j++ {
				switch {
				case j == failed:
				case j > failed && failed >= 0:
					res[j] = ledger.TransferLinkedEventFailed
				case res[j] == ledger.TransferCreated:
					res[j] = ledger.TransferLinkedEventFailed
				}
			}
		}
		i = end + 1
	}
	return res
}

// Expire voids every pending transfer whose timeout has passed at nowNS,
// the earliest timeout first.
func (m *Model) Expire(nowNS int64) {
	order := slices.Clone(m.Order)
	slices.SortStableFunc(order, func(a, b ledger.ID) int {
		x, y := m.Transfers[a], m.Transfers[b]
		return cmp.Compare(x.CreatedNS+int64(x.TimeoutSeconds)*1e9, y.CreatedNS+int64(y.TimeoutSeconds)*1e9)
	})
	for _, id := range order {
		t := m.Transfers[id]
		if t.State == "pending" && t.TimeoutSeconds > 0 && nowNS >= t.CreatedNS+int64(t.TimeoutSeconds)*1e9 {
			dr, cr := m.Accounts[t.DebitAccountID], m.Accounts[t.CreditAccountID]
			dr.DebitsPending -= t.Amount
			cr.CreditsPending -= t.Amount
			t.State = "expired"
			void := ledger.Transfer{ID: ledger.ExpiryID(id), DebitAccountID: t.DebitAccountID, CreditAccountID: t.CreditAccountID,
				Amount: t.Amount, Currency: t.Currency, Code: t.Code, PendingID: id, Flags: ledger.VoidPending | ledger.Expired}
			m.Transfers[void.ID] = &ModelTransfer{Transfer: void, CreatedNS: nowNS}
			m.Order = append(m.Order, void.ID)
		}
	}
}

func (m *Model) transfer(t ledger.Transfer, nowNS int64) ledger.TransferResult {
	const client = ledger.Linked | ledger.Pending | ledger.PostPending | ledger.VoidPending
	phases := 0
	for _, f := range []ledger.TransferFlags{ledger.Pending, ledger.PostPending, ledger.VoidPending} {
		if t.Flags&f != 0 {
			phases++
		}
	}
	resolving := t.Flags&(ledger.PostPending|ledger.VoidPending) != 0
	zero := ledger.ID{}
	switch {
	case t.ID == zero:
		return ledger.TransferIDMustNotBeZero
	case t.Flags&^client != 0:
		return ledger.TransferFlagsReserved
	case phases > 1:
		return ledger.TransferFlagsAreMutuallyExclusive
	case resolving && t.PendingID == zero:
		return ledger.TransferPendingIDMustNotBeZero
	case resolving && t.PendingID == t.ID:
		return ledger.TransferPendingIDMustBeDifferent
	case resolving && t.Amount < 0:
		return ledger.TransferAmountMustNotBeNegative
	case resolving && t.Currency != "" && !m.Currencies[t.Currency]:
		return ledger.TransferCurrencyInvalid
	case !resolving && t.PendingID != zero:
		return ledger.TransferPendingIDMustBeZero
	case t.TimeoutSeconds != 0 && t.Flags&ledger.Pending == 0:
		return ledger.TransferTimeoutReservedForPendingTransfer
	case t.TimeoutSeconds > ledger.MaxTimeoutSeconds:
		return ledger.TransferTimeoutTooLong
	case len(t.Reference) > ledger.MaxReferenceBytes:
		return ledger.TransferReferenceTooLong
	case resolving:
	case t.DebitAccountID == zero:
		return ledger.TransferDebitAccountIDMustNotBeZero
	case t.CreditAccountID == zero:
		return ledger.TransferCreditAccountIDMustNotBeZero
	case t.DebitAccountID == t.CreditAccountID:
		return ledger.TransferAccountsMustBeDifferent
	case t.Amount <= 0:
		return ledger.TransferAmountMustBePositive
	case t.Code == 0:
		return ledger.TransferCodeMustNotBeZero
	case !m.Currencies[t.Currency]:
		return ledger.TransferCurrencyInvalid
	}
	if x, ok := m.Transfers[t.ID]; ok {
		if m.same(t, x) {
			return ledger.TransferExists
		}
		return ledger.TransferExistsWithDifferentFields
	}
	if resolving {
		return m.resolve(t, nowNS)
	}
	dr, cr := m.Accounts[t.DebitAccountID], m.Accounts[t.CreditAccountID]
	switch {
	case dr == nil:
		return ledger.TransferDebitAccountNotFound
	case cr == nil:
		return ledger.TransferCreditAccountNotFound
	case dr.Currency != cr.Currency:
		return ledger.TransferAccountsMustHaveTheSameCurrency
	case t.Currency != dr.Currency:
		return ledger.TransferCurrencyMustMatchAccounts
	}
	d, c := dr.Balance, cr.Balance
	a := t.Amount
	if t.Flags&ledger.Pending != 0 {
		switch {
		case overflows(d.DebitsPending, a):
			return ledger.TransferOverflowsDebitsPending
		case overflows(c.CreditsPending, a):
			return ledger.TransferOverflowsCreditsPending
		}
		d.DebitsPending += a
		c.CreditsPending += a
	} else {
		switch {
		case overflows(d.DebitsPosted, a):
			return ledger.TransferOverflowsDebitsPosted
		case overflows(c.CreditsPosted, a):
			return ledger.TransferOverflowsCreditsPosted
		}
		d.DebitsPosted += a
		c.CreditsPosted += a
	}
	switch {
	case overflows(d.DebitsPending, d.DebitsPosted):
		return ledger.TransferOverflowsDebits
	case overflows(c.CreditsPending, c.CreditsPosted):
		return ledger.TransferOverflowsCredits
	case dr.Flags&ledger.DebitsMustNotExceedCredits != 0 && d.DebitsPending+d.DebitsPosted > d.CreditsPosted:
		return ledger.TransferExceedsCredits
	case cr.Flags&ledger.CreditsMustNotExceedDebits != 0 && c.CreditsPending+c.CreditsPosted > c.DebitsPosted:
		return ledger.TransferExceedsDebits
	}
	dr.Balance, cr.Balance = d, c
	stored := &ModelTransfer{Transfer: t, CreatedNS: nowNS}
	if t.Flags&ledger.Pending != 0 {
		stored.State = "pending"
	}
	m.Transfers[t.ID] = stored
	m.Order = append(m.Order, t.ID)
	return ledger.TransferCreated
}

func (m *Model) resolve(t ledger.Transfer, nowNS int64) ledger.TransferResult {
	p := m.Transfers[t.PendingID]
	switch {
	case p == nil:
		return ledger.TransferPendingTransferNotFound
	case p.Flags&ledger.Pending == 0:
		return ledger.TransferPendingTransferNotPending
	case t.DebitAccountID != ledger.ID{} && t.DebitAccountID != p.DebitAccountID:
		return ledger.TransferPendingTransferHasDifferentDebitAccountID
	case t.CreditAccountID != ledger.ID{} && t.CreditAccountID != p.CreditAccountID:
		return ledger.TransferPendingTransferHasDifferentCreditAccountID
	case t.Currency != "" && t.Currency != p.Currency:
		return ledger.TransferPendingTransferHasDifferentCurrency
	case t.Code != 0 && t.Code != p.Code:
		return ledger.TransferPendingTransferHasDifferentCode
	case p.State == "expired":
		return ledger.TransferPendingTransferExpired
	case p.State == "posted":
		return ledger.TransferPendingTransferAlreadyPosted
	case p.State == "voided":
		return ledger.TransferPendingTransferAlreadyVoided
	}
	post := t.Flags&ledger.PostPending != 0
	switch {
	case !post && t.Amount != 0 && t.Amount != p.Amount:
		return ledger.TransferPendingTransferHasDifferentAmount
	case post && t.Amount > p.Amount:
		return ledger.TransferExceedsPendingTransferAmount
	case p.TimeoutSeconds > 0 && nowNS >= p.CreatedNS+int64(p.TimeoutSeconds)*1e9:
		return ledger.TransferPendingTransferExpired
	}
	amount := p.Amount
	if post && t.Amount != 0 {
		amount = t.Amount
	}
	dr, cr := m.Accounts[p.DebitAccountID], m.Accounts[p.CreditAccountID]
	d, c := dr.Balance, cr.Balance
	d.DebitsPending -= p.Amount
	c.CreditsPending -= p.Amount
	if post {
		switch {
		case overflows(d.DebitsPosted, amount):
			return ledger.TransferOverflowsDebitsPosted
		case overflows(c.CreditsPosted, amount):
			return ledger.TransferOverflowsCreditsPosted
		}
		d.DebitsPosted += amount
		c.CreditsPosted += amount
		p.State = "posted"
	} else {
		p.State = "voided"
	}
	dr.Balance, cr.Balance = d, c
	stored := t
	stored.Amount = amount
	stored.DebitAccountID, stored.CreditAccountID, stored.Currency = p.DebitAccountID, p.CreditAccountID, p.Currency
	if stored.Code == 0 {
		stored.Code = p.Code
	}
	m.Transfers[t.ID] = &ModelTransfer{Transfer: stored, CreatedNS: nowNS}
	m.Order = append(m.Order, t.ID)
	return ledger.TransferCreated
}

// same reports whether t, submitted again, matches the stored x; fields a
// post or void may leave out are compared only when given.
func (m *Model) same(t ledger.Transfer, x *ModelTransfer) bool {
	if t.Flags != x.Flags || t.PendingID != x.PendingID || t.Reference != x.Reference || t.TimeoutSeconds != x.TimeoutSeconds {
		return false
	}
	if t.Flags&(ledger.PostPending|ledger.VoidPending) != 0 {
		zero := ledger.ID{}
		return (t.DebitAccountID == zero || t.DebitAccountID == x.DebitAccountID) &&
			(t.CreditAccountID == zero || t.CreditAccountID == x.CreditAccountID) &&
			(t.Currency == "" || t.Currency == x.Currency) && (t.Code == 0 || t.Code == x.Code) &&
			(t.Amount == 0 || t.Amount == x.Amount)
	}
	return t.DebitAccountID == x.DebitAccountID && t.CreditAccountID == x.CreditAccountID &&
		t.Amount == x.Amount && t.Currency == x.Currency && t.Code == x.Code
}

func overflows(a, b int64) bool { return a > math.MaxInt64-b }

// History returns the ids of an account's transfers, newest first.
func (m *Model) History(id ledger.ID) []ledger.ID {
	var out []ledger.ID
	for i := len(m.Order) - 1; i >= 0; i-- {
		t := m.Transfers[m.Order[i]]
		if t.DebitAccountID == id || t.CreditAccountID == id {
			out = append(out, t.ID)
		}
	}
	return out
}
