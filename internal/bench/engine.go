package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Ledger runs the benchmark in process, against the engine.
func Ledger(ctx context.Context, eng *ledger.Engine, cfg Config, stats *EngineStats) (Result, error) {
	cfg.defaults()
	accounts, err := createAccounts(ctx, cfg, func(ctx context.Context, as []ledger.Account) error {
		res, err := eng.CreateAccounts(ctx, as)
		if err != nil {
			return err
		}
		for i, r := range res {
			if !r.OK() {
				return fmt.Errorf("create account %s: %s", as[i].ID, r)
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	stats.reset()
	submit := func(ctx context.Context, ts []ledger.Transfer) (int, error) {
		res, err := eng.CreateTransfers(ctx, ts)
		if err != nil {
			return 0, err
		}
		failed := 0
		for _, x := range res {
			if x != ledger.TransferCreated {
				failed++
			}
		}
		return failed, nil
	}
	r := run(ctx, cfg, accounts, func() submitter { return submit })
	r.Mode = "ledger"
	r.Batches, r.MeanBatch, r.CommitP99Ms = stats.summary()
	r.MaxRSSMiB = maxRSSMiB()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	r.GoHeapMiB = float64(m.HeapInuse) / (1 << 20)
	return r, nil
}

// createAccounts creates cfg.Accounts accounts without balance limits.
func createAccounts(ctx context.Context, cfg Config, create func(context.Context, []ledger.Account) error) ([]ledger.ID, error) {
	ids := make([]ledger.ID, cfg.Accounts)
	for i := range ids {
		ids[i] = ledger.NewID()
	}
	for start := 0; start < len(ids); start += ledger.MaxAccountsPerRequest {
		end := min(start+ledger.MaxAccountsPerRequest, len(ids))
		as := make([]ledger.Account, 0, end-start)
		for _, id := range ids[start:end] {
			as = append(as, ledger.Account{ID: id, Currency: cfg.Currency, Code: 1, Owner: "bench"})
		}
		if err := create(ctx, as); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// EngineStats collects the engine's batch figures (pass its Observe to
// ledger.Options.OnBatch).
type EngineStats struct {
	mu      sync.Mutex
	batches int64
	events  int64
	commits *histogram

	validate, write, commit time.Duration
}

// Phases returns the total time the writer spent in each phase.
func (s *EngineStats) Phases() (validate, write, commit time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validate, s.write, s.commit
}

// NewEngineStats returns an empty collector.
func NewEngineStats() *EngineStats { return &EngineStats{commits: newHistogram()} }

// Observe records one batch.
func (s *EngineStats) Observe(b ledger.BatchStats) {
	if b.Transfers == 0 {
		return // setup, sweeps and flushes
	}
	s.mu.Lock()
	s.batches++
	s.events += int64(b.Transfers)
	s.commits.add(b.Validate+b.Write+b.Commit, 1)
	s.validate += b.Validate
	s.write += b.Write
	s.commit += b.Commit
	s.mu.Unlock()
}

func (s *EngineStats) reset() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.batches, s.events = 0, 0
	s.validate, s.write, s.commit = 0, 0, 0
	s.commits.reset()
	s.mu.Unlock()
}

func (s *EngineStats) summary() (batches int64, mean float64, commitP99 float64) {
	if s == nil {
		return 0, 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.batches == 0 {
		return 0, 0, 0
	}
	return s.batches, float64(s.events) / float64(s.batches), ms(s.commits.quantile(0.99))
}

// maxRSSMiB returns this process's peak resident memory.
func maxRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}
