// Package bench measures the ledger: in process, against the engine, and
// over HTTP, against a running server.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Config are the knobs of a benchmark run.
type Config struct {
	Accounts int           // accounts to create and pick from
	Clients  int           // concurrent clients
	Batch    int           // transfers per request
	Duration time.Duration // how long to measure
	Hot      float64       // fraction of transfers that credit one single account
	Rate     int           // target transfers/s (open loop); 0 = as fast as possible
	Currency string
	Seed     uint64
	Progress io.Writer // a line per second while running; nil for none
}

func (c *Config) defaults() {
	if c.Accounts < 2 {
		c.Accounts = 10_000
	}
	if c.Clients <= 0 {
		c.Clients = 32
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Currency == "" {
		c.Currency = "CNY"
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
}

// Result is what a run measured. JSON names are stable: scripts read them.
type Result struct {
	Mode            string  `json:"mode"`
	Store           string  `json:"store,omitempty"`
	Accounts        int     `json:"accounts"`
	Clients         int     `json:"clients"`
	Batch           int     `json:"batch"`
	Hot             float64 `json:"hot"`
	Rate            int     `json:"rate,omitempty"`
	Seconds         float64 `json:"seconds"`
	Transfers       int64   `json:"transfers"`
	TransfersPerSec float64 `json:"transfers_per_sec"`
	P50Ms           float64 `json:"p50_ms"`
	P99Ms           float64 `json:"p99_ms"`
	P999Ms          float64 `json:"p999_ms"`
	MaxMs           float64 `json:"max_ms"`
	Errors          int64   `json:"errors"`
	// IdleShare is the share of the clients' time spent waiting before a
	// request, outside its latency: tills waiting for a phone that has not
	// paid in this payment-code step. Above a few percent the run measured
	// the load generator's phones, not the server.
	IdleShare float64 `json:"idle_share,omitempty"`
	// Engine-side figures (in-process runs only).
	Batches       int64   `json:"batches,omitempty"`
	MeanBatch     float64 `json:"mean_batch,omitempty"`
	CommitP99Ms   float64 `json:"commit_p99_ms,omitempty"`
	MaxRSSMiB     float64 `json:"max_rss_mib,omitempty"`
	GoHeapMiB     float64 `json:"go_heap_mib,omitempty"`
	ServerRSSMiB  float64 `json:"server_rss_mib,omitempty"`
	FirstErrorMsg string  `json:"first_error,omitempty"`
}

// WriteTable prints the result for people.
func (r *Result) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("mode", r.Mode)
	if r.Store != "" {
		row("store", r.Store)
	}
	row("accounts / clients / batch", fmt.Sprintf("%d / %d / %d", r.Accounts, r.Clients, r.Batch))
	row("hot", r.Hot)
	if r.Rate > 0 {
		row("target rate", fmt.Sprintf("%d/s", r.Rate))
	}
	row("duration", fmt.Sprintf("%.1f s", r.Seconds))
	row("transfers", r.Transfers)
	row("transfers/s", fmt.Sprintf("%.0f", r.TransfersPerSec))
	row("latency p50 / p99 / p99.9 / max", fmt.Sprintf("%.2f / %.2f / %.2f / %.2f ms", r.P50Ms, r.P99Ms, r.P999Ms, r.MaxMs))
	if r.Batches > 0 {
		row("batches (mean size)", fmt.Sprintf("%d (%.0f)", r.Batches, r.MeanBatch))
		row("commit p99", fmt.Sprintf("%.2f ms", r.CommitP99Ms))
	}
	if r.MaxRSSMiB > 0 {
		row("max resident memory", fmt.Sprintf("%.0f MiB", r.MaxRSSMiB))
	}
	if r.ServerRSSMiB > 0 {
		row("server resident memory", fmt.Sprintf("%.0f MiB", r.ServerRSSMiB))
	}
	if r.IdleShare > 0 {
		row("clients idle (waiting to send)", fmt.Sprintf("%.1f %%", 100*r.IdleShare))
	}
	row("errors", r.Errors)
	if r.FirstErrorMsg != "" {
		row("first error", r.FirstErrorMsg)
	}
	tw.Flush()
}

// WriteJSON prints the result as one JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

// submitter sends one request of transfers and reports how many failed.
type submitter func(ctx context.Context, ts []ledger.Transfer) (failed int, err error)

// workload generates transfers between the benchmark's accounts.
type workload struct {
	cfg      Config
	accounts []ledger.ID
	rng      *rand.Rand
}

func (w *workload) next(buf []ledger.Transfer) []ledger.Transfer {
	buf = buf[:0]
	n := len(w.accounts)
	for range w.cfg.Batch {
		d := w.rng.IntN(n)
		var c int
		if w.cfg.Hot > 0 && w.rng.Float64() < w.cfg.Hot {
			c = 0
		} else {
			c = w.rng.IntN(n)
		}
		if c == d {
			d = (d + 1 + w.rng.IntN(n-1)) % n
		}
		buf = append(buf, ledger.Transfer{
			ID: ledger.NewID(), DebitAccountID: w.accounts[d], CreditAccountID: w.accounts[c],
			Amount: 1 + w.rng.Int64N(10_000), Currency: w.cfg.Currency, Code: 1,
		})
	}
	return buf
}

// client is one benchmark client. ready, if set, runs before each
// request's clock starts: the time a till waits for a phone is not the
// server's latency. submit sends the request.
type client struct {
	ready  func(ctx context.Context) error
	submit submitter
}

// run drives clients that call their submitter for cfg.Duration and
// measures them. Each client gets its own submitter from newSubmitter.
func run(ctx context.Context, cfg Config, accounts []ledger.ID, newSubmitter func() submitter) Result {
	return runClients(ctx, cfg, accounts, func() client { return client{submit: newSubmitter()} })
}

// runClients is run with clients that may have a ready step.
func runClients(ctx context.Context, cfg Config, accounts []ledger.ID, newClient func() client) Result {
	var (
		idle     atomic.Int64 // nanoseconds the clients spent in ready
		wg       sync.WaitGroup
		done     atomic.Int64 // transfers acknowledged
		errs     atomic.Int64
		firstErr atomic.Pointer[string]
		mu       sync.Mutex
		all      = newHistogram()
		window   = newHistogram()
	)
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	start := time.Now()
	perClient := 0.0
	if cfg.Rate > 0 {
		perClient = float64(cfg.Rate) / float64(cfg.Clients) / float64(cfg.Batch) // requests/s per client
	}
	for i := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient()
			w := &workload{cfg: cfg, accounts: accounts, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))}
			h := newHistogram()
			var buf []ledger.Transfer
			next := start
			if perClient > 0 {
				// Spread the clients' schedules over one interval.
				next = start.Add(time.Duration(float64(i) / float64(cfg.Clients) * float64(time.Second) / perClient))
			}
			for ctx.Err() == nil {
				if perClient > 0 {
					if d := time.Until(next); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							continue
						}
					}
				}
				buf = w.next(buf)
				if c.ready != nil {
					w0 := time.Now()
					err := c.ready(ctx)
					idle.Add(int64(time.Since(w0)))
					if ctx.Err() != nil {
						break
					}
					if err != nil {
						msg := err.Error()
						firstErr.CompareAndSwap(nil, &msg)
						errs.Add(int64(len(buf)))
						continue
					}
				}
				t0 := time.Now()
				if perClient > 0 {
					t0 = next // open loop: latency counts from the scheduled time
					next = next.Add(time.Duration(float64(time.Second) / perClient))
				}
				failed, err := c.submit(context.Background(), buf)
				lat := time.Since(t0)
				if err != nil {
					failed = len(buf)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
				}
				errs.Add(int64(failed))
				done.Add(int64(len(buf) - failed))
				h.add(lat, int64(len(buf)))
				mu.Lock()
				window.add(lat, int64(len(buf)))
				mu.Unlock()
			}
			mu.Lock()
			all.merge(h)
			mu.Unlock()
		}()
	}
	if cfg.Progress != nil {
		go progress(ctx, cfg.Progress, start, &done, &errs, func() time.Duration {
			mu.Lock()
			defer mu.Unlock()
			p99 := window.quantile(0.99)
			window.reset()
			return p99
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := Result{
		Accounts: cfg.Accounts, Clients: cfg.Clients, Batch: cfg.Batch, Hot: cfg.Hot, Rate: cfg.Rate,
		Seconds: elapsed.Seconds(), Transfers: done.Load(), Errors: errs.Load(),
		TransfersPerSec: float64(done.Load()) / elapsed.Seconds(),
		P50Ms:           ms(all.quantile(0.50)), P99Ms: ms(all.quantile(0.99)),
		P999Ms: ms(all.quantile(0.999)), MaxMs: ms(all.max),
		IdleShare: float64(idle.Load()) / float64(elapsed) / float64(cfg.Clients),
	}
	if p := firstErr.Load(); p != nil {
		r.FirstErrorMsg = *p
	}
	return r
}

// progress prints one line per second: throughput and p99 of that second.
func progress(ctx context.Context, w io.Writer, start time.Time, done, errs *atomic.Int64, windowP99 func() time.Duration) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			p99 := windowP99()
			n := done.Load()
			fmt.Fprintf(w, "%5.0fs  %9.0f transfers/s  p99 %7.2f ms  errors %d\n",
				now.Sub(start).Seconds(), float64(n-last), ms(p99), errs.Load())
			last = n
		}
	}
}
