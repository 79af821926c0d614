package model_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/risk/model"
	"github.com/shiliantong/shiliantong/internal/sim"
)

func TestMetricsByHand(t *testing.T) {
	// Pairs (fraud, legit): (0.35,0.1) (0.35,0.4)✗ (0.8,0.1) (0.8,0.4): 3 of 4.
	s := []float64{0.1, 0.4, 0.35, 0.8}
	y := []bool{false, false, true, true}
	if got := model.ROCAUC(s, y); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("ROC-AUC %v, want 0.75", got)
	}
	// Thresholds 0.8: P=1 R=.5; 0.4: P=.5 R=.5; 0.35: P=2/3 R=1; 0.1: P=.5 R=1.
	// AP = .5·1 + 0·.5 + .5·2/3 + 0 = 0.8333…
	if got := model.AveragePrecision(s, y); math.Abs(got-5.0/6) > 1e-12 {
		t.Errorf("average precision %v, want 5/6", got)
	}
	if r, th := model.RecallAtPrecision(s, y, 0.6); r != 1 || th != 0.35 {
		t.Errorf("recall at precision 0.6: %v at %v, want 1 at 0.35", r, th)
	}
	if r, _ := model.RecallAtPrecision(s, y, 0.9); r != 0.5 {
		t.Errorf("recall at precision 0.9: %v, want 0.5", r)
	}
	// Ties count half.
	if got := model.ROCAUC([]float64{0.5, 0.5, 0.2}, []bool{true, false, false}); got != 0.75 {
		t.Errorf("ROC-AUC with a tie %v, want 0.75", got)
	}
	if !math.IsNaN(model.ROCAUC([]float64{1, 2}, []bool{true, true})) {
		t.Error("ROC-AUC of one class is not NaN")
	}
	p, r, n := model.PrecisionRecall([]bool{true, true, false, false}, []bool{true, false, true, false})
	if p != 0.5 || r != 0.5 || n != 2 {
		t.Errorf("precision/recall %v %v %v", p, r, n)
	}
}

type data struct {
	txns   []features.Txn
	labels map[string]features.Label
}

func simulate(t testing.TB, seed uint64, users, days int, mix map[string]float64) data {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Days, cfg.FraudFrom, cfg.Incidents = seed, users, days, 4, 4
	if mix != nil {
		cfg.Mix = mix
	}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := data{txns: res.Txns, labels: map[string]features.Label{}}
	for i, l := range res.Labels {
		d.labels[res.Txns[i].ID] = l
	}
	return d
}

func train(t testing.TB, d data, algo string) *model.Model {
	t.Helper()
	tc := model.DefaultTrainConfig()
	tc.Algo = algo
	m, err := model.Train(slices.Clone(d.txns), d.labels, tc, features.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var small struct {
	d data
	m *model.Model
}

func smallModel(t testing.TB) (data, *model.Model) {
	if small.m == nil {
		small.d = simulate(t, 21, 300, 14, nil)
		small.m = train(t, small.d, model.AlgoGBT)
	}
	return small.d, small.m
}

func replay(t testing.TB, txns []features.Txn, d model.Decider) map[string]model.Verdict {
	t.Helper()
	out := map[string]model.Verdict{}
	e := model.NewEngine(features.DefaultConfig(), d)
	if err := model.Replay(slices.Clone(txns), e, func(t *features.Txn, v model.Verdict) error {
		out[t.ID] = v
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A transaction's score depends on the past only: dropping or scrambling
// every later transaction changes none of the earlier scores.
func TestPastOnly(t *testing.T) {
	d, m := smallModel(t)
	all := replay(t, d.txns, m)
	r := rand.New(rand.NewPCG(5, 6))
	for _, frac := range []float64{0.3, 0.6, 0.9} {
		k := int(frac * float64(len(d.txns)))
		for k+1 < len(d.txns) && !d.txns[k+1].TS.After(d.txns[k].TS) {
			k++
		}
		past := d.txns[:k+1]
		// The future scrambled: its rows shuffled and their contents
		// swapped between rows, the times kept after the cut.
		future := slices.Clone(d.txns[k+1:])
		r.Shuffle(len(future), func(i, j int) { future[i], future[j] = future[j], future[i] })
		for i := range future {
			future[i].TS = d.txns[k+1+r.IntN(len(d.txns)-k-1)].TS
			future[i].Amount = 1 + r.Int64N(10_000_000)
		}
		mixed := append(slices.Clone(past), future...)
		for name, txns := range map[string][]features.Txn{"truncated": past, "scrambled": mixed} {
			got := replay(t, txns, m)
			for _, tx := range past {
				if got[tx.ID].Score != all[tx.ID].Score {
					t.Fatalf("%s after %d: %s scored %v, %v with the true future", name, k, tx.ID, got[tx.ID].Score, all[tx.ID].Score)
				}
			}
		}
	}
}

func TestModelFile(t *testing.T) {
	d, m := smallModel(t)
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	back, err := model.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if back.Version != m.Version || back.Thresholds != m.Thresholds {
		t.Fatalf("read back %s %v, wrote %s %v", back.Version, back.Thresholds, m.Version, m.Thresholds)
	}
	a, b := replay(t, d.txns, m), replay(t, d.txns, back)
	for id, v := range a {
		if b[id].Score != v.Score || b[id].Decision != v.Decision {
			t.Fatalf("%s: %v after the round trip, %v before", id, b[id], v)
		}
	}
	// Edited, truncated or of another pipeline: refused.
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["thresholds"].(map[string]any)["challenge"] = 0.99
	edited, _ := json.Marshal(doc)
	feats := strings.Replace(string(raw), `"log_amount"`, `"amount"`, 1)
	for name, in := range map[string]string{"edited": string(edited), "truncated": string(raw[:len(raw)/2]), "features": feats, "format": strings.Replace(string(raw), model.Format, "x/1", 1)} {
		if _, err := model.Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s model accepted", name)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	d := simulate(t, 31, 200, 10, nil)
	for _, algo := range []string{model.AlgoGBT, model.AlgoLogReg} {
		a, b := train(t, d, algo), train(t, d, algo)
		if a.Version != b.Version {
			t.Errorf("%s: two trainings gave %s and %s", algo, a.Version, b.Version)
		}
	}
}

type panicky struct{}

func (panicky) Decide(*features.Txn, []float64) model.Verdict { panic("broken") }
func (panicky) Name() string                                  { return "panicky" }

type fixed model.Decision

func (f fixed) Decide(_ *features.Txn, x []float64) model.Verdict {
	x[0] = math.NaN() // tries to spoil the live features
	return model.Verdict{Score: 1, Decision: model.Decision(f)}
}
func (f fixed) Name() string { return "fixed" }

func TestShadow(t *testing.T) {
	d, m := smallModel(t)
	live := replay(t, d.txns, m)
	for _, cand := range []model.Decider{panicky{}, fixed(model.Deny), model.DefaultRules()} {
		var st model.ShadowStats
		got := replay(t, d.txns, &model.Shadow{Live: m, Candidate: cand, Record: st.Record})
		for id, v := range live {
			if got[id].Score != v.Score || got[id].Decision != v.Decision {
				t.Fatalf("shadow %s changed %s: %v, live alone %v", cand.Name(), id, got[id], v)
			}
		}
		if st.N != len(d.txns) {
			t.Errorf("shadow %s: %d recorded of %d", cand.Name(), st.N, len(d.txns))
		}
		if _, ok := cand.(panicky); ok && st.Failed != st.N {
			t.Errorf("panicking shadow: %d failures of %d", st.Failed, st.N)
		}
		if _, ok := cand.(fixed); ok && st.Agreement() > 0.5 {
			t.Errorf("denying everything agrees %.2f with the model", st.Agreement())
		}
	}
}

func TestLists(t *testing.T) {
	d, m := smallModel(t)
	e := model.NewEngine(features.DefaultConfig(), m)
	e.Lists = &model.Lists{DenyPayees: map[string]bool{d.txns[0].Counterparty: true}}
	if v := e.Assess(&d.txns[0]); v.Decision != model.Deny {
		t.Fatalf("denied payee: %v", v)
	}
}

// The scoring on the payment path, features included, per transaction.
func BenchmarkScore(b *testing.B) {
	d, m := smallModel(b)
	e := model.NewEngine(features.DefaultConfig(), m)
	n := len(d.txns)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := &d.txns[i%n]
		if i%n == 0 && i > 0 {
			b.StopTimer()
			e = model.NewEngine(features.DefaultConfig(), m)
			b.StartTimer()
		}
		e.Assess(t)
		e.Observe(t)
	}
}

// The 99th percentile of Assess (features and model) stays far under 2 ms.
func TestScoreLatency(t *testing.T) {
	d, m := smallModel(t)
	e := model.NewEngine(features.DefaultConfig(), m)
	lat := make([]time.Duration, 0, len(d.txns))
	for i := range d.txns {
		start := time.Now()
		e.Assess(&d.txns[i])
		lat = append(lat, time.Since(start))
		e.Observe(&d.txns[i])
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[len(lat)*99/100]
	t.Logf("assess p50 %v p99 %v over %d", lat[len(lat)/2], p99, len(lat))
	if p99 > 2*time.Millisecond {
		t.Errorf("p99 %v above 2 ms", p99)
	}
}
