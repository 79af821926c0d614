package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/store"
)

// VerifyCmd checks the transparency log's statements offline, with only
// the log's public key.
type VerifyCmd struct {
	Key         string `required:"" help:"The log's verifier key (GET /v1/log/key), or a file holding it."`
	Checkpoint  string `required:"" type:"existingfile" help:"A signed checkpoint (GET /v1/log/checkpoint), a file."`
	Proof       string `type:"existingfile" help:"An inclusion proof (GET /v1/log/inclusion), a JSON file: its leaf must be in the checkpoint's tree."`
	Receipt     string `type:"existingfile" help:"A payment receipt (JSON with transfer_id and leaf_index): it must name the proof's transfer and leaf."`
	Old         string `type:"existingfile" help:"An older signed checkpoint, a file; with --consistency."`
	Consistency string `type:"existingfile" help:"A consistency proof (GET /v1/log/consistency), a JSON file: the checkpoint's tree must extend --old's."`
}

// Run verifies and exits non-zero with the reason when anything fails.
func (c *VerifyCmd) Run(ctx context.Context, g *Globals) error {
	key := c.Key
	if b, err := os.ReadFile(key); err == nil {
		key = string(b)
	}
	key = strings.TrimSpace(key)
	cp, err := openCheckpointFile(c.Checkpoint, key)
	if err != nil {
		return verifyFailed(g, err)
	}
	fmt.Fprintf(g.stdout, "checkpoint: signature OK; %s, %d leaves, root %x\n", cp.Origin, cp.Size, cp.Root)
	if c.Proof == "" && c.Consistency == "" {
		return nil
	}
	if c.Receipt != "" && c.Proof == "" {
		return verifyFailed(g, errors.New("--receipt needs --proof"))
	}
	if c.Proof != "" {
		b, err := os.ReadFile(c.Proof)
		if err != nil {
			return err
		}
		p, err := ledgerlog.ParseInclusionProof(b)
		if err != nil {
			return verifyFailed(g, err)
		}
		t, err := ledgerlog.VerifyInclusion(p, cp)
		if err != nil {
			return verifyFailed(g, err)
		}
		fmt.Fprintf(g.stdout, "inclusion: leaf %d is in the tree of %d leaves\n", p.LeafIndex, p.TreeSize)
		if t != nil {
			fmt.Fprintf(g.stdout, "transfer: %s at %s: %d %s from %s to %s, code %d, flags %v, reference %q\n",
				t.ID, t.CreatedAt().Format("2006-01-02T15:04:05.000000000Z"), t.Amount, t.Currency, t.DebitAccountID, t.CreditAccountID,
				t.Code, t.Flags.Names(), t.Reference)
		}
		if c.Receipt != "" {
			if err := checkReceipt(c.Receipt, p); err != nil {
				return verifyFailed(g, err)
			}
			fmt.Fprintln(g.stdout, "receipt: names this transfer and leaf")
		}
	}
	if c.Consistency != "" {
		if c.Old == "" {
			return verifyFailed(g, errors.New("--consistency needs --old (the older checkpoint)"))
		}
		old, err := openCheckpointFile(c.Old, key)
		if err != nil {
			return verifyFailed(g, fmt.Errorf("old %w", err))
		}
		b, err := os.ReadFile(c.Consistency)
		if err != nil {
			return err
		}
		p, err := ledgerlog.ParseConsistencyProof(b)
		if err != nil {
			return verifyFailed(g, err)
		}
		if err := ledgerlog.VerifyConsistency(p, old, cp); err != nil {
			return verifyFailed(g, err)
		}
		fmt.Fprintf(g.stdout, "consistency: the tree of %d leaves extends the tree of %d\n", cp.Size, old.Size)
	}
	fmt.Fprintln(g.stdout, "OK")
	return nil
}

func openCheckpointFile(path, key string) (ledgerlog.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ledgerlog.Checkpoint{}, err
	}
	return ledgerlog.OpenCheckpoint(b, key)
}

func verifyFailed(g *Globals, err error) error {
	fmt.Fprintln(g.stdout, "FAILED:", err)
	return exitCode(1)
}

// checkReceipt checks that a receipt names the proof's transfer and leaf.
func checkReceipt(path string, p ledgerlog.InclusionProof) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r struct {
		TransferID string  `json:"transfer_id"`
		LeafIndex  *uint64 `json:"leaf_index"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if r.TransferID == "" {
		return errors.New("receipt: no transfer_id")
	}
	if r.TransferID != p.TransferID {
		return fmt.Errorf("receipt: transfer %s, the proof is of %s", r.TransferID, p.TransferID)
	}
	if r.LeafIndex != nil && *r.LeafIndex != p.LeafIndex {
		return fmt.Errorf("receipt: leaf %d, the proof is of leaf %d", *r.LeafIndex, p.LeafIndex)
	}
	return nil
}

// AuditCmd replays the transparency log against the ledger.
type AuditCmd struct {
	Key  string `help:"The log's verifier key (or a file holding it): the newest checkpoint's signature must verify with it."`
	JSON bool   `help:"Print the report as JSON."`
}

// Run audits and exits non-zero on the first mismatch.
func (c *AuditCmd) Run(ctx context.Context, g *Globals) error {
	key := c.Key
	if b, err := os.ReadFile(key); key != "" && err == nil {
		key = string(b)
	}
	rep, err := server.AuditLog(ctx, g.DB, strings.TrimSpace(key), g.log)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.stdout, "transfers %d, leaves compared %d, checkpoints recomputed %d, newest checkpoint %d leaves\n",
			rep.Transfers, rep.Leaves, rep.Checkpoints, rep.CheckpointSize)
		if rep.OK() {
			fmt.Fprintln(g.stdout, "OK: the log is the ledger's transfers in commit order")
		} else {
			fmt.Fprintln(g.stdout, "FAILED:", rep.Mismatch)
		}
	}
	if !rep.OK() {
		return exitCode(1)
	}
	return nil
}

// logBench runs the transparency log's appender beside a benchmark.
type logBench struct {
	lg     *ledgerlog.Log
	start  uint64
	began  time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func startLogBench(ctx context.Context, g *Globals, st store.Store) (*logBench, error) {
	lg, err := server.OpenLog(g.DB, st, "", g.log)
	if err != nil {
		return nil, err
	}
	if err := lg.Flush(ctx); err != nil { // what earlier runs left
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	lb := &logBench{lg: lg, start: lg.Size(), began: time.Now(), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(lb.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
			}
			if err := lg.Sync(lctx); err != nil && lctx.Err() == nil {
				g.log.Warn("transparency log", "err", err)
			}
		}
	}()
	return lb, nil
}

// finish stops the appender, reports how far behind it was when the load
// ended, and times the catch-up.
func (lb *logBench) finish(ctx context.Context, g *Globals) error {
	loadEnd := time.Now()
	lb.cancel()
	<-lb.done
	during := lb.lg.Size() - lb.start
	t0 := time.Now()
	if err := lb.lg.Flush(ctx); err != nil {
		return err
	}
	catchUp := time.Since(t0)
	total := lb.lg.Size() - lb.start
	lag := total - during
	fmt.Fprintf(g.stdout, "log: %d leaves appended during the %.1f s run (%.0f leaves/s); %d behind at the end, appended in %.2f s\n",
		during, loadEnd.Sub(lb.began).Seconds(), float64(during)/loadEnd.Sub(lb.began).Seconds(), lag, catchUp.Seconds())
	return nil
}
