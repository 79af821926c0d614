package ledgertest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Store is a store the tests can close and open again.
type Store interface {
	ledger.Store
	Close() error
}

// Opener opens a test's database: a fresh one on the first call, the same
// one again on every later call (after the previous store was closed).
type Opener func(t testing.TB) Store

// Config is what a store's test file gives the suite.
type Config struct {
	// NewDB returns an Opener for a new, empty database.
	NewDB func(t testing.TB) Opener
	// Exec runs a statement directly on the store's database, to tamper
	// with it in the tests that prove the checker notices.
	Exec func(t testing.TB, s Store, query string)
}

// Clock is a settable clock for the engine.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a clock at the current time.
func NewClock() *Clock {
	c := &Clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// NS returns the clock's time in nanoseconds.
func (c *Clock) NS() int64 { return c.ns.Load() }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Env is an engine on a test database.
type Env struct {
	T      testing.TB
	Clock  *Clock
	Store  Store
	Engine *ledger.Engine
	open   Opener
	opts   ledger.Options
	mu     sync.Mutex
}

// NewEnv starts an engine on a fresh database.
func NewEnv(t testing.TB, cfg Config, opts ledger.Options) *Env {
	env := &Env{T: t, Clock: NewClock(), open: cfg.NewDB(t), opts: opts}
	if env.opts.Now == nil {
		env.opts.Now = env.Clock.Now
	}
	env.start()
	t.Cleanup(env.stop)
	return env
}

func (env *Env) start() {
	env.Store = env.open(env.T)
	env.Engine = ledger.New(env.Store, env.opts)
}

func (env *Env) stop() {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.Engine != nil {
		env.Engine.Close()
		env.Engine = nil
	}
	if env.Store != nil {
		if err := env.Store.Close(); err != nil {
			env.T.Errorf("close store: %v", err)
		}
		env.Store = nil
	}
}

// Restart closes the engine and the store and opens both again.
func (env *Env) Restart() {
	env.stop()
	env.start()
}

// Ctx returns a context for one call.
func (env *Env) Ctx() context.Context { return context.Background() }

// Accounts creates accounts and fails the test on an error.
func (env *Env) Accounts(as ...ledger.Account) []ledger.AccountResult {
	env.T.Helper()
	res, err := env.Engine.CreateAccounts(env.Ctx(), as)
	if err != nil {
		env.T.Fatalf("create accounts: %v", err)
	}
	return res
}

// Transfers creates transfers and fails the test on an error.
func (env *Env) Transfers(ts ...ledger.Transfer) []ledger.TransferResult {
	env.T.Helper()
	res, err := env.Engine.CreateTransfers(env.Ctx(), ts)
	if err != nil {
		env.T.Fatalf("create transfers: %v", err)
	}
	return res
}

// Account looks an account up and fails the test if it is missing.
func (env *Env) Account(id ledger.ID) ledger.Account {
	env.T.Helper()
	a, err := env.Engine.LookupAccount(env.Ctx(), id)
	if err != nil {
		env.T.Fatalf("lookup account %s: %v", id, err)
	}
	return a
}

// CheckOK runs the invariant checker and fails the test on any violation.
func (env *Env) CheckOK() ledger.CheckReport {
	env.T.Helper()
	rep, err := ledger.Check(env.Ctx(), env.Store)
	if err != nil {
		env.T.Fatalf("check: %v", err)
	}
	if !rep.OK() {
		env.T.Fatalf("check found %d violations: %v", rep.ViolationCount, rep.Violations)
	}
	return rep
}

// NewAccount returns a fresh account in currency with no flags.
func NewAccount(currency string, flags ledger.AccountFlags) ledger.Account {
	return ledger.Account{ID: ledger.NewID(), Currency: currency, Code: 1, Flags: flags, Owner: "test"}
}

// Move returns a single-phase transfer.
func Move(from, to ledger.ID, amount int64, currency string) ledger.Transfer {
	return ledger.Transfer{ID: ledger.NewID(), DebitAccountID: from, CreditAccountID: to, Amount: amount, Currency: currency, Code: 1}
}
