package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/sim"
)

// SimCmd writes simulated wallet traffic with labelled fraud.
type SimCmd struct {
	Seed      uint64  `default:"1" help:"Random seed: the same seed and flags give the same files."`
	Users     int     `default:"2000" help:"Users at the start (about 15% more join during the run)."`
	Days      int     `default:"30" help:"Days to simulate."`
	Mix       string  `default:"ato=3,card_testing=1,mule=1.5,scam=2,structuring=1,promo_abuse=1" help:"Typology weights: ato, card_testing, mule, scam, structuring, promo_abuse."`
	Incidents float64 `default:"1.5" help:"Fraud incidents per 1000 user-days."`
	FraudFrom int     `default:"5" help:"First day with fraud (the profiles warm up before)."`
	Out       string  `required:"" type:"path" help:"Transactions CSV to write."`
	Labels    string  `required:"" type:"path" help:"Labels CSV to write (txn_id,is_fraud,typology)."`
}

// Run simulates and writes both files.
func (c *SimCmd) Run(_ context.Context, g *Globals) error {
	mix, err := sim.ParseMix(c.Mix)
	if err != nil {
		return err
	}
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Days, cfg.Mix, cfg.Incidents, cfg.FraudFrom = c.Seed, c.Users, c.Days, mix, c.Incidents, c.FraudFrom
	start := time.Now()
	res, err := sim.Run(cfg)
	if err != nil {
		return err
	}
	if err := writeFile(c.Out, func(w *bufio.Writer) error {
		tw, err := features.NewWriter(w)
		if err != nil {
			return err
		}
		for i := range res.Txns {
			if err := tw.Write(&res.Txns[i]); err != nil {
				return err
			}
		}
		return tw.Flush()
	}); err != nil {
		return err
	}
	frauds := 0
	if err := writeFile(c.Labels, func(w *bufio.Writer) error {
		cw := csv.NewWriter(w)
		write, err := features.WriteLabels(cw)
		if err != nil {
			return err
		}
		for i, l := range res.Labels {
			if l.Fraud {
				frauds++
			}
			if err := write(res.Txns[i].ID, l); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return err
	}
	g.log.Info("simulated", "transactions", len(res.Txns), "frauds", frauds, "seed", c.Seed, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// writeFile creates path and writes it through a buffer.
func writeFile(path string, fn func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := fn(w); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
