package ledgertest

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Run runs the conformance suite against one kind of store.
func Run(t *testing.T, cfg Config) {
	tests := []struct {
		name string
		fn   func(*testing.T, Config)
	}{
		{"Accounts", testAccounts},
		{"SingleTransfers", testSingleTransfers},
		{"Overflow", testOverflow},
		{"LinkedChains", testLinkedChains},
		{"TwoPhase", testTwoPhase},
		{"Expiry", testExpiry},
		{"Idempotency", testIdempotency},
		{"History", testHistory},
		{"DeepHistorySeek", testDeepHistorySeek},
		{"ConcurrentHotAccount", testConcurrentHotAccount},
		{"RestartKeepsEverything", testRestart},
		{"SmallCache", testSmallCache},
		{"CheckDetectsTampering", testCheckDetectsTampering},
		{"Model", testModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, cfg) })
	}
}

func wantAccountResults(t *testing.T, got, want []ledger.AccountResult) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("account results %v, want %v", got, want)
	}
}

func wantTransferResults(t *testing.T, got, want []ledger.TransferResult) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("transfer results %v, want %v", got, want)
	}
}

func wantBalance(t *testing.T, env *Env, id ledger.ID, want ledger.Balance) {
	t.Helper()
	if got := env.Account(id).Balance; got != want {
		t.Fatalf("account %s balance %+v, want %+v", id, got, want)
	}
}

func testAccounts(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	a := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	b := NewAccount("JPY", 0)
	wantAccountResults(t, env.Accounts(a, b), []ledger.AccountResult{ledger.AccountCreated, ledger.AccountCreated})

	changed := a
	changed.Code = 2
	zero := NewAccount("CNY", 0)
	zero.ID = ledger.ID{}
	both := NewAccount("CNY", ledger.DebitsMustNotExceedCredits|ledger.CreditsMustNotExceedDebits)
	reserved := NewAccount("CNY", 1<<7)
	noCode := NewAccount("CNY", 0)
	noCode.Code = 0
	badCur := NewAccount("XYZ", 0)
	metal := NewAccount("XAU", 0) // no minor units: not for accounts
	longOwner := NewAccount("CNY", 0)
	longOwner.Owner = strings.Repeat("o", ledger.MaxOwnerBytes+1)
	got := env.Accounts(a, changed, zero, both, reserved, noCode, badCur, metal, longOwner)
	wantAccountResults(t, got, []ledger.AccountResult{
		ledger.AccountExists, ledger.AccountExistsWithDifferentFields, ledger.AccountIDMustNotBeZero,
		ledger.AccountFlagsAreMutuallyExclusive, ledger.AccountFlagsReserved, ledger.AccountCodeMustNotBeZero,
		ledger.AccountCurrencyInvalid, ledger.AccountCurrencyInvalid, ledger.AccountOwnerTooLong,
	})

	// The same id twice in one request: the second sees the first.
	c := NewAccount("USD", 0)
	wantAccountResults(t, env.Accounts(c, c), []ledger.AccountResult{ledger.AccountCreated, ledger.AccountExists})

	got1 := env.Account(a.ID)
	if got1.Currency != "CNY" || got1.Flags != ledger.DebitsMustNotExceedCredits || got1.Owner != "test" || got1.Timestamp == 0 {
		t.Fatalf("account read back as %+v", got1)
	}
	if _, err := env.Engine.LookupAccount(env.Ctx(), ledger.NewID()); err != ledger.ErrNotFound {
		t.Fatalf("unknown account: err %v, want ErrNotFound", err)
	}
	env.Restart()
	if got2 := env.Account(a.ID); got2 != got1 {
		t.Fatalf("after restart %+v, before %+v", got2, got1)
	}
	wantAccountResults(t, env.Accounts(a, changed), []ledger.AccountResult{ledger.AccountExists, ledger.AccountExistsWithDifferentFields})
	env.CheckOK()
}

func testSingleTransfers(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	bank := NewAccount("CNY", 0)
	alice := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	bob := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	loan := NewAccount("CNY", ledger.CreditsMustNotExceedDebits)
	yen := NewAccount("JPY", 0)
	env.Accounts(bank, alice, bob, loan, yen)

	topUp := Move(bank.ID, alice.ID, 10_000, "CNY")
	pay := Move(alice.ID, bob.ID, 2_500, "CNY")
	overdraft := Move(alice.ID, bob.ID, 7_501, "CNY")
	exact := Move(alice.ID, bob.ID, 7_500, "CNY")
	wantTransferResults(t, env.Transfers(topUp, pay, overdraft, exact), []ledger.TransferResult{
		ledger.TransferCreated, ledger.TransferCreated, ledger.TransferExceedsCredits, ledger.TransferCreated,
	})
	wantBalance(t, env, alice.ID, ledger.Balance{DebitsPosted: 10_000, CreditsPosted: 10_000})
	wantBalance(t, env, bob.ID, ledger.Balance{CreditsPosted: 10_000})
	wantBalance(t, env, bank.ID, ledger.Balance{DebitsPosted: 10_000})

	// A liability account can not be credited beyond its debits.
	wantTransferResults(t, env.Transfers(Move(loan.ID, bank.ID, 300, "CNY"), Move(bank.ID, loan.ID, 301, "CNY"),
		Move(bank.ID, loan.ID, 300, "CNY")), []ledger.TransferResult{
		ledger.TransferCreated, ledger.TransferExceedsDebits, ledger.TransferCreated,
	})

	zeroID := Move(bank.ID, bob.ID, 1, "CNY")
	zeroID.ID = ledger.ID{}
	reserved := Move(bank.ID, bob.ID, 1, "CNY")
	reserved.Flags = ledger.Expired
	exclusive := Move(bank.ID, bob.ID, 1, "CNY")
	exclusive.Flags = ledger.Pending | ledger.PostPending
	withPending := Move(bank.ID, bob.ID, 1, "CNY")
	withPending.PendingID = ledger.NewID()
	timeout := Move(bank.ID, bob.ID, 1, "CNY")
	timeout.TimeoutSeconds = 5
	longRef := Move(bank.ID, bob.ID, 1, "CNY")
	longRef.Reference = strings.Repeat("r", ledger.MaxReferenceBytes+1)
	noDebit := Move(ledger.ID{}, bob.ID, 1, "CNY")
	noCredit := Move(bank.ID, ledger.ID{}, 1, "CNY")
	same := Move(bob.ID, bob.ID, 1, "CNY")
	zeroAmount := Move(bank.ID, bob.ID, 0, "CNY")
	negative := Move(bank.ID, bob.ID, -5, "CNY")
	noCode := Move(bank.ID, bob.ID, 1, "CNY")
	noCode.Code = 0
	badCur := Move(bank.ID, bob.ID, 1, "ABC")
	unknownDebit := Move(ledger.NewID(), bob.ID, 1, "CNY")
	unknownCredit := Move(bank.ID, ledger.NewID(), 1, "CNY")
	mixed := Move(bank.ID, yen.ID, 1, "CNY")
	wrongCur := Move(bank.ID, bob.ID, 1, "USD")
	got := env.Transfers(zeroID, reserved, exclusive, withPending, timeout, longRef, noDebit, noCredit, same,
		zeroAmount, negative, noCode, badCur, unknownDebit, unknownCredit, mixed, wrongCur)
	wantTransferResults(t, got, []ledger.TransferResult{
		ledger.TransferIDMustNotBeZero, ledger.TransferFlagsReserved, ledger.TransferFlagsAreMutuallyExclusive,
		ledger.TransferPendingIDMustBeZero, ledger.TransferTimeoutReservedForPendingTransfer,
		ledger.TransferReferenceTooLong, ledger.TransferDebitAccountIDMustNotBeZero,
		ledger.TransferCreditAccountIDMustNotBeZero, ledger.TransferAccountsMustBeDifferent,
		ledger.TransferAmountMustBePositive, ledger.TransferAmountMustBePositive, ledger.TransferCodeMustNotBeZero,
		ledger.TransferCurrencyInvalid, ledger.TransferDebitAccountNotFound, ledger.TransferCreditAccountNotFound,
		ledger.TransferAccountsMustHaveTheSameCurrency, ledger.TransferCurrencyMustMatchAccounts,
	})
	// None of the failures moved money.
	wantBalance(t, env, bob.ID, ledger.Balance{CreditsPosted: 10_000})

	tr, err := env.Engine.LookupTransfer(env.Ctx(), pay.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tr.DebitAccountID != alice.ID || tr.CreditAccountID != bob.ID || tr.Amount != 2_500 || tr.Currency != "CNY" || tr.Timestamp == 0 {
		t.Fatalf("transfer read back as %+v", tr)
	}
	if _, err := env.Engine.LookupTransfer(env.Ctx(), overdraft.ID); err != ledger.ErrNotFound {
		t.Fatalf("a refused transfer is not stored: err %v", err)
	}
	env.CheckOK()
}

func testOverflow(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	a, b, c := NewAccount("USD", 0), NewAccount("USD", 0), NewAccount("USD", 0)
	env.Accounts(a, b, c)
	wantTransferResults(t, env.Transfers(Move(a.ID, b.ID, math.MaxInt64, "USD"), Move(a.ID, c.ID, 1, "USD"),
		Move(c.ID, b.ID, 1, "USD")), []ledger.TransferResult{
		ledger.TransferCreated, ledger.TransferOverflowsDebitsPosted, ledger.TransferOverflowsCreditsPosted,
	})
	p := Move(c.ID, a.ID, 5, "USD")
	p.Flags = ledger.Pending
	wantTransferResults(t, env.Transfers(p), []ledger.TransferResult{ledger.TransferCreated})
	// a has posted credits 0, debits MaxInt64; crediting it with a pending
	// amount is fine, but debiting it more overflows debits.
	q := Move(a.ID, c.ID, 1, "USD")
	q.Flags = ledger.Pending
	wantTransferResults(t, env.Transfers(q), []ledger.TransferResult{ledger.TransferOverflowsDebits})
	wantBalance(t, env, a.ID, ledger.Balance{DebitsPosted: math.MaxInt64, CreditsPending: 5})
	env.CheckOK()
}

func testLinkedChains(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	bank := NewAccount("CNY", 0)
	user := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	shop := NewAccount("CNY", 0)
	fee := NewAccount("CNY", 0)
	env.Accounts(bank, user, shop, fee)
	env.Transfers(Move(bank.ID, user.ID, 1_000, "CNY"))

	linked := func(ts ...ledger.Transfer) []ledger.Transfer {
		for i := range ts[:len(ts)-1] {
			ts[i].Flags |= ledger.Linked
		}
		return ts
	}
	// Payment + fee: all or nothing.
	ok := linked(Move(user.ID, shop.ID, 600, "CNY"), Move(shop.ID, fee.ID, 6, "CNY"))
	wantTransferResults(t, env.Transfers(ok...), []ledger.TransferResult{ledger.TransferCreated, ledger.TransferCreated})
	bad := linked(Move(user.ID, shop.ID, 300, "CNY"), Move(user.ID, fee.ID, 101, "CNY"), Move(shop.ID, fee.ID, 1, "CNY"))
	wantTransferResults(t, env.Transfers(bad...), []ledger.TransferResult{
		ledger.TransferLinkedEventFailed, ledger.TransferExceedsCredits, ledger.TransferLinkedEventFailed,
	})
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPosted: 600, CreditsPosted: 1_000})
	wantBalance(t, env, shop.ID, ledger.Balance{DebitsPosted: 6, CreditsPosted: 600})
	if _, err := env.Engine.LookupTransfer(env.Ctx(), bad[0].ID); err != ledger.ErrNotFound {
		t.Fatalf("a transfer of a failed chain was stored: %v", err)
	}
	// A chain ends at the first transfer without the flag; a transfer after
	// a failed chain is independent of it.
	failing := linked(Move(user.ID, shop.ID, 1, "CNY"), Move(user.ID, shop.ID, 10_000, "CNY"))
	after := Move(bank.ID, user.ID, 5, "CNY")
	wantTransferResults(t, env.Transfers(append(failing, after)...), []ledger.TransferResult{
		ledger.TransferLinkedEventFailed, ledger.TransferExceedsCredits, ledger.TransferCreated,
	})
	// A chain that never closes fails whole.
	open := []ledger.Transfer{Move(user.ID, shop.ID, 1, "CNY"), Move(user.ID, shop.ID, 1, "CNY")}
	open[0].Flags, open[1].Flags = ledger.Linked, ledger.Linked
	wantTransferResults(t, env.Transfers(open...), []ledger.TransferResult{
		ledger.TransferLinkedEventFailed, ledger.TransferLinkedEventChainOpen,
	})
	// Submitting a committed chain again: every transfer exists.
	wantTransferResults(t, env.Transfers(ok...), []ledger.TransferResult{ledger.TransferExists, ledger.TransferExists})
	// Part of a chain exists, part is new: not the chain that was committed.
	half := linked(ok[0], Move(shop.ID, fee.ID, 1, "CNY"))
	wantTransferResults(t, env.Transfers(half...), []ledger.TransferResult{ledger.TransferExists, ledger.TransferLinkedEventFailed})
	// A chain whose later transfer depends on an earlier one's balance.
	dep := linked(Move(bank.ID, user.ID, 50, "CNY"), Move(user.ID, shop.ID, 455, "CNY"))
	wantTransferResults(t, env.Transfers(dep...), []ledger.TransferResult{ledger.TransferCreated, ledger.TransferCreated})
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPosted: 1_055, CreditsPosted: 1_055})
	env.CheckOK()
}

func pending(from, to ledger.ID, amount int64, timeout uint32) ledger.Transfer {
	t := Move(from, to, amount, "CNY")
	t.Flags, t.TimeoutSeconds = ledger.Pending, timeout
	return t
}

func resolve(p ledger.Transfer, flags ledger.TransferFlags, amount int64) ledger.Transfer {
	return ledger.Transfer{ID: ledger.NewID(), PendingID: p.ID, Flags: flags, Amount: amount}
}

func testTwoPhase(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	bank := NewAccount("CNY", 0)
	user := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	shop := NewAccount("CNY", 0)
	env.Accounts(bank, user, shop)
	env.Transfers(Move(bank.ID, user.ID, 1_000, "CNY"))

	hold := pending(user.ID, shop.ID, 700, 0)
	wantTransferResults(t, env.Transfers(hold, pending(user.ID, shop.ID, 301, 0)),
		[]ledger.TransferResult{ledger.TransferCreated, ledger.TransferExceedsCredits})
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPending: 700, CreditsPosted: 1_000})
	wantBalance(t, env, shop.ID, ledger.Balance{CreditsPending: 700})

	partial := resolve(hold, ledger.PostPending, 650)
	wantTransferResults(t, env.Transfers(resolve(hold, ledger.PostPending, 701), partial, resolve(hold, ledger.PostPending, 0),
		resolve(hold, ledger.VoidPending, 0)), []ledger.TransferResult{
		ledger.TransferExceedsPendingTransferAmount, ledger.TransferCreated,
		ledger.TransferPendingTransferAlreadyPosted, ledger.TransferPendingTransferAlreadyPosted,
	})
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPosted: 650, CreditsPosted: 1_000})
	wantBalance(t, env, shop.ID, ledger.Balance{CreditsPosted: 650})
	posted, err := env.Engine.LookupTransfer(env.Ctx(), partial.ID)
	if err != nil || posted.Amount != 650 || posted.DebitAccountID != user.ID || posted.PendingID != hold.ID {
		t.Fatalf("post read back as %+v (%v)", posted, err)
	}

	// Void, in the same request as the pending transfer it voids.
	h2 := pending(user.ID, shop.ID, 100, 0)
	v2 := resolve(h2, ledger.VoidPending, 0)
	wantTransferResults(t, env.Transfers(h2, v2, resolve(h2, ledger.PostPending, 0)), []ledger.TransferResult{
		ledger.TransferCreated, ledger.TransferCreated, ledger.TransferPendingTransferAlreadyVoided,
	})
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPosted: 650, CreditsPosted: 1_000})

	// Rules of post and void.
	h3 := pending(user.ID, shop.ID, 200, 0)
	env.Transfers(h3)
	single := Move(bank.ID, shop.ID, 1, "CNY")
	env.Transfers(single)
	wrongDebit := resolve(h3, ledger.PostPending, 0)
	wrongDebit.DebitAccountID = bank.ID
	wrongCredit := resolve(h3, ledger.PostPending, 0)
	wrongCredit.CreditAccountID = bank.ID
	wrongCur := resolve(h3, ledger.PostPending, 0)
	wrongCur.Currency = "USD"
	wrongCode := resolve(h3, ledger.PostPending, 0)
	wrongCode.Code = 9
	rightFields := resolve(h3, ledger.VoidPending, 200)
	rightFields.DebitAccountID, rightFields.CreditAccountID, rightFields.Currency, rightFields.Code = user.ID, shop.ID, "CNY", 1
	noPending := resolve(h3, ledger.PostPending, 0)
	noPending.PendingID = ledger.ID{}
	selfPending := resolve(h3, ledger.PostPending, 0)
	selfPending.PendingID = selfPending.ID
	got := env.Transfers(resolve(single, ledger.PostPending, 0), resolve(ledger.Transfer{ID: ledger.NewID()}, ledger.PostPending, 0),
		wrongDebit, wrongCredit, wrongCur, wrongCode, resolve(h3, ledger.VoidPending, 199), resolve(h3, ledger.PostPending, -1),
		noPending, selfPending, rightFields)
	wantTransferResults(t, got, []ledger.TransferResult{
		ledger.TransferPendingTransferNotPending, ledger.TransferPendingTransferNotFound,
		ledger.TransferPendingTransferHasDifferentDebitAccountID, ledger.TransferPendingTransferHasDifferentCreditAccountID,
		ledger.TransferPendingTransferHasDifferentCurrency, ledger.TransferPendingTransferHasDifferentCode,
		ledger.TransferPendingTransferHasDifferentAmount, ledger.TransferAmountMustNotBeNegative,
		ledger.TransferPendingIDMustNotBeZero, ledger.TransferPendingIDMustBeDifferent, ledger.TransferCreated,
	})
	// A resolution submitted again is "exists", also when it left fields to inherit.
	wantTransferResults(t, env.Transfers(partial), []ledger.TransferResult{ledger.TransferExists})
	env.Restart()
	wantTransferResults(t, env.Transfers(partial, resolve(hold, ledger.VoidPending, 0)), []ledger.TransferResult{
		ledger.TransferExists, ledger.TransferPendingTransferAlreadyPosted,
	})
	env.CheckOK()
}

func testExpiry(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	bank := NewAccount("CNY", 0)
	user := NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	shop := NewAccount("CNY", 0)
	env.Accounts(bank, user, shop)
	env.Transfers(Move(bank.ID, user.ID, 1_000, "CNY"))

	short := pending(user.ID, shop.ID, 300, 2)
	long := pending(user.ID, shop.ID, 400, 60)
	wantTransferResults(t, env.Transfers(short, long, pending(user.ID, shop.ID, 1, ledger.MaxTimeoutSeconds+1)),
		[]ledger.TransferResult{ledger.TransferCreated, ledger.TransferCreated, ledger.TransferTimeoutTooLong})
	env.Clock.Advance(2500 * time.Millisecond)
	// Past its timeout, a pending transfer can not be posted, even before
	// the engine has voided it.
	wantTransferResults(t, env.Transfers(resolve(short, ledger.PostPending, 0)), []ledger.TransferResult{ledger.TransferPendingTransferExpired})
	if err := env.Engine.SweepExpired(env.Ctx()); err != nil {
		t.Fatal(err)
	}
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPending: 400, CreditsPosted: 1_000})
	wantTransferResults(t, env.Transfers(resolve(short, ledger.VoidPending, 0), resolve(long, ledger.PostPending, 0)),
		[]ledger.TransferResult{ledger.TransferPendingTransferExpired, ledger.TransferCreated})
	void, err := env.Engine.LookupTransfer(env.Ctx(), ledger.ExpiryID(short.ID))
	if err != nil || void.Flags != ledger.VoidPending|ledger.Expired || void.Amount != 300 || void.PendingID != short.ID {
		t.Fatalf("expiry void %+v (%v)", void, err)
	}
	// The engine sweeps by itself too, on its own clock, when idle.
	third := pending(user.ID, shop.ID, 50, 1)
	env.Transfers(third)
	env.Clock.Advance(1500 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for env.Account(user.ID).DebitsPending != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending transfer not voided by the engine: %+v", env.Account(user.ID).Balance)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantBalance(t, env, user.ID, ledger.Balance{DebitsPosted: 400, CreditsPosted: 1_000})
	env.CheckOK()
}

func testIdempotency(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	bank := NewAccount("CNY", 0)
	user := NewAccount("CNY", 0)
	env.Accounts(bank, user)
	pay := Move(bank.ID, user.ID, 42, "CNY")
	var wg sync.WaitGroup
	results := make([]ledger.TransferResult, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := env.Engine.CreateTransfers(env.Ctx(), []ledger.Transfer{pay})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = r[0]
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		switch r {
		case ledger.TransferCreated:
			created++
		case ledger.TransferExists:
		default:
			t.Fatalf("result %v", r)
		}
	}
	if created != 1 {
		t.Fatalf("the same transfer sent 10 times at once was created %d times", created)
	}
	changed := pay
	changed.Amount = 43
	wantTransferResults(t, env.Transfers(pay, changed), []ledger.TransferResult{ledger.TransferExists, ledger.TransferExistsWithDifferentFields})
	// After a restart the engine's memory is empty: the store's unique
	// index must catch the duplicate, in a batch with new transfers.
	env.Restart()
	fresh := Move(bank.ID, user.ID, 1, "CNY")
	wantTransferResults(t, env.Transfers(fresh, pay, changed), []ledger.TransferResult{
		ledger.TransferCreated, ledger.TransferExists, ledger.TransferExistsWithDifferentFields,
	})
	wantBalance(t, env, user.ID, ledger.Balance{CreditsPosted: 43})
	env.CheckOK()
}

// history returns every transfer id of an account, newest first, by pages.
func history(t *testing.T, env *Env, id ledger.ID, f ledger.TransferFilter) []ledger.ID {
	t.Helper()
	var out []ledger.ID
	for range 10_000 {
		page, err := env.Engine.AccountTransfers(env.Ctx(), id, f)
		if err != nil {
			t.Fatalf("history: %v", err)
		}
		for _, tr := range page.Transfers {
			out = append(out, tr.ID)
		}
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
	t.Fatal("history never ends")
	return nil
}

func testHistory(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	a, b, c := NewAccount("CNY", 0), NewAccount("CNY", 0), NewAccount("CNY", 0)
	env.Accounts(a, b, c)
	var ids []ledger.ID // a's transfers, oldest first
	var times []time.Time
	var balances []ledger.Balance // a's balance after each of them
	bal := ledger.Balance{}
	for i := range 25 {
		env.Clock.Advance(time.Second)
		var tr ledger.Transfer
		if i%3 == 0 {
			tr = Move(b.ID, a.ID, int64(i+1), "CNY")
			bal.CreditsPosted += int64(i + 1)
		} else {
			tr = Move(a.ID, c.ID, int64(i+1), "CNY")
			bal.DebitsPosted += int64(i + 1)
		}
		wantTransferResults(t, env.Transfers(tr, Move(b.ID, c.ID, 1, "CNY")), []ledger.TransferResult{ledger.TransferCreated, ledger.TransferCreated})
		ids = append(ids, tr.ID)
		got, _ := env.Engine.LookupTransfer(env.Ctx(), tr.ID)
		times = append(times, got.CreatedAt())
		balances = append(balances, bal)
	}
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)
	for _, limit := range []int{1, 7, 25, 100} {
		if got := history(t, env, a.ID, ledger.TransferFilter{Limit: limit}); !slices.Equal(got, newestFirst) {
			t.Fatalf("history with pages of %d: %d transfers, want %d in order", limit, len(got), len(newestFirst))
		}
	}
	// [From, To): transfers 5..14.
	f := ledger.TransferFilter{From: times[5], To: times[15], Limit: 4}
	want := slices.Clone(ids[5:15])
	slices.Reverse(want)
	if got := history(t, env, a.ID, f); !slices.Equal(got, want) {
		t.Fatalf("time range: got %d transfers, want %d", len(got), len(want))
	}
	for i := range ids {
		got, err := env.Engine.BalanceAt(env.Ctx(), a.ID, times[i])
		if err != nil || got != balances[i] {
			t.Fatalf("balance at transfer %d: %+v (%v), want %+v", i, got, err, balances[i])
		}
		if i > 0 {
			before, _ := env.Engine.BalanceAt(env.Ctx(), a.ID, times[i].Add(-time.Nanosecond))
			if before != balances[i-1] {
				t.Fatalf("balance just before transfer %d: %+v, want %+v", i, before, balances[i-1])
			}
		}
	}
	if got, _ := env.Engine.BalanceAt(env.Ctx(), a.ID, times[0].Add(-time.Hour)); got != (ledger.Balance{}) {
		t.Fatalf("balance before any transfer: %+v", got)
	}
	if _, err := env.Engine.AccountTransfers(env.Ctx(), a.ID, ledger.TransferFilter{Cursor: "not-a-cursor"}); err == nil {
		t.Fatal("a bad cursor is an error")
	}
	page, _ := env.Engine.AccountTransfers(env.Ctx(), b.ID, ledger.TransferFilter{Limit: 1})
	if _, err := env.Engine.AccountTransfers(env.Ctx(), c.ID, ledger.TransferFilter{Cursor: page.Next}); err == nil {
		// b's last page cursor names a transfer of b and c... pick one that is not c's.
		tr, _ := env.Engine.LookupTransfer(env.Ctx(), page.Transfers[0].ID)
		if tr.CreditAccountID != c.ID && tr.DebitAccountID != c.ID {
			t.Fatal("a cursor from another account's history is refused")
		}
	}
	env.Restart()
	if got := history(t, env, a.ID, ledger.TransferFilter{Limit: 6}); !slices.Equal(got, newestFirst) {
		t.Fatal("history differs after restart")
	}
	env.CheckOK()
}

func testDeepHistorySeek(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	hot, src := NewAccount("CNY", 0), NewAccount("CNY", 0)
	env.Accounts(hot, src)
	const n = 3000
	type point struct {
		at  time.Time
		bal ledger.Balance
	}
	var points []point
	var bal ledger.Balance
	for i := 0; i < n; i += 100 {
		env.Clock.Advance(time.Second)
		batch := make([]ledger.Transfer, 100)
		for j := range batch {
			batch[j] = Move(src.ID, hot.ID, int64(i+j+1), "CNY")
			bal.CreditsPosted += int64(i + j + 1)
		}
		env.Transfers(batch...)
		last, _ := env.Engine.LookupTransfer(env.Ctx(), batch[99].ID)
		points = append(points, point{last.CreatedAt(), bal})
	}
	for _, p := range points {
		got, err := env.Engine.BalanceAt(env.Ctx(), hot.ID, p.at)
		if err != nil || got != p.bal {
			t.Fatalf("balance at %v: %+v (%v), want %+v", p.at, got, err, p.bal)
		}
	}
	// A page in the middle of a long history.
	page, err := env.Engine.AccountTransfers(env.Ctx(), hot.ID, ledger.TransferFilter{To: points[10].at.Add(time.Nanosecond), Limit: 3})
	if err != nil || len(page.Transfers) != 3 || page.Transfers[0].Amount != 1100 || page.Transfers[2].Amount != 1098 {
		t.Fatalf("page at transfer 1100: %+v (%v)", page.Transfers, err)
	}
	env.CheckOK()
}

func testConcurrentHotAccount(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	merchant := NewAccount("CNY", 0)
	bank := NewAccount("CNY", 0)
	env.Accounts(merchant, bank)
	const clients, each, funds = 16, 50, 1000
	users := make([]ledger.Account, clients)
	for i := range users {
		users[i] = NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
		env.Accounts(users[i])
		env.Transfers(Move(bank.ID, users[i].ID, funds, "CNY"))
	}
	var wg sync.WaitGroup
	paid := make([]int64, clients)
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				amount := int64(10 + (i+j)%40)
				r, err := env.Engine.CreateTransfers(env.Ctx(), []ledger.Transfer{Move(users[i].ID, merchant.ID, amount, "CNY")})
				if err != nil {
					t.Error(err)
					return
				}
				switch r[0] {
				case ledger.TransferCreated:
					paid[i] += amount
				case ledger.TransferExceedsCredits:
				default:
					t.Errorf("result %v", r[0])
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for i, u := range users {
		total += paid[i]
		wantBalance(t, env, u.ID, ledger.Balance{DebitsPosted: paid[i], CreditsPosted: funds})
		if paid[i] > funds {
			t.Fatalf("user %d paid %d out of %d", i, paid[i], funds)
		}
	}
	wantBalance(t, env, merchant.ID, ledger.Balance{CreditsPosted: total})
	env.CheckOK()
}

func testRestart(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{})
	accounts := make([]ledger.Account, 50)
	for i := range accounts {
		accounts[i] = NewAccount("EUR", 0)
	}
	env.Accounts(accounts...)
	want := map[ledger.ID]ledger.Balance{}
	for round := range 5 {
		var ts []ledger.Transfer
		for i := range accounts {
			j := (i + round + 1) % len(accounts)
			ts = append(ts, Move(accounts[i].ID, accounts[j].ID, int64(i+1), "EUR"))
			b := want[accounts[i].ID]
			b.DebitsPosted += int64(i + 1)
			want[accounts[i].ID] = b
			c := want[accounts[j].ID]
			c.CreditsPosted += int64(i + 1)
			want[accounts[j].ID] = c
		}
		env.Transfers(ts...)
		if round%2 == 1 {
			env.Restart()
		}
	}
	for id, b := range want {
		wantBalance(t, env, id, b)
	}
	env.CheckOK()
	env.Restart()
	for id, b := range want {
		wantBalance(t, env, id, b)
	}
}

func testSmallCache(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{CacheAccounts: 4})
	accounts := make([]ledger.Account, 40)
	for i := range accounts {
		accounts[i] = NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	}
	bank := NewAccount("CNY", 0)
	env.Accounts(append(accounts, bank)...)
	for _, a := range accounts {
		env.Transfers(Move(bank.ID, a.ID, 100, "CNY"))
	}
	for round := range 3 {
		for i, a := range accounts {
			b := accounts[(i+round+1)%len(accounts)]
			wantTransferResults(t, env.Transfers(Move(a.ID, b.ID, 10, "CNY")), []ledger.TransferResult{ledger.TransferCreated})
		}
	}
	for _, a := range accounts {
		wantBalance(t, env, a.ID, ledger.Balance{DebitsPosted: 30, CreditsPosted: 130})
	}
	env.CheckOK()
}

func testCheckDetectsTampering(t *testing.T, cfg Config) {
	if cfg.Exec == nil {
		t.Skip("no way to tamper with this store")
	}
	cases := []struct {
		name  string
		query string
	}{
		{"amount changed", "UPDATE transfers SET amount = amount + 1 WHERE ts = (SELECT max(ts) FROM transfers)"},
		{"transfer deleted", "DELETE FROM transfers WHERE ts = (SELECT min(ts) FROM transfers WHERE debit_prev > 0)"},
		{"accounts swapped", "UPDATE transfers SET debit_account = credit_account, credit_account = debit_account WHERE ts = (SELECT max(ts) FROM transfers)"},
		{"balance row changed", "UPDATE account_balances SET credits_posted = credits_posted + 5 WHERE key = (SELECT min(key) FROM account_balances)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := NewEnv(t, cfg, ledger.Options{})
			a, b := NewAccount("CNY", 0), NewAccount("CNY", 0)
			env.Accounts(a, b)
			for i := range 5 {
				env.Transfers(Move(a.ID, b.ID, int64(10+i), "CNY"), Move(b.ID, a.ID, 3, "CNY"))
			}
			if err := env.Engine.Flush(env.Ctx()); err != nil {
				t.Fatal(err)
			}
			env.CheckOK()
			cfg.Exec(t, env.Store, tc.query)
			rep, err := ledger.Check(env.Ctx(), env.Store)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("check did not notice: %s", tc.query)
			}
			t.Logf("found: %s", rep.Violations[0])
		})
	}
}
