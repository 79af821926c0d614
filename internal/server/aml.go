package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/shiliantong/shiliantong/internal/aml"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// amlCursor names the AML monitor's place in the ledger.
const amlCursor = "aml"

// amlWarmUp is how far before its cursor the monitor reads again at start
// (without raising what it raised before): its windows are a week long.
const amlWarmUp = 8 * 24 * time.Hour

// amlMonitor tails the ledger's committed transfers, as the transparency
// log does, and feeds the movements of users' wallets to the AML rules;
// alerts become cases. Several processes on one database may run it: a
// case is opened once (its key), and the cursor only moves forward.
type amlMonitor struct {
	src    ledgerlog.Source
	eng    *ledger.Engine
	w      *wallet.Service
	m      *aml.Monitor
	log    *slog.Logger
	owners map[ledger.ID]string // account → wallet owner ("" for other accounts)
	cursor int64
}

func newAMLMonitor(src ledgerlog.Source, eng *ledger.Engine, w *wallet.Service, rules aml.Rules, log *slog.Logger) *amlMonitor {
	return &amlMonitor{src: src, eng: eng, w: w, m: aml.NewMonitor(rules), log: log, owners: map[ledger.ID]string{}}
}

// run reads every interval until ctx ends.
func (a *amlMonitor) run(ctx context.Context, every time.Duration) {
	if err := a.start(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("aml monitor: warm-up", "err", err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := a.step(ctx, true)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			a.log.Warn("aml monitor: reading the ledger failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			failing = false
		}
	}
}

// start reads the cursor and replays the week before it, so that the
// rules' windows are full; what that raises was raised before (and is
// ignored by the cases' keys anyway).
func (a *amlMonitor) start(ctx context.Context) error {
	cur, err := a.w.MonitorCursor(ctx, amlCursor)
	if err != nil {
		return err
	}
	a.cursor = max(0, cur-int64(amlWarmUp))
	for a.cursor < cur {
		n, err := a.read(ctx, cur, false)
		if err != nil || n == 0 {
			a.cursor = cur
			return err
		}
	}
	return nil
}

// step reads what was committed since the cursor.
func (a *amlMonitor) step(ctx context.Context, raise bool) error {
	head, err := a.src.ReadHead(ctx)
	if err != nil {
		return err
	}
	for a.cursor < head.LastTS {
		n, err := a.read(ctx, head.LastTS, raise)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if err := a.w.SetMonitorCursor(ctx, amlCursor, a.cursor); err != nil {
			return err
		}
	}
	return nil
}

// read feeds the next transfers up to upto, and returns how many it read.
func (a *amlMonitor) read(ctx context.Context, upto int64, raise bool) (int, error) {
	recs, err := a.src.TransfersAfter(ctx, a.cursor, upto, 4096)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	for i := range recs {
		for _, t := range a.movements(ctx, &recs[i]) {
			for _, al := range a.m.Observe(t) {
				if !raise {
					continue
				}
				if err := a.w.OpenAMLCase(ctx, al); err != nil {
					return i, err
				}
			}
		}
		a.cursor = recs[i].TS
	}
	return len(recs), nil
}

// movements turns a committed transfer into the movements of the users'
// wallets on its sides. Pending transfers move nothing yet (their post
// does); voids move nothing.
func (a *amlMonitor) movements(ctx context.Context, r *ledger.TransferRecord) []aml.Txn {
	if r.Flags&(ledger.Pending|ledger.VoidPending) != 0 || r.Amount <= 0 {
		return nil
	}
	at := time.Unix(0, r.TS).UTC()
	kind := wallet.TransferKind(r.Code)
	var out []aml.Txn
	side := func(acct ledger.ID, s ledger.Side, dir aml.Direction) {
		user := a.owner(ctx, acct)
		if user == "" {
			return
		}
		t := aml.Txn{ID: r.ID.String(), At: at, Subject: user, Dir: dir, Kind: kind, Amount: r.Amount, Currency: r.Currency}
		if s.PrevTS > 0 {
			t.Idle = time.Duration(r.TS - s.PrevTS)
		}
		out = append(out, t)
	}
	side(r.DebitID, r.Debit, aml.Out)
	side(r.CreditID, r.Credit, aml.In)
	return out
}

// owner returns the user whose wallet an account is, or "".
func (a *amlMonitor) owner(ctx context.Context, id ledger.ID) string {
	if o, ok := a.owners[id]; ok {
		return o
	}
	acct, err := a.eng.LookupAccount(ctx, id)
	if err != nil {
		return "" // not cached: asked again next time
	}
	o := wallet.WalletOwner(acct)
	if len(a.owners) > 1_000_000 {
		clear(a.owners)
	}
	a.owners[id] = o
	return o
}
