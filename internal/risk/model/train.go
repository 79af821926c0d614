package model

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// SortByTime orders transactions by time, keeping the file's order for
// equal times.
func SortByTime(txns []features.Txn) {
	sort.SliceStable(txns, func(i, j int) bool { return txns[i].TS.Before(txns[j].TS) })
}

// Replay feeds transactions, in time order, through the engine: each is
// assessed from the state of the transactions before it, then observed.
// No label and nothing later than a transaction reaches its verdict.
func Replay(txns []features.Txn, e *Engine, fn func(t *features.Txn, v Verdict) error) error {
	SortByTime(txns)
	for i := range txns {
		t := &txns[i]
		v := e.Assess(t)
		if err := fn(t, v); err != nil {
			return err
		}
		e.Observe(t)
	}
	return nil
}

// Matrix is the feature vectors of txns, in time order, row-major, as
// replay computes them. It sorts txns.
func Matrix(txns []features.Txn, cfg features.Config) []float64 {
	SortByTime(txns)
	p := features.New(cfg)
	x := make([]float64, len(txns)*features.NumFeatures)
	for i := range txns {
		p.Extract(&txns[i], x[i*features.NumFeatures:(i+1)*features.NumFeatures])
		p.Observe(&txns[i])
	}
	return x
}

// TrainConfig says how to train.
type TrainConfig struct {
	Algo            string
	GBT             GBTParams
	L2              float64 // logistic regression
	NegSample       float64 // share of legitimate rows kept for fitting (weighted back)
	ValidFrac       float64 // the latest share of rows, held out for metrics and thresholds
	TargetPrecision float64 // the challenge threshold's precision on the held-out rows
	DenyPrecision   float64 // the deny threshold's
	Seed            uint64
	Inputs          []string
	Drop            []string // features the model must not see (ablations)
}

// DefaultTrainConfig trains trees.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Algo: AlgoGBT, GBT: DefaultGBTParams(), L2: 1, NegSample: 0.3, ValidFrac: 0.25, TargetPrecision: 0.9, DenyPrecision: 0.98, Seed: 1}
}

// Train fits a model to the transactions and their labels (transactions
// without a label count as legitimate), picks the thresholds on the
// latest ValidFrac of them, and measures it there.
func Train(txns []features.Txn, labels map[string]features.Label, tc TrainConfig, cfg features.Config) (*Model, error) {
	start := time.Now()
	if len(txns) == 0 {
		return nil, errors.New("train: no transactions")
	}
	if tc.NegSample <= 0 || tc.NegSample > 1 || tc.ValidFrac <= 0 || tc.ValidFrac >= 1 {
		return nil, fmt.Errorf("train: neg-sample %v must be in (0,1] and valid-frac %v in (0,1)", tc.NegSample, tc.ValidFrac)
	}
	m := &Model{Format: Format, Created: time.Now().UTC().Truncate(time.Second), Algo: tc.Algo, Features: features.Names[:]}
	if err := m.setDropped(tc.Drop); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	x := Matrix(txns, cfg)
	nf := features.NumFeatures
	for i := range len(txns) {
		for _, f := range m.drop {
			x[i*nf+f] = 0
		}
	}
	n := len(txns)
	y := make([]bool, n)
	typ := make([]string, n)
	unlabelled := 0
	for i := range txns {
		l, ok := labels[txns[i].ID]
		if !ok {
			unlabelled++
		}
		y[i], typ[i] = l.Fraud, l.Typology
	}
	if unlabelled > 0 {
		slog.Info("train: transactions without a label count as legitimate", "count", unlabelled)
	}
	cut := int(float64(n) * (1 - tc.ValidFrac))
	r := rand.New(rand.NewPCG(tc.Seed, 0x7a1))
	var fx []float64
	var fy []bool
	var fw []float64
	frauds := 0
	for i := range cut {
		if y[i] {
			frauds++
		} else if r.Float64() >= tc.NegSample {
			continue
		}
		fx = append(fx, x[i*nf:(i+1)*nf]...)
		fy = append(fy, y[i])
		w := 1.0
		if !y[i] {
			w = 1 / tc.NegSample
		}
		fw = append(fw, w)
	}
	if frauds == 0 || frauds == len(fy) {
		return nil, fmt.Errorf("train: the training part (%d rows) needs both fraud and legitimate rows, has %d frauds", cut, frauds)
	}
	m.Training = Training{Inputs: tc.Inputs, Rows: len(fy), Frauds: frauds, NegSample: tc.NegSample, ValidFrac: tc.ValidFrac,
		TargetPrec: tc.TargetPrecision, DenyPrec: tc.DenyPrecision}
	switch tc.Algo {
	case AlgoGBT:
		p := tc.GBT
		p.Seed = tc.Seed
		m.GBT = trainGBT(fx, nf, fy, fw, p)
		m.Training.GBT = &p
	case AlgoLogReg:
		l, err := trainLogReg(fx, nf, fy, fw, tc.L2, 30)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		m.LogReg = l
		m.Training.LogRegL2 = tc.L2
	default:
		return nil, fmt.Errorf("train: unknown algorithm %q (want %s or %s)", tc.Algo, AlgoGBT, AlgoLogReg)
	}
	// Thresholds and metrics on the held-out later rows.
	vs := make([]float64, 0, n-cut)
	vy := y[cut:]
	for i := cut; i < n; i++ {
		vs = append(vs, m.Score(x[i*nf:(i+1)*nf]))
	}
	var err error
	m.Thresholds, m.Metrics, err = calibrate(vs, vy, typ[cut:], tc)
	if err != nil {
		return nil, err
	}
	m.Training.DurationSec = math.Round(time.Since(start).Seconds()*10) / 10
	if m.Version, err = m.contentVersion(); err != nil {
		return nil, err
	}
	return m, nil
}

// calibrate picks the thresholds reaching the target precisions with the
// most recall, and measures them.
func calibrate(score []float64, y []bool, typ []string, tc TrainConfig) (Thresholds, Metrics, error) {
	var mt Metrics
	mt.Rows = len(y)
	for _, f := range y {
		if f {
			mt.Frauds++
		}
	}
	if mt.Frauds == 0 || mt.Frauds == len(y) {
		return Thresholds{}, mt, fmt.Errorf("train: the held-out part (%d rows) needs both fraud and legitimate rows, has %d frauds", len(y), mt.Frauds)
	}
	_, ch := RecallAtPrecision(score, y, tc.TargetPrecision)
	if math.IsInf(ch, 1) {
		ch = 0.5
		slog.Warn("train: no threshold reaches the target precision on the held-out rows; challenging at 0.5", "target", tc.TargetPrecision)
	}
	_, dn := RecallAtPrecision(score, y, tc.DenyPrecision)
	if math.IsInf(dn, 1) {
		dn = 1.01 // never
	}
	th := Thresholds{Challenge: ch, Deny: math.Max(dn, ch)}
	mt.ROCAUC = round4(ROCAUC(score, y))
	mt.PRAUC = round4(AveragePrecision(score, y))
	p := make([]float64, len(score))
	copy(p, score)
	mt.LogLoss = round4(LogLoss(p, y))
	flag := make([]bool, len(score))
	for i, s := range score {
		flag[i] = s >= th.Challenge
	}
	pr, rc, _ := PrecisionRecall(flag, y)
	mt.ChallengePrec, mt.ChallengeRecall = round4(pr), round4(rc)
	for i, s := range score {
		flag[i] = s >= th.Deny
	}
	pr, rc, _ = PrecisionRecall(flag, y)
	mt.DenyPrecision, mt.DenyRecall = round4(pr), round4(rc)
	hit, all := map[string]float64{}, map[string]float64{}
	for i, f := range y {
		if f {
			all[typ[i]]++
			if score[i] >= th.Challenge {
				hit[typ[i]]++
			}
		}
	}
	mt.RecallByTypology = map[string]float64{}
	for k, n := range all {
		mt.RecallByTypology[k] = round4(hit[k] / n)
	}
	return th, mt, nil
}

func round4(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Round(v*1e4) / 1e4
}
