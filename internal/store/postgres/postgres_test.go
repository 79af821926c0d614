package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledger/ledgertest"
	"github.com/shiliantong/shiliantong/internal/store/postgres"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
)

func config() ledgertest.Config {
	return ledgertest.Config{
		NewDB: func(t testing.TB) ledgertest.Opener {
			dsn := pgtest.NewSchema(t)
			return func(t testing.TB) ledgertest.Store {
				s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		},
		Exec: func(t testing.TB, s ledgertest.Store, query string) {
			if _, err := s.(*postgres.Store).Pool().Exec(context.Background(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
	}
}

func TestConformance(t *testing.T) {
	pgtest.Require(t)
	ledgertest.Run(t, config())
}

// Two engines on one database, as two server processes would be: each
// keeps its own cache, and every invariant must hold under concurrent
// load with a hot account.
func TestTwoEnginesShareOneDatabase(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	ctx := context.Background()
	open := func() *postgres.Store {
		s, err := postgres.Open(ctx, dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	e1, e2 := ledger.New(s1, ledger.Options{}), ledger.New(s2, ledger.Options{})
	defer e1.Close()
	defer e2.Close()

	hot := ledgertest.NewAccount("CNY", 0)
	bank := ledgertest.NewAccount("CNY", 0)
	users := make([]ledger.Account, 20)
	for i := range users {
		users[i] = ledgertest.NewAccount("CNY", ledger.DebitsMustNotExceedCredits)
	}
	if _, err := e1.CreateAccounts(ctx, append(users, hot, bank)); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if r, err := e2.CreateTransfers(ctx, []ledger.Transfer{ledgertest.Move(bank.ID, u.ID, 500, "CNY")}); err != nil || r[0] != ledger.TransferCreated {
			t.Fatalf("fund: %v %v", r, err)
		}
	}
	var wg sync.WaitGroup
	paid := make([]int64, len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng := e1
			if i%2 == 1 {
				eng = e2
			}
			for j := range 40 {
				amount := int64(5 + (i+j)%20)
				tr := ledgertest.Move(u.ID, hot.ID, amount, "CNY")
				if j%7 == 0 { // a retry through the other engine must not pay twice
					other := e2
					if eng == e2 {
						other = e1
					}
					if _, err := other.CreateTransfers(ctx, []ledger.Transfer{tr}); err != nil {
						t.Error(err)
						return
					}
				}
				r, err := eng.CreateTransfers(ctx, []ledger.Transfer{tr})
				if err != nil {
					t.Error(err)
					return
				}
				switch r[0] {
				case ledger.TransferCreated:
					paid[i] += amount
				case ledger.TransferExists:
					if j%7 == 0 {
						paid[i] += amount // created by the first attempt
					} else {
						t.Errorf("unexpected exists")
					}
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
		for _, eng := range []*ledger.Engine{e1, e2} {
			a, err := eng.LookupAccount(ctx, u.ID)
			if err != nil || a.Balance != (ledger.Balance{DebitsPosted: paid[i], CreditsPosted: 500}) {
				t.Fatalf("user %d: %+v (%v), paid %d", i, a.Balance, err, paid[i])
			}
		}
	}
	for _, eng := range []*ledger.Engine{e1, e2} {
		a, err := eng.LookupAccount(ctx, hot.ID)
		if err != nil || a.CreditsPosted != total {
			t.Fatalf("hot account %+v (%v), want credits %d", a.Balance, err, total)
		}
	}
	rep, err := ledger.Check(ctx, s1)
	if err != nil || !rep.OK() {
		t.Fatalf("check: %v %v", err, rep.Violations)
	}
}
