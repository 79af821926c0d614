package bench

import (
	"context"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// The time a client waits in ready (a till waiting for a phone) is counted
// as idle time, not as the request's latency.
func TestReadyIsNotLatency(t *testing.T) {
	const wait = 100 * time.Millisecond
	cfg := Config{Clients: 2, Batch: 1, Duration: time.Second}
	cfg.defaults()
	ids := []ledger.ID{ledger.NewID(), ledger.NewID()}
	r := runClients(context.Background(), cfg, ids, func() client {
		return client{
			ready: func(ctx context.Context) error {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
				return nil
			},
			submit: func(context.Context, []ledger.Transfer) (int, error) { return 0, nil },
		}
	})
	if r.Transfers == 0 || r.Errors != 0 {
		t.Fatalf("transfers %d, errors %d", r.Transfers, r.Errors)
	}
	if r.MaxMs >= float64(wait.Milliseconds()) {
		t.Errorf("max latency %.1f ms: the wait in ready (%v) was counted", r.MaxMs, wait)
	}
	if r.IdleShare < 0.5 {
		t.Errorf("idle share %.2f: the clients waited nearly all the time", r.IdleShare)
	}
}
