package model

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

// Decision is what to do with a transaction.
type Decision string

// The decisions, in increasing severity.
const (
	Allow     Decision = "allow"
	Challenge Decision = "challenge"
	Deny      Decision = "deny"
)

// Verdict is a scorer's answer.
type Verdict struct {
	Score    float64
	Decision Decision
	Reasons  []string
}

// Decider scores a transaction from its features and decides.
// Implementations must be safe for concurrent use.
type Decider interface {
	Decide(t *features.Txn, x []float64) Verdict
	Name() string
}

func (th Thresholds) decide(s float64) Decision {
	switch {
	case s >= th.Deny:
		return Deny
	case s >= th.Challenge:
		return Challenge
	}
	return Allow
}

// Decide scores x with the model and applies its thresholds.
func (m *Model) Decide(_ *features.Txn, x []float64) Verdict {
	s := m.Score(x)
	v := Verdict{Score: s, Decision: m.Thresholds.decide(s)}
	if v.Decision != Allow {
		v.Reasons = []string{fmt.Sprintf("model %s score %.3f", m.Version, s)}
	}
	return v
}

// Name is the model's version.
func (m *Model) Name() string { return m.Version }

// Rules is the rules-only baseline on the same features, like
// internal/risk's Rules: an amount threshold, a lower one for new
// accounts, a login from a new device, and velocity within a minute; plus
// a softer velocity rule within an hour. The score adds the rules that
// fired, so that thresholds can be swept for the evaluation.
type Rules struct {
	ChallengeAbove    float64 // reference units
	NewUserAbove      float64
	NewUserHours      float64
	ChallengeCount1m  float64
	DenyCount1m       float64
	ChallengeCount1h  float64
	ChallengeAboveDay float64 // the day's money-outs including this one
	ReportAbove       float64 // the pipeline's reporting threshold (to read the day's total)
}

// DefaultRules mirror internal/risk's DefaultRulesConfig for CNY.
func DefaultRules() *Rules {
	return &Rules{ChallengeAbove: 10_000, NewUserAbove: 500, NewUserHours: 24, ChallengeCount1m: 30, DenyCount1m: 120, ChallengeCount1h: 20, ChallengeAboveDay: 50_000,
		ReportAbove: features.DefaultConfig().ReportAbove}
}

// Name names the baseline.
func (r *Rules) Name() string { return "rules" }

// Decide applies the rules.
func (r *Rules) Decide(t *features.Txn, x []float64) Verdict {
	var v Verdict
	amt := math.Exp(x[features.FLogAmount])
	out := x[features.FTypeTopup] == 0
	fire := func(points float64, reason string) {
		v.Score += points
		v.Reasons = append(v.Reasons, reason)
	}
	if out && amt > r.ChallengeAbove {
		fire(0.3, "large amount")
	}
	if out && x[features.FOut24hOverReport]*r.ReportAbove > r.ChallengeAboveDay {
		fire(0.2, "large daily total")
	}
	ageH := math.Expm1(x[features.FUserAgeH])
	if out && ageH < r.NewUserHours && amt > r.NewUserAbove {
		fire(0.2, "new account")
	}
	if x[features.FNewDeviceLogin] == 1 {
		fire(0.3, "new device")
	}
	switch n := x[features.FUserCnt1m]; {
	case n >= r.DenyCount1m:
		fire(0.6, "velocity (minute)")
	case n >= r.ChallengeCount1m:
		fire(0.3, "velocity (minute)")
	}
	if x[features.FUserCnt1h] >= r.ChallengeCount1h {
		fire(0.2, "velocity (hour)")
	}
	// Ties broken by amount, so the curve has more than a few points.
	v.Score += 0.05 * math.Min(1, amt/r.ChallengeAbove)
	switch {
	case v.Score >= 0.6:
		v.Decision = Deny
	case v.Score >= 0.3:
		v.Decision = Challenge
	default:
		v.Decision = Allow
	}
	return v
}

// Anomaly scores by the profile's anomaly alone (how unusual the
// transaction is for the user), without any training: the unsupervised
// baseline. Its score is 1 − e^(−anomaly/Scale).
type Anomaly struct {
	Scale      float64
	Thresholds Thresholds
}

// DefaultAnomaly challenges what is very unusual for the user.
func DefaultAnomaly() *Anomaly {
	return &Anomaly{Scale: 10, Thresholds: Thresholds{Challenge: 0.8, Deny: 0.95}}
}

// Name names the baseline.
func (a *Anomaly) Name() string { return "anomaly" }

// Decide scores the anomaly.
func (a *Anomaly) Decide(_ *features.Txn, x []float64) Verdict {
	s := 1 - math.Exp(-x[features.FAnomaly]/a.Scale)
	v := Verdict{Score: s, Decision: a.Thresholds.decide(s)}
	if v.Decision != Allow {
		v.Reasons = []string{"unusual for the user"}
	}
	return v
}

// Lists are the deny and allow lists: a denied user, payee or device is
// refused whatever the score; an allowed payee (a utility, a tax office)
// is never more than challenged.
type Lists struct {
	DenyUsers   map[string]bool `json:"deny_users,omitempty"`
	DenyPayees  map[string]bool `json:"deny_payees,omitempty"`
	DenyDevices map[string]bool `json:"deny_devices,omitempty"`
	AllowPayees map[string]bool `json:"allow_payees,omitempty"`
}

// ReadLists reads lists as JSON: {"deny_users": {"u1": true}, ...}.
func ReadLists(r io.Reader) (*Lists, error) {
	var l Lists
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	return &l, nil
}

// Apply adjusts a verdict by the lists.
func (l *Lists) Apply(t *features.Txn, v Verdict) Verdict {
	if l == nil {
		return v
	}
	switch {
	case l.DenyUsers[t.UserID]:
		return Verdict{Score: 1, Decision: Deny, Reasons: append(v.Reasons, "user on the deny list")}
	case l.DenyPayees[t.Counterparty]:
		return Verdict{Score: 1, Decision: Deny, Reasons: append(v.Reasons, "payee on the deny list")}
	case l.DenyDevices[t.DeviceID]:
		return Verdict{Score: 1, Decision: Deny, Reasons: append(v.Reasons, "device on the deny list")}
	case l.AllowPayees[t.Counterparty] && v.Decision == Deny:
		v.Decision = Challenge
		v.Reasons = append(v.Reasons, "payee on the allow list")
	}
	return v
}

// ShadowResult is one transaction scored by the live and the shadow
// decider.
type ShadowResult struct {
	TxnID        string
	Live, Shadow Verdict
	Err          error // the shadow failed (panicked)
}

// Shadow runs a candidate beside the live decider: the live verdict is
// returned, the candidate's is only recorded. A candidate that panics is
// recorded as failed and never affects the decision.
type Shadow struct {
	Live, Candidate Decider
	Record          func(ShadowResult) // called synchronously; keep it cheap
}

// Name is the live decider's.
func (s *Shadow) Name() string { return s.Live.Name() }

// Decide returns the live verdict after recording both.
func (s *Shadow) Decide(t *features.Txn, x []float64) Verdict {
	live := s.Live.Decide(t, x)
	res := ShadowResult{TxnID: t.ID, Live: live}
	func() {
		defer func() {
			if p := recover(); p != nil {
				res.Err = fmt.Errorf("shadow %s: %v", s.Candidate.Name(), p)
			}
		}()
		xs := append([]float64(nil), x...) // the candidate cannot touch the live features
		res.Shadow = s.Candidate.Decide(t, xs)
	}()
	if s.Record != nil {
		s.Record(res)
	}
	return live
}

// ShadowStats tallies shadow results: how often the two agree and how
// their decisions cross. Safe for concurrent use.
type ShadowStats struct {
	mu     sync.Mutex
	N      int
	Failed int
	Cross  map[[2]Decision]int // live, shadow → count
}

// Record adds a result; pass it as Shadow.Record.
func (st *ShadowStats) Record(r ShadowResult) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.N++
	if r.Err != nil {
		st.Failed++
		return
	}
	if st.Cross == nil {
		st.Cross = map[[2]Decision]int{}
	}
	st.Cross[[2]Decision{r.Live.Decision, r.Shadow.Decision}]++
}

// Agreement is the share of transactions decided alike.
func (st *ShadowStats) Agreement() float64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.N == 0 {
		return math.NaN()
	}
	same := 0
	for k, n := range st.Cross {
		if k[0] == k[1] {
			same += n
		}
	}
	return float64(same) / float64(st.N)
}

// Count is the number of results recorded.
func (st *ShadowStats) Count() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.N
}

// Failures is the number of results whose shadow failed.
func (st *ShadowStats) Failures() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.Failed
}
