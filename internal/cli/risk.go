package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/risk/model"
)

// RiskCmd groups the fraud model's offline commands.
type RiskCmd struct {
	Train  RiskTrainCmd  `cmd:"" help:"Train a fraud model from transactions and labels; write the versioned model file (JSON) with its held-out metrics."`
	Replay RiskReplayCmd `cmd:"" help:"Score transactions in time order, each before its outcome is known, as the payment path would; write txn_id,score,decision."`
	Eval   RiskEvalCmd   `cmd:"" help:"Measure a scores file against labels: ROC-AUC, PR-AUC, precision and recall, per typology."`
}

// RiskTrainCmd trains a model.
type RiskTrainCmd struct {
	In              string   `required:"" type:"existingfile" help:"Transactions CSV."`
	Labels          []string `required:"" type:"existingfile" help:"Labels CSV (txn_id,is_fraud,typology); repeat it to add review outcomes and insurance claims, later files winning."`
	Out             string   `required:"" type:"path" help:"Model file to write."`
	Algo            string   `default:"gbt" enum:"gbt,logreg" help:"gbt (gradient-boosted trees) or logreg (logistic regression)."`
	Trees           int      `default:"150" help:"Trees (gbt)."`
	Depth           int      `default:"4" help:"Tree depth (gbt)."`
	LearningRate    float64  `default:"0.1" help:"Learning rate (gbt)."`
	Seed            uint64   `default:"1" help:"Seed of the row and feature samples."`
	NegSample       float64  `default:"0.3" help:"Share of legitimate rows used to fit (weighted back)."`
	ValidFrac       float64  `default:"0.25" help:"Latest share of the rows held out for the thresholds and metrics."`
	TargetPrecision float64  `default:"0.9" help:"Precision of the challenge threshold on the held-out rows."`
	DenyPrecision   float64  `default:"0.98" help:"Precision of the deny threshold on the held-out rows."`
	Drop            []string `help:"Features the model must not see (for ablations), by name."`
}

// Run trains and writes the model.
func (c *RiskTrainCmd) Run(_ context.Context, g *Globals) error {
	txns, err := readTxns(c.In)
	if err != nil {
		return err
	}
	labels := map[string]features.Label{}
	for _, p := range c.Labels {
		if err := readLabels(p, labels); err != nil {
			return err
		}
	}
	tc := model.DefaultTrainConfig()
	tc.Algo, tc.Seed, tc.NegSample, tc.ValidFrac, tc.TargetPrecision, tc.DenyPrecision = c.Algo, c.Seed, c.NegSample, c.ValidFrac, c.TargetPrecision, c.DenyPrecision
	tc.GBT.Trees, tc.GBT.Depth, tc.GBT.LearningRate = c.Trees, c.Depth, c.LearningRate
	tc.Inputs = append([]string{c.In}, c.Labels...)
	tc.Drop = c.Drop
	m, err := model.Train(txns, labels, tc, features.DefaultConfig())
	if err != nil {
		return err
	}
	if err := m.Save(c.Out); err != nil {
		return err
	}
	mt := m.Metrics
	g.log.Info("trained", "version", m.Version, "algo", m.Algo, "rows", m.Training.Rows, "frauds", m.Training.Frauds,
		"heldout_roc_auc", mt.ROCAUC, "heldout_pr_auc", mt.PRAUC, "challenge", m.Thresholds.Challenge,
		"precision", mt.ChallengePrec, "recall", mt.ChallengeRecall, "took_s", m.Training.DurationSec)
	fmt.Fprintln(g.stdout, m.Version)
	return nil
}

// RiskReplayCmd scores a transactions file.
type RiskReplayCmd struct {
	In        string `required:"" type:"existingfile" help:"Transactions CSV."`
	Out       string `required:"" type:"path" help:"Scores CSV to write (txn_id,score,decision)."`
	Model     string `type:"existingfile" help:"Model file; without it, a baseline scores (--baseline)."`
	Baseline  string `default:"rules" enum:"rules,anomaly" help:"Without --model: rules (amount, new account, new device, velocity) or anomaly (the profile's anomaly score alone)."`
	Shadow    string `type:"existingfile" help:"A candidate model scored beside the live one; its verdicts are only tallied."`
	Lists     string `type:"existingfile" help:"Deny and allow lists (JSON: deny_users, deny_payees, deny_devices, allow_payees)."`
	LoadState string `type:"existingfile" help:"Start from a saved pipeline state instead of an empty one."`
	SaveState string `type:"path" help:"Save the pipeline state after the last transaction."`
}

// Run replays.
func (c *RiskReplayCmd) Run(_ context.Context, g *Globals) error {
	txns, err := readTxns(c.In)
	if err != nil {
		return err
	}
	var d model.Decider = model.DefaultRules()
	if c.Baseline == "anomaly" {
		d = model.DefaultAnomaly()
	}
	if c.Model != "" {
		if d, err = model.Load(c.Model); err != nil {
			return err
		}
	}
	var stats *model.ShadowStats
	if c.Shadow != "" {
		cand, err := model.Load(c.Shadow)
		if err != nil {
			return err
		}
		stats = &model.ShadowStats{}
		d = &model.Shadow{Live: d, Candidate: cand, Record: stats.Record}
	}
	e := model.NewEngine(features.DefaultConfig(), d)
	if c.Lists != "" {
		if e.Lists, err = readJSONFile(c.Lists, model.ReadLists); err != nil {
			return err
		}
	}
	if c.LoadState != "" {
		if e.Pipe.State, err = readJSONFile(c.LoadState, features.LoadState); err != nil {
			return err
		}
	}
	start := time.Now()
	err = writeFile(c.Out, func(w *bufio.Writer) error {
		sw, err := model.NewScoreWriter(w)
		if err != nil {
			return err
		}
		if err := model.Replay(txns, e, func(t *features.Txn, v model.Verdict) error { return sw.Write(t.ID, v) }); err != nil {
			return err
		}
		return sw.Flush()
	})
	if err != nil {
		return err
	}
	took := time.Since(start)
	g.log.Info("replayed", "scorer", d.Name(), "transactions", len(txns), "took", took.Round(time.Millisecond),
		"per_txn_us", float64(took.Microseconds())/float64(max(1, len(txns))))
	if c.SaveState != "" {
		if err := writeFile(c.SaveState, func(w *bufio.Writer) error { return e.Pipe.State.Save(w) }); err != nil {
			return err
		}
	}
	if stats != nil {
		g.log.Info("shadow", "candidate", c.Shadow, "agreement", stats.Agreement(), "failed", stats.Failed)
	}
	return nil
}

// RiskEvalCmd measures a scores file.
type RiskEvalCmd struct {
	Scores    string    `required:"" type:"existingfile" help:"Scores CSV from slt risk replay."`
	Labels    string    `required:"" type:"existingfile" help:"Labels CSV."`
	Precision []float64 `default:"0.5,0.8,0.9,0.95" help:"Report the best recall at these precisions."`
	JSON      bool      `name:"json" help:"Print JSON instead of a table."`
}

// Run evaluates.
func (c *RiskEvalCmd) Run(_ context.Context, g *Globals) error {
	f, err := os.Open(c.Scores)
	if err != nil {
		return err
	}
	defer f.Close()
	scores, err := model.ReadScores(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", c.Scores, err)
	}
	labels := map[string]features.Label{}
	if err := readLabels(c.Labels, labels); err != nil {
		return err
	}
	rep, err := model.Evaluate(scores, labels, c.Precision)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(g.stdout)
}

func readJSONFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := read(bufio.NewReader(f))
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

func readTxns(path string) ([]features.Txn, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	txns, err := features.ReadAll(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return txns, nil
}

func readLabels(path string, into map[string]features.Label) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := features.ReadLabels(bufio.NewReader(f), into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
