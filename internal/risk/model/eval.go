package model

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// ScoreHeader is the header of a scores file.
var ScoreHeader = []string{"txn_id", "score", "decision"}

// Scored is one row of a scores file.
type Scored struct {
	ID       string
	Score    float64
	Decision Decision
}

// ScoreWriter writes a scores file.
type ScoreWriter struct {
	w   *csv.Writer
	rec []string
}

// NewScoreWriter writes the header.
func NewScoreWriter(w io.Writer) (*ScoreWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(ScoreHeader); err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	return &ScoreWriter{w: cw, rec: make([]string, 3)}, nil
}

// Write writes a row.
func (sw *ScoreWriter) Write(id string, v Verdict) error {
	sw.rec[0], sw.rec[1], sw.rec[2] = id, strconv.FormatFloat(v.Score, 'g', 8, 64), string(v.Decision)
	if err := sw.w.Write(sw.rec); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	return nil
}

// Flush flushes and reports a write error.
func (sw *ScoreWriter) Flush() error {
	sw.w.Flush()
	if err := sw.w.Error(); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	return nil
}

// ReadScores reads a scores file strictly.
func ReadScores(r io.Reader) ([]Scored, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	rec, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("scores: line 1: %w", err)
	}
	if rec[0] != "txn_id" || rec[1] != "score" || rec[2] != "decision" {
		return nil, fmt.Errorf("scores: line 1: header %q, want txn_id,score,decision", rec)
	}
	var out []Scored
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("scores: %w", err)
		}
		line, _ := cr.FieldPos(0)
		s, err := strconv.ParseFloat(rec[1], 64)
		if err != nil || math.IsNaN(s) {
			return nil, fmt.Errorf("scores: line %d: score %q is not a number", line, rec[1])
		}
		d := Decision(rec[2])
		if d != Allow && d != Challenge && d != Deny {
			return nil, fmt.Errorf("scores: line %d: decision %q: want allow, challenge or deny", line, rec[2])
		}
		out = append(out, Scored{ID: rec[0], Score: s, Decision: d})
	}
}

// AtPrecision is the best recall reaching a precision.
type AtPrecision struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Threshold float64 `json:"threshold"`
}

// TypologyReport measures one typology against the legitimate rows (the
// other typologies left out).
type TypologyReport struct {
	Typology string  `json:"typology"`
	Frauds   int     `json:"frauds"`
	ROCAUC   float64 `json:"roc_auc"`
	PRAUC    float64 `json:"pr_auc"`
	BaseRate float64 `json:"base_rate"` // the PR-AUC of chance
	OpRecall float64 `json:"op_recall"` // share not allowed
	Better   bool    `json:"better_than_chance"`
}

// Report is the evaluation of a scores file against labels.
type Report struct {
	Rows          int              `json:"rows"`
	Frauds        int              `json:"frauds"`
	ROCAUC        float64          `json:"roc_auc"`
	PRAUC         float64          `json:"pr_auc"`
	OpFlagged     int              `json:"op_flagged"` // challenged or denied
	OpPrecision   float64          `json:"op_precision"`
	OpRecall      float64          `json:"op_recall"`
	DenyPrecision float64          `json:"deny_precision"`
	DenyRecall    float64          `json:"deny_recall"`
	At            []AtPrecision    `json:"at_precision"`
	Typologies    []TypologyReport `json:"typologies"`
}

// Evaluate joins scores and labels (every scored transaction needs a
// label) and measures.
func Evaluate(scores []Scored, labels map[string]features.Label, precisions []float64) (*Report, error) {
	n := len(scores)
	s := make([]float64, n)
	y := make([]bool, n)
	typ := make([]string, n)
	op := make([]bool, n)
	deny := make([]bool, n)
	seen := make(map[string]bool, n)
	for i, r := range scores {
		l, ok := labels[r.ID]
		if !ok {
			return nil, fmt.Errorf("eval: no label for %q", r.ID)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("eval: %q scored twice", r.ID)
		}
		seen[r.ID] = true
		s[i], y[i], typ[i] = r.Score, l.Fraud, l.Typology
		op[i], deny[i] = r.Decision != Allow, r.Decision == Deny
	}
	rep := &Report{Rows: n}
	for _, f := range y {
		if f {
			rep.Frauds++
		}
	}
	if rep.Frauds == 0 || rep.Frauds == n {
		return nil, fmt.Errorf("eval: need fraud and legitimate rows, have %d of %d fraud", rep.Frauds, n)
	}
	rep.ROCAUC = ROCAUC(s, y)
	rep.PRAUC = AveragePrecision(s, y)
	rep.OpPrecision, rep.OpRecall, rep.OpFlagged = PrecisionRecall(op, y)
	rep.DenyPrecision, rep.DenyRecall, _ = PrecisionRecall(deny, y)
	for _, p := range precisions {
		r, th := RecallAtPrecision(s, y, p)
		rep.At = append(rep.At, AtPrecision{Precision: p, Recall: r, Threshold: th})
	}
	kinds := map[string]bool{}
	for i, f := range y {
		if f {
			kinds[typ[i]] = true
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var ss []float64
		var yy, oo []bool
		for i := range s {
			if !y[i] || typ[i] == k {
				ss, yy, oo = append(ss, s[i]), append(yy, y[i]), append(oo, op[i])
			}
		}
		tr := TypologyReport{Typology: k, ROCAUC: ROCAUC(ss, yy), PRAUC: AveragePrecision(ss, yy)}
		for _, f := range yy {
			if f {
				tr.Frauds++
			}
		}
		tr.BaseRate = float64(tr.Frauds) / float64(len(yy))
		_, tr.OpRecall, _ = PrecisionRecall(oo, yy)
		tr.Better = tr.ROCAUC > 0.5 && tr.PRAUC > tr.BaseRate
		rep.Typologies = append(rep.Typologies, tr)
	}
	return rep, nil
}

// WriteText prints the report as a small table.
func (r *Report) WriteText(w io.Writer) error {
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	p("rows %d, frauds %d (%.3f%%)\n", r.Rows, r.Frauds, 100*float64(r.Frauds)/float64(r.Rows))
	p("ROC-AUC %.4f  PR-AUC %.4f\n", r.ROCAUC, r.PRAUC)
	p("operating point (challenge or deny): flagged %d, precision %.4f, recall %.4f\n", r.OpFlagged, r.OpPrecision, r.OpRecall)
	p("deny only: precision %.4f, recall %.4f\n", r.DenyPrecision, r.DenyRecall)
	for _, a := range r.At {
		p("recall at precision >= %.2f: %.4f (threshold %.4g)\n", a.Precision, a.Recall, a.Threshold)
	}
	p("%-14s %7s %8s %8s %9s %10s %s\n", "typology", "frauds", "ROC-AUC", "PR-AUC", "chance", "op-recall", "better-than-chance")
	for _, t := range r.Typologies {
		p("%-14s %7d %8.4f %8.4f %9.5f %10.4f %v\n", t.Typology, t.Frauds, t.ROCAUC, t.PRAUC, t.BaseRate, t.OpRecall, t.Better)
	}
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}
