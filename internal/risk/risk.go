// Package risk is the one decision point every money-out passes through
// (P2P transfers, merchant payments, withdrawals): it answers allow,
// challenge (ask for the payment PIN) or deny, with reasons. Rules is the
// implementation for now; a model-based engine plugs in behind the same
// Assessor interface without touching the callers.
package risk

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Action is what the caller must do.
type Action uint8

// The actions, in increasing severity.
const (
	Allow     Action = iota // go ahead
	Challenge               // only with the payment PIN (or another strong factor)
	Hold                    // not now: an operator reviews it (a case), the payer may retry once it is released
	Deny                    // refuse
)

func (a Action) String() string {
	return [...]string{"allow", "challenge", "hold", "deny"}[a]
}

// Event is a money-out about to happen.
type Event struct {
	Kind           string // p2p, payment, withdrawal
	UserID         string
	UserSince      time.Time // when the user registered
	SessionStarted time.Time // when this device logged in; zero if unknown
	Amount         int64     // minor units
	Currency       string
	Counterparty   string // payee user or merchant id
	Strong         bool   // the payment PIN (or a passkey) was given
	At             time.Time
	// Device is the device the money-out comes from ("" if unknown): the
	// session's device, or the payment-code device at a till.
	Device string
	// MCC is the merchant's category (ISO 18245) for payments, else "".
	MCC string
	// Ref is the money-out's own id (its ledger transfer), when known
	// before it is made.
	Ref string
}

// Decision is the answer, with the reasons a person can read.
type Decision struct {
	Action  Action
	Reasons []string
	// Score is the model's probability of fraud (0..1); the rules give 0.
	Score float64
	// Model names what decided: "rules", or the model's version.
	Model string
}

// Assessor decides on events. Implementations must be safe for concurrent
// use and fast: they are on the payment path.
type Assessor interface {
	Assess(ctx context.Context, e Event) Decision
	// Done tells the assessor that an allowed event happened (for
	// velocity); events that were refused are not reported.
	Done(e Event)
}

// RulesConfig are the thresholds of Rules, in minor units of CNY-scale
// currencies (a currency missing from a map has no such rule).
type RulesConfig struct {
	// ChallengeAbove: a single money-out above this needs the PIN.
	ChallengeAbove map[string]int64
	// NewUserFor is how long a registration counts as new; a new user's
	// money-outs above NewUserChallengeAbove need the PIN.
	NewUserFor            time.Duration
	NewUserChallengeAbove map[string]int64
	// NewDeviceFor is how long a login counts as a new device: its
	// password-free payments are challenged.
	NewDeviceFor time.Duration
	// Velocity: more than ChallengeCount money-outs by one user within
	// Window are challenged; more than DenyCount are refused.
	Window         time.Duration
	ChallengeCount int
	DenyCount      int
}

// DefaultRulesConfig are conservative thresholds for a consumer wallet.
func DefaultRulesConfig() RulesConfig {
	return RulesConfig{
		ChallengeAbove:        map[string]int64{"CNY": 10_000_00, "HKD": 11_000_00, "USD": 1_400_00, "EUR": 1_300_00, "SGD": 1_900_00, "JPY": 210_000},
		NewUserFor:            24 * time.Hour,
		NewUserChallengeAbove: map[string]int64{"CNY": 500_00},
		NewDeviceFor:          10 * time.Minute,
		Window:                time.Minute,
		ChallengeCount:        30,
		DenyCount:             120,
	}
}

// Rules is the rule-based Assessor. Velocity is counted per process: with
// several servers, each sees its share of a user's requests.
type Rules struct {
	cfg RulesConfig
	mu  sync.Mutex
	out map[string][]time.Time // user → recent money-outs, oldest first
}

// maxTracked bounds the users whose recent money-outs are kept.
const maxTracked = 200_000

// NewRules returns a rule-based assessor.
func NewRules(cfg RulesConfig) *Rules {
	return &Rules{cfg: cfg, out: map[string][]time.Time{}}
}

// Assess applies the rules; the most severe action wins, and every rule
// that fired is a reason.
func (r *Rules) Assess(_ context.Context, e Event) Decision {
	var d Decision
	raise := func(a Action, reason string) {
		d.Action = max(d.Action, a)
		d.Reasons = append(d.Reasons, reason)
	}
	if lim, ok := r.cfg.ChallengeAbove[e.Currency]; ok && e.Amount > lim {
		raise(Challenge, fmt.Sprintf("amount above %d %s minor units", lim, e.Currency))
	}
	if lim, ok := r.cfg.NewUserChallengeAbove[e.Currency]; ok && e.At.Sub(e.UserSince) < r.cfg.NewUserFor && e.Amount > lim {
		raise(Challenge, "new account")
	}
	if !e.SessionStarted.IsZero() && e.At.Sub(e.SessionStarted) < r.cfg.NewDeviceFor && !e.Strong {
		raise(Challenge, "new device")
	}
	switch n := r.recent(e.UserID, e.At); {
	case r.cfg.DenyCount > 0 && n >= r.cfg.DenyCount:
		raise(Deny, fmt.Sprintf("%d payments within %s", n, r.cfg.Window))
	case r.cfg.ChallengeCount > 0 && n >= r.cfg.ChallengeCount:
		raise(Challenge, fmt.Sprintf("%d payments within %s", n, r.cfg.Window))
	}
	if d.Action == Challenge && e.Strong {
		d.Action = Allow // the PIN was given: the challenge is met
	}
	d.Model = "rules"
	return d
}

// recent counts the user's money-outs within the window before at.
func (r *Rules) recent(user string, at time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ts := r.out[user]
	i := 0
	for i < len(ts) && at.Sub(ts[i]) > r.cfg.Window {
		i++
	}
	if i > 0 {
		ts = append(ts[:0], ts[i:]...)
		r.out[user] = ts
	}
	return len(ts)
}

// Done records an allowed money-out.
func (r *Rules) Done(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.out[e.UserID]; !ok && len(r.out) >= maxTracked {
		clear(r.out)
	}
	ts := r.out[e.UserID]
	if len(ts) >= r.cfg.DenyCount+1 && len(ts) > 0 {
		ts = ts[1:] // never more than the deny threshold needs
	}
	r.out[e.UserID] = append(ts, e.At)
}
