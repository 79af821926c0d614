package risk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
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
	mu        sync.RWMutex // guards engine: Assess reads, Done writes
	engine    *model.Engine
	name      string // the live model's version
	fallbacks atomic.Int64
	// pending are the events Done queued for the state.
	pending       chan features.Txn
	wake          chan struct{}
	startObserver sync.Once
}

// NewModelAssessor returns an assessor with an empty state.
func NewModelAssessor(d model.Decider, cfg ModelConfig) *ModelAssessor {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &ModelAssessor{cfg: cfg, rules: NewRules(cfg.Rules), engine: model.NewEngine(cfg.Features, d), name: d.Name(),
		pending: make(chan features.Txn, 4096), wake: make(chan struct{}, 1)}
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

// Assess asks the model, within the budget; otherwise the rules. The model
// runs on the caller's goroutine under a read lock (assessments run side
// by side; only Done writes): handing it to another goroutine and waiting
// cost more than the model itself on a busy machine. The wait for the
// lock is bounded by the budget; a model that panics, or that took longer
// than the budget, gives way to the rules.
func (a *ModelAssessor) Assess(ctx context.Context, e Event) Decision {
	start := time.Now()
	t := a.txn(e)
	for !a.mu.TryRLock() {
		if time.Since(start) > a.cfg.Budget || ctx.Err() != nil {
			return a.fallback(ctx, e, errors.New("the model's state was busy past its budget"))
		}
		runtime.Gosched()
	}
	v, err := a.assess(&t)
	a.mu.RUnlock()
	switch {
	case err != nil:
		return a.fallback(ctx, e, err)
	case time.Since(start) > a.cfg.Budget:
		return a.fallback(ctx, e, errors.New("model slower than its budget"))
	}
	d := toDecision(v, e.Strong)
	d.Model = a.name
	return d
}

// scratch is one assessment's working space.
type scratch struct {
	x    []float64
	seen map[string]struct{}
}

var scratches = sync.Pool{New: func() any {
	return &scratch{x: make([]float64, features.NumFeatures), seen: map[string]struct{}{}}
}}

// assess runs the model, turning a panic into an error.
func (a *ModelAssessor) assess(t *features.Txn) (v model.Verdict, err error) {
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("model panicked: %v", p)
		}
	}()
	return a.engine.AssessWith(t, sc.x, sc.seen), nil
}

// fallback lets the rules decide, counting it.
func (a *ModelAssessor) fallback(ctx context.Context, e Event, err error) Decision {
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
//
// The state is updated behind the payment path: one goroutine applies the
// events in order, a few dozen per write lock, so that assessments (which
// read the state side by side) wait for one short batch at most. Should
// it fall far behind, Done applies the event itself.
func (a *ModelAssessor) Done(e Event) {
	a.rules.Done(e)
	t := a.txn(e)
	a.startObserver.Do(func() { go a.observe() })
	select {
	case a.pending <- t:
		select {
		case a.wake <- struct{}{}:
		default: // already woken
		}
	default:
		a.mu.Lock()
		a.drainLocked(-1)
		a.engine.Observe(&t)
		a.mu.Unlock()
	}
}

// observeBatch is how many events one write lock applies at most.
const observeBatch = 32

// observe applies the events Done queued, a batch per write lock. Events
// are only taken from the queue under the lock, so that they are applied
// in order and a snapshot (which drains the queue) misses none.
func (a *ModelAssessor) observe() {
	for range a.wake {
		for {
			a.mu.Lock()
			n := a.drainLocked(observeBatch)
			a.mu.Unlock()
			if n < observeBatch {
				break
			}
		}
	}
}

// drainLocked applies up to limit of the events queued (all if limit < 0)
// and returns how many; the caller holds the write lock.
func (a *ModelAssessor) drainLocked(limit int) int {
	n := 0
	for n != limit {
		select {
		case t := <-a.pending:
			a.engine.Observe(&t)
			n++
		default:
			return n
		}
	}
	return n
}

// Snapshot writes the model's state (the profiles and windows), to be
// restored after a restart.
func (a *ModelAssessor) Snapshot(w io.Writer) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drainLocked(-1)
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
