package ledgertest

import (
	"math"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// testModel drives the engine and the reference model with the same random
// sequences of requests — accounts, transfers, linked chains, pending
// transfers, posts, voids, expiries, resubmissions and restarts — and
// demands that they agree on every result, every balance and every
// account's history, and that the checker finds nothing wrong.
func testModel(t *testing.T, cfg Config) {
	env := NewEnv(t, cfg, ledger.Options{CacheAccounts: 8})
	rapid.Check(t, func(rt *rapid.T) {
		(&modelRun{rt: rt, t: t, env: env, m: NewModel()}).run()
	})
	env.CheckOK()
}

type modelRun struct {
	rt        *rapid.T
	t         *testing.T
	env       *Env
	m         *Model
	accounts  []ledger.ID
	transfers []ledger.Transfer // every transfer submitted, for resubmission and pending ids
}

func (r *modelRun) run() {
	// Each run has accounts of its own; a bank without limits funds them.
	for range rapid.IntRange(3, 6).Draw(r.rt, "accounts") {
		r.accounts = append(r.accounts, ledger.NewID())
	}
	bank := ledger.Account{ID: r.accounts[0], Currency: "CNY", Code: 1}
	r.compareAccounts([]ledger.Account{bank})
	steps := rapid.IntRange(5, 30).Draw(r.rt, "steps")
	for range steps {
		switch op := rapid.IntRange(0, 99).Draw(r.rt, "op"); {
		case op < 15:
			r.compareAccounts(r.drawAccounts())
		case op < 80:
			r.compareTransfers(r.drawTransfers())
		case op < 88 && len(r.transfers) > 0:
			// Submit earlier transfers again, unchanged.
			n := rapid.IntRange(1, min(4, len(r.transfers))).Draw(r.rt, "again")
			start := rapid.IntRange(0, len(r.transfers)-n).Draw(r.rt, "from")
			r.compareTransfers(slices.Clone(r.transfers[start : start+n]))
		case op < 96:
			r.env.Clock.Advance(1500 * time.Millisecond)
			if err := r.env.Engine.SweepExpired(r.env.Ctx()); err != nil {
				r.rt.Fatal(err)
			}
			r.m.Expire(r.env.Clock.NS())
		default:
			r.env.Restart()
		}
		r.compareBalances()
	}
	for _, id := range r.accounts {
		if _, ok := r.m.Accounts[id]; !ok {
			continue
		}
		want := r.m.History(id)
		got := history(r.t, r.env, id, ledger.TransferFilter{Limit: 5})
		if !slices.Equal(got, want) {
			for i := range max(len(got), len(want)) {
				var g, w ledger.ID
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
					mt := r.m.Transfers[w]
					r.rt.Logf("%d: engine %s model %s (%v %d from %s to %s)", i, g, w, mt.Flags.Names(), mt.Amount, mt.DebitAccountID, mt.CreditAccountID)
				}
			}
			r.rt.Fatalf("history of %s: engine has %d transfers, model %d", id, len(got), len(want))
		}
	}
}

func (r *modelRun) drawAccounts() []ledger.Account {
	n := rapid.IntRange(1, 3).Draw(r.rt, "n accounts")
	as := make([]ledger.Account, n)
	for i := range as {
		as[i] = ledger.Account{
			ID:       rapid.SampledFrom(r.accounts).Draw(r.rt, "account id"),
			Currency: rapid.SampledFrom([]string{"CNY", "CNY", "CNY", "USD", "XYZ"}).Draw(r.rt, "account currency"),
			Code:     uint16(rapid.IntRange(0, 2).Draw(r.rt, "account code")),
			Flags: rapid.SampledFrom([]ledger.AccountFlags{0, 0, ledger.DebitsMustNotExceedCredits,
				ledger.DebitsMustNotExceedCredits, ledger.CreditsMustNotExceedDebits,
				ledger.DebitsMustNotExceedCredits | ledger.CreditsMustNotExceedDebits}).Draw(r.rt, "account flags"),
		}
		if as[i].Code == 0 && rapid.IntRange(0, 3).Draw(r.rt, "keep code 0") > 0 {
			as[i].Code = 1
		}
	}
	return as
}

func (r *modelRun) drawTransfers() []ledger.Transfer {
	n := rapid.IntRange(1, 5).Draw(r.rt, "n transfers")
	ts := make([]ledger.Transfer, n)
	for i := range ts {
		t := ledger.Transfer{
			ID:              ledger.NewID(),
			DebitAccountID:  rapid.SampledFrom(r.accounts).Draw(r.rt, "debit"),
			CreditAccountID: rapid.SampledFrom(r.accounts).Draw(r.rt, "credit"),
			Amount:          int64(rapid.IntRange(1, 300).Draw(r.rt, "amount")),
			Currency:        "CNY",
			Code:            1,
		}
		switch rapid.IntRange(0, 39).Draw(r.rt, "oddity") {
		case 0:
			t.Amount = 0
		case 1:
			t.Amount = -7
		case 2:
			t.Amount = math.MaxInt64 - int64(rapid.IntRange(0, 2).Draw(r.rt, "near max"))
		case 3:
			t.Currency = "USD"
		case 4:
			t.Code = 0
		case 5:
			t.ID = ledger.ID{}
		case 6:
			t.DebitAccountID = ledger.NewID()
		case 7:
			t.Flags |= ledger.Expired
		case 8:
			t.TimeoutSeconds = 3
		case 9:
			t.Reference = "order:42"
		}
		switch rapid.IntRange(0, 9).Draw(r.rt, "phase") {
		case 0, 1:
			t.Flags |= ledger.Pending
			t.TimeoutSeconds = uint32(rapid.SampledFrom([]int{0, 0, 1, 2, 4}).Draw(r.rt, "timeout"))
		case 2, 3:
			r.resolving(&t, ledger.PostPending)
		case 4:
			r.resolving(&t, ledger.VoidPending)
		case 5:
			t.Flags |= ledger.Pending | ledger.VoidPending
		}
		if i < n-1 && rapid.IntRange(0, 3).Draw(r.rt, "linked") == 0 {
			t.Flags |= ledger.Linked
		}
		if i == n-1 && rapid.IntRange(0, 15).Draw(r.rt, "open chain") == 0 {
			t.Flags |= ledger.Linked
		}
		if len(r.transfers) > 0 && rapid.IntRange(0, 19).Draw(r.rt, "reuse id") == 0 {
			t.ID = rapid.SampledFrom(r.transfers).Draw(r.rt, "reused").ID
		}
		ts[i] = t
	}
	return ts
}

// resolving makes t a post or void of an earlier transfer, mostly a
// pending one, inheriting or naming its fields.
func (r *modelRun) resolving(t *ledger.Transfer, flag ledger.TransferFlags) {
	t.Flags |= flag
	var pendings []ledger.Transfer
	for _, x := range r.transfers {
		if x.Flags&ledger.Pending != 0 {
			pendings = append(pendings, x)
		}
	}
	switch {
	case len(pendings) > 0 && rapid.IntRange(0, 9).Draw(r.rt, "pending kind") > 1:
		p := rapid.SampledFrom(pendings).Draw(r.rt, "pending")
		t.PendingID = p.ID
	case len(r.transfers) > 0 && rapid.Bool().Draw(r.rt, "any"):
		t.PendingID = rapid.SampledFrom(r.transfers).Draw(r.rt, "not pending").ID
	default:
		t.PendingID = ledger.NewID()
	}
	if rapid.Bool().Draw(r.rt, "inherit") {
		t.DebitAccountID, t.CreditAccountID, t.Currency, t.Code = ledger.ID{}, ledger.ID{}, "", 0
	}
	switch rapid.IntRange(0, 3).Draw(r.rt, "resolve amount") {
	case 0, 1:
		t.Amount = 0
	case 2:
		t.Amount = int64(rapid.IntRange(1, 300).Draw(r.rt, "partial"))
	}
}

func (r *modelRun) compareAccounts(as []ledger.Account) {
	got, err := r.env.Engine.CreateAccounts(r.env.Ctx(), as)
	if err != nil {
		r.rt.Fatal(err)
	}
	want := r.m.CreateAccounts(as)
	if !slices.Equal(got, want) {
		r.rt.Fatalf("accounts %+v:\nengine %v\nmodel  %v", as, got, want)
	}
}

func (r *modelRun) compareTransfers(ts []ledger.Transfer) {
	now := r.env.Clock.NS()
	got, err := r.env.Engine.CreateTransfers(r.env.Ctx(), ts)
	if err != nil {
		r.rt.Fatal(err)
	}
	want := r.m.CreateTransfers(ts, now)
	if !slices.Equal(got, want) {
		for i := range ts {
			r.rt.Logf("%d: %+v engine %v model %v", i, ts[i], got[i], want[i])
		}
		r.rt.Fatalf("transfers disagree")
	}
	r.transfers = append(r.transfers, ts...)
}

func (r *modelRun) compareBalances() {
	for _, id := range r.accounts {
		ma, inModel := r.m.Accounts[id]
		a, err := r.env.Engine.LookupAccount(r.env.Ctx(), id)
		switch {
		case !inModel && err == ledger.ErrNotFound:
		case !inModel || err != nil:
			r.rt.Fatalf("account %s: in model %v, engine error %v", id, inModel, err)
		case a.Balance != ma.Balance:
			r.rt.Fatalf("account %s: engine %+v, model %+v", id, a.Balance, ma.Balance)
		}
	}
}
