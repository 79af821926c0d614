// Package model is the fraud model: training (gradient-boosted trees or
// logistic regression, in plain Go), inference, the versioned model file,
// the rules-only baseline, shadow scoring beside the live model, replay of
// a transactions file through the feature pipeline, and the evaluation
// metrics.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// Format names the model file format.
const Format = "slt-risk-model/1"

// The algorithms.
const (
	AlgoGBT    = "gbt"
	AlgoLogReg = "logreg"
)

// Thresholds turn a score into a decision: at or above Challenge the
// payment needs a strong factor, at or above Deny it is refused.
type Thresholds struct {
	Challenge float64 `json:"challenge"`
	Deny      float64 `json:"deny"`
}

// Metrics are measured on the held-out (later in time) part of the
// training data.
type Metrics struct {
	Rows             int                `json:"rows"`
	Frauds           int                `json:"frauds"`
	ROCAUC           float64            `json:"roc_auc"`
	PRAUC            float64            `json:"pr_auc"`
	LogLoss          float64            `json:"log_loss"`
	ChallengePrec    float64            `json:"challenge_precision"`
	ChallengeRecall  float64            `json:"challenge_recall"`
	DenyPrecision    float64            `json:"deny_precision"`
	DenyRecall       float64            `json:"deny_recall"`
	RecallByTypology map[string]float64 `json:"recall_by_typology,omitempty"`
}

// Training records how the model was made.
type Training struct {
	Inputs      []string   `json:"inputs"` // transactions and labels files
	Rows        int        `json:"rows"`   // rows used to fit, after sampling
	Frauds      int        `json:"frauds"`
	NegSample   float64    `json:"neg_sample"` // share of legitimate rows kept
	ValidFrac   float64    `json:"valid_frac"`
	TargetPrec  float64    `json:"target_precision"`
	DenyPrec    float64    `json:"deny_precision"`
	GBT         *GBTParams `json:"gbt,omitempty"`
	LogRegL2    float64    `json:"logreg_l2,omitempty"`
	DurationSec float64    `json:"duration_sec"`
}

// Model is a trained model as stored in its file.
type Model struct {
	Format     string     `json:"format"`
	Version    string     `json:"version"` // the content hash of what scores
	Created    time.Time  `json:"created"`
	Algo       string     `json:"algo"`
	Features   []string   `json:"features"`
	Thresholds Thresholds `json:"thresholds"`
	Metrics    Metrics    `json:"metrics"`
	Training   Training   `json:"training"`
	GBT        *GBT       `json:"gbt,omitempty"`
	LogReg     *LogReg    `json:"logreg,omitempty"`
	// Dropped are features the model does not see (set to 0 in training
	// and scoring): for ablations.
	Dropped []string `json:"dropped,omitempty"`
	drop    []int
}

// Score is the probability of fraud of a feature vector.
func (m *Model) Score(x []float64) float64 {
	if len(m.drop) > 0 {
		var buf [features.NumFeatures]float64
		copy(buf[:], x)
		for _, i := range m.drop {
			buf[i] = 0
		}
		x = buf[:]
	}
	switch {
	case m.GBT != nil:
		return sigmoid(m.GBT.Margin(x))
	case m.LogReg != nil:
		return sigmoid(m.LogReg.Margin(x))
	}
	return 0
}

// contentVersion hashes what determines the scores and decisions.
func (m *Model) contentVersion() (string, error) {
	b, err := json.Marshal(struct {
		A string
		F []string
		T Thresholds
		G *GBT
		L *LogReg
		D []string `json:",omitempty"`
	}{m.Algo, m.Features, m.Thresholds, m.GBT, m.LogReg, m.Dropped})
	if err != nil {
		return "", fmt.Errorf("model: hashing: %w", err)
	}
	h := sha256.Sum256(b)
	return m.Algo + "-" + hex.EncodeToString(h[:6]), nil
}

// setDropped resolves the dropped features' names.
func (m *Model) setDropped(names []string) error {
	m.Dropped, m.drop = nil, nil
	for _, n := range names {
		i := slices.Index(features.Names[:], n)
		if i < 0 {
			return fmt.Errorf("model: no feature %q to drop", n)
		}
		m.Dropped = append(m.Dropped, n)
		m.drop = append(m.drop, i)
	}
	return nil
}

// Write writes the model as indented JSON.
func (m *Model) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("model: writing: %w", err)
	}
	return nil
}

// Save writes the model to a file.
func (m *Model) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if err := m.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// Read reads and checks a model file: its format, that its features are
// the pipeline's, in order, that its trees only use those and that its
// version matches its content.
func Read(r io.Reader) (*Model, error) {
	var m Model
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model: reading: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("model: format %q, want %q", m.Format, Format)
	}
	if len(m.Features) != features.NumFeatures {
		return nil, fmt.Errorf("model: %d features, the pipeline has %d", len(m.Features), features.NumFeatures)
	}
	for i, n := range m.Features {
		if n != features.Names[i] {
			return nil, fmt.Errorf("model: feature %d is %q, the pipeline's is %q", i, n, features.Names[i])
		}
	}
	switch {
	case m.Algo == AlgoGBT && m.GBT != nil && m.LogReg == nil:
		for ti, t := range m.GBT.Trees {
			if len(t.Nodes) == 0 {
				return nil, fmt.Errorf("model: tree %d is empty", ti)
			}
			for ni, n := range t.Nodes {
				if n.F >= features.NumFeatures || (n.F >= 0 && (n.L <= int32(ni) || n.R <= int32(ni) || int(n.L) >= len(t.Nodes) || int(n.R) >= len(t.Nodes))) || math.IsNaN(n.V) || math.IsNaN(n.T) {
					return nil, fmt.Errorf("model: tree %d node %d is malformed", ti, ni)
				}
			}
		}
	case m.Algo == AlgoLogReg && m.LogReg != nil && m.GBT == nil:
		l := m.LogReg
		if len(l.W) != features.NumFeatures || len(l.Mean) != features.NumFeatures || len(l.Scale) != features.NumFeatures {
			return nil, errors.New("model: logistic regression of the wrong size")
		}
	default:
		return nil, fmt.Errorf("model: algorithm %q without exactly its parameters", m.Algo)
	}
	if err := m.setDropped(m.Dropped); err != nil {
		return nil, err
	}
	v, err := m.contentVersion()
	if err != nil {
		return nil, err
	}
	if v != m.Version {
		return nil, fmt.Errorf("model: version %q does not match the content (%q): the file was edited", m.Version, v)
	}
	return &m, nil
}

// Load reads a model file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
