package model

import (
	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// Engine is the payment-path pipeline: features from the state, a
// decider, the lists. It is not safe for concurrent use.
type Engine struct {
	Pipe    *features.Pipeline
	Decider Decider
	Lists   *Lists
	x       []float64
}

// NewEngine returns an engine with an empty state.
func NewEngine(cfg features.Config, d Decider) *Engine {
	return &Engine{Pipe: features.New(cfg), Decider: d, x: make([]float64, features.NumFeatures)}
}

// Assess scores t from the past only; it does not change the state.
func (e *Engine) Assess(t *features.Txn) Verdict {
	e.Pipe.Extract(t, e.x)
	return e.Lists.Apply(t, e.Decider.Decide(t, e.x))
}

// AssessWith is Assess with the caller's scratch space (x of length
// features.NumFeatures, and a map): it only reads the engine, so several
// goroutines may assess at once while nothing observes.
func (e *Engine) AssessWith(t *features.Txn, x []float64, scratch map[string]struct{}) Verdict {
	e.Pipe.ExtractWith(t, x, scratch)
	return e.Lists.Apply(t, e.Decider.Decide(t, x))
}

// Observe adds t, which happened, to the state.
func (e *Engine) Observe(t *features.Txn) { e.Pipe.Observe(t) }
