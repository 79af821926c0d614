package risk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/risk/model"
)

// ModelConfig configures a ModelAssessor.
type ModelConfig struct {
	// Budget is how long the model may take; past it (or on an error) the
	// rules decide.
	Budget time.Duration
	// Rules is the fallback's configuration.
	Rules RulesConfig
	// Features are the pipeline's parameters.
	Features features.Config
	// Device names the device an event comes from. Event carries none yet:
	// by default every user has one device, so the device signals stay
	// neutral until the server passes the real device.
	Device func(Event) string
	Log    *slog.Logger
}

// DefaultModelConfig allows 2 ms.
func DefaultModelConfig() ModelConfig {
	return ModelConfig{Budget: 2 * time.Millisecond, Rules: DefaultRulesConfig(), Features: features.DefaultConfig(), Log: slog.Default()}
}

// ModelAssessor is an Assessor backed by the fraud model (or any
// model.Decider, a model.Shadow included), falling back to Rules when the
// model fails or is slower than its budget.
type ModelAssessor struct {
	cfg       ModelConfig
	rules     *Rules
	mu        sync.Mutex // guards engine
	engine    *model.Engine
	name      string // the live model's version
	fallbacks atomic.Int64
}

// NewModelAssessor returns an assessor with an empty state.
func NewModelAssessor(d model.Decider, cfg ModelConfig) *ModelAssessor {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &ModelAssessor{cfg: cfg, rules: NewRules(cfg.Rules), engine: model.NewEngine(cfg.Features, d), name: d.Name()}
}

// Fallbacks counts the decisions the rules made instead of the model.
func (a *ModelAssessor) Fallbacks() int64 { return a.fallbacks.Load() }

// txn maps an event onto the pipeline's transaction.
func (a *ModelAssessor) txn(e Event) features.Txn {
	t := features.Txn{TS: e.At, Type: e.Kind, UserID: e.UserID, Counterparty: e.Counterparty, Amount: e.Amount, Currency: e.Currency,
		DeviceID: "user:" + e.UserID}
	if e.Device != "" {
		t.DeviceID = e.Device
	}
	if a.cfg.Device != nil {
		t.DeviceID = a.cfg.Device(e)
	}
	t.MCC = e.MCC
	t.ID = e.Ref
	t.NewDeviceLogin = !e.SessionStarted.IsZero() && e.At.Sub(e.SessionStarted) < time.Hour
	return t
}

// Assess asks the model, within the budget; otherwise the rules.
func (a *ModelAssessor) Assess(ctx context.Context, e Event) Decision {
	t := a.txn(e)
	type result struct {
		v   model.Verdict
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("model panicked: %v", p)
			}
			ch <- r
		}()
		a.mu.Lock()
		defer a.mu.Unlock()
		r.v = a.engine.Assess(&t)
	}()
	timer := time.NewTimer(a.cfg.Budget)
	defer timer.Stop()
	var err error
	select {
	case r := <-ch:
		if r.err == nil {
			d := toDecision(r.v, e.Strong)
			d.Model = a.name
			return d
		}
		err = r.err
	case <-timer.C:
		err = errors.New("model slower than its budget")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if n := a.fallbacks.Add(1); n&(n-1) == 0 { // the 1st, 2nd, 4th, 8th...: not a flood under load
		a.cfg.Log.Warn("risk: the rules decide", "err", err, "user", e.UserID, "fallbacks", n)
	}
	return a.rules.Assess(ctx, e)
}

// toDecision maps the model's verdict: a score above the deny threshold
// holds the money-out for an operator's review (a model alone does not
// refuse a customer without recourse); the deny lists refuse.
func toDecision(v model.Verdict, strong bool) Decision {
	d := Decision{Reasons: v.Reasons, Score: v.Score}
	switch v.Decision {
	case model.Deny:
		d.Action = Hold
		for _, r := range v.Reasons {
			if strings.HasSuffix(r, "on the deny list") {
				d.Action = Deny
			}
		}
	case model.Challenge:
		d.Action = Challenge
		if strong {
			d.Action = Allow // the PIN was given: the challenge is met
		}
	}
	return d
}

// Done adds an allowed event to the model's state and the rules' velocity.
func (a *ModelAssessor) Done(e Event) {
	a.rules.Done(e)
	t := a.txn(e)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.engine.Observe(&t)
}

// Snapshot writes the model's state (the profiles and windows), to be
// restored after a restart.
func (a *ModelAssessor) Snapshot(w io.Writer) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.engine.Pipe.State.Save(w)
}

// Restore replaces the state with a snapshot.
func (a *ModelAssessor) Restore(r io.Reader) error {
	s, err := features.LoadState(r)
	if err != nil {
		return fmt.Errorf("risk: restoring: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.engine.Pipe.State = s
	return nil
}

// Prune forgets the users, payees and devices idle for longer than idle,
// bounding the state's memory; run it now and then.
func (a *ModelAssessor) Prune(idle time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.engine.Pipe.State.Prune(int64(idle / time.Second))
}
