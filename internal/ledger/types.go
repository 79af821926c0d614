package ledger

import (
	"fmt"
	"time"
)

// Balance holds the four balance fields of an account, in minor units of
// the account's currency. Pending amounts are reserved by two-phase
// transfers that are neither posted nor voided yet.
type Balance struct {
	DebitsPending  int64 `json:"debits_pending"`
	DebitsPosted   int64 `json:"debits_posted"`
	CreditsPending int64 `json:"credits_pending"`
	CreditsPosted  int64 `json:"credits_posted"`
}

// AccountFlags are the rules an account enforces on every transfer.
type AccountFlags uint16

const (
	// DebitsMustNotExceedCredits: debits_pending + debits_posted may never
	// exceed credits_posted (a wallet that can not go negative).
	DebitsMustNotExceedCredits AccountFlags = 1 << iota
	// CreditsMustNotExceedDebits: credits_pending + credits_posted may never
	// exceed debits_posted (a liability that can not be overpaid).
	CreditsMustNotExceedDebits

	accountFlagsKnown = DebitsMustNotExceedCredits | CreditsMustNotExceedDebits
)

var accountFlagNames = []struct {
	flag AccountFlags
	name string
}{
	{DebitsMustNotExceedCredits, "debits_must_not_exceed_credits"},
	{CreditsMustNotExceedDebits, "credits_must_not_exceed_debits"},
}

// AccountFlagNames lists the flag names accepted by ParseAccountFlag.
func AccountFlagNames() []string {
	names := make([]string, len(accountFlagNames))
	for i, f := range accountFlagNames {
		names[i] = f.name
	}
	return names
}

// ParseAccountFlag returns the flag called name.
func ParseAccountFlag(name string) (AccountFlags, error) {
	for _, f := range accountFlagNames {
		if f.name == name {
			return f.flag, nil
		}
	}
	return 0, fmt.Errorf("unknown account flag %q", truncate(name, 64))
}

// Names returns the names of the flags set in f.
func (f AccountFlags) Names() []string {
	names := []string{}
	for _, n := range accountFlagNames {
		if f&n.flag != 0 {
			names = append(names, n.name)
		}
	}
	return names
}

// Account is a ledger account. The client chooses ID, Currency, Code,
// Flags and Owner; the engine assigns Timestamp and keeps Balance.
type Account struct {
	ID       ID
	Currency string // ISO 4217 alphabetic code
	Code     uint16 // the kind of account, chosen by the application; not zero
	Flags    AccountFlags
	Owner    string // a reference to the owner, e.g. "user:42"; may be empty

	Timestamp int64 // nanoseconds since the Unix epoch, unique, assigned at creation
	Balance
}

// CreatedAt returns the account's creation time.
func (a *Account) CreatedAt() time.Time { return time.Unix(0, a.Timestamp).UTC() }

// TransferFlags say what kind of transfer it is.
type TransferFlags uint16

const (
	// Linked: this transfer and the next one in the same request succeed or
	// fail together. A chain ends at the first transfer without the flag.
	Linked TransferFlags = 1 << iota
	// Pending reserves the amount (two-phase transfer, first phase).
	Pending
	// PostPending posts a pending transfer, wholly or partly.
	PostPending
	// VoidPending releases a pending transfer.
	VoidPending
	// Expired marks the void the engine writes by itself when a pending
	// transfer's timeout passes. Clients can not set it.
	Expired

	transferFlagsClient = Linked | Pending | PostPending | VoidPending
)

var transferFlagNames = []struct {
	flag TransferFlags
	name string
}{
	{Linked, "linked"},
	{Pending, "pending"},
	{PostPending, "post_pending"},
	{VoidPending, "void_pending"},
	{Expired, "expired"},
}

// TransferFlagNames lists the flag names a client may use.
func TransferFlagNames() []string {
	names := []string{}
	for _, f := range transferFlagNames {
		if f.flag&transferFlagsClient != 0 {
			names = append(names, f.name)
		}
	}
	return names
}

// ParseTransferFlag returns the client flag called name.
func ParseTransferFlag(name string) (TransferFlags, error) {
	for _, f := range transferFlagNames {
		if f.name == name && f.flag&transferFlagsClient != 0 {
			return f.flag, nil
		}
	}
	return 0, fmt.Errorf("unknown transfer flag %q", truncate(name, 64))
}

// Names returns the names of the flags set in f.
func (f TransferFlags) Names() []string {
	names := []string{}
	for _, n := range transferFlagNames {
		if f&n.flag != 0 {
			names = append(names, n.name)
		}
	}
	return names
}

// Transfer moves Amount from the debit account to the credit account.
//
// For PostPending and VoidPending, PendingID names the pending transfer;
// DebitAccountID, CreditAccountID, Currency and Code may be left zero to
// take the pending transfer's, and a zero Amount posts the full pending
// amount.
type Transfer struct {
	ID              ID
	DebitAccountID  ID
	CreditAccountID ID
	Amount          int64 // minor units
	Currency        string
	Code            uint16 // the kind of transfer, chosen by the application; not zero
	Reference       string // a reference to the business object, e.g. "order:7"
	Flags           TransferFlags
	PendingID       ID
	TimeoutSeconds  uint32 // pending transfers only; 0 = no timeout

	Timestamp int64 // nanoseconds since the Unix epoch, unique, assigned at commit
}

// CreatedAt returns the time the transfer was committed.
func (t *Transfer) CreatedAt() time.Time { return time.Unix(0, t.Timestamp).UTC() }
