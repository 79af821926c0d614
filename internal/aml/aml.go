// Package aml watches the money moving through users' wallets for what
// anti-money-laundering rules ask a payment institution to report or look
// at: large-value transactions, structuring under the reporting line,
// pass-through (money in and straight out again) and dormant accounts
// waking up. It is pure logic over a stream of transactions in time
// order; the server feeds it the ledger's committed transfers and turns
// its alerts into cases of the compliance review queue.
package aml

import (
	"fmt"
	"sort"
	"time"
)

// Direction is whether money came into the subject's wallet or left it.
type Direction uint8

// The directions.
const (
	In Direction = iota
	Out
)

func (d Direction) String() string { return [...]string{"in", "out"}[d] }

// Txn is one movement of a subject's money.
type Txn struct {
	ID       string
	At       time.Time
	Subject  string // the user
	Dir      Direction
	Kind     string // p2p, payment, top_up, withdrawal, refund, fee, other
	Amount   int64  // minor units, > 0
	Currency string
	// Idle is how long the subject's wallet had not moved before this
	// transaction (0: unknown or first).
	Idle time.Duration
}

// Rules are the thresholds, per currency (a currency missing from a map
// has no such rule). Amounts are in minor units.
type Rules struct {
	// LargeDaily: a subject's money in, or out, in one day (in Zone)
	// reaching this is a large-value transaction report (大额交易报告).
	LargeDaily map[string]int64
	// Structuring: on StructuringDays or more days within a week, the
	// day's total out (or in) between StructuringPercent of LargeDaily
	// and just under it.
	StructuringPercent int64
	StructuringDays    int
	// PassThrough: within PassWindow, at least PassMin came in and at least
	// PassPercent of it went out again.
	PassMin     map[string]int64
	PassPercent int64
	PassWindow  time.Duration
	// Dormant: a wallet that did not move for DormantFor moves
	// DormantMin or more.
	DormantFor time.Duration
	DormantMin map[string]int64
	// Zone is the market's day for daily totals.
	Zone *time.Location
}

// DefaultRules are thresholds of the kind the PBOC's rules for payment
// institutions set (CNY 50,000 a day for large-value reports), with the
// usual structuring, pass-through and dormancy heuristics.
func DefaultRules() Rules {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		zone = time.FixedZone("CST", 8*3600)
	}
	return Rules{
		LargeDaily:         map[string]int64{"CNY": 50_000_00, "HKD": 55_000_00, "USD": 7_000_00, "EUR": 6_500_00, "SGD": 9_500_00},
		StructuringPercent: 80,
		StructuringDays:    3,
		PassMin:            map[string]int64{"CNY": 10_000_00, "HKD": 11_000_00, "USD": 1_400_00, "EUR": 1_300_00, "SGD": 1_900_00},
		PassPercent:        90,
		PassWindow:         24 * time.Hour,
		DormantFor:         180 * 24 * time.Hour,
		DormantMin:         map[string]int64{"CNY": 5_000_00, "HKD": 5_500_00, "USD": 700_00, "EUR": 650_00, "SGD": 950_00},
		Zone:               zone,
	}
}

// The rules' names, as alerts carry them.
const (
	RuleLargeValue  = "large_value"
	RuleStructuring = "structuring"
	RulePassThrough = "pass_through"
	RuleDormant     = "dormant_wakeup"
)

// Alert is a finding about one subject.
type Alert struct {
	Rule     string
	Subject  string
	Key      string // the same finding raised again has the same key
	At       time.Time
	Amount   int64 // what the finding is about: the day's total, the money passed through …
	Currency string
	Txns     []string // the transactions behind it
	Summary  string
	Score    int // 0..1000
}

// Monitor keeps each subject's recent movements. It is not safe for
// concurrent use: one goroutine feeds it in time order.
type Monitor struct {
	rules Rules
	subj  map[string]*subject
}

type subject struct {
	// recent: the transactions within the pass-through window, oldest
	// first, and their sums per currency and direction (kept as they come
	// and go, so that a subject with many transactions costs the same per
	// transaction as one with few).
	recent []Txn
	sums   map[string]*[2]int64
	days   map[dayKey]*dayTotal // totals per day, direction and currency
	raised map[string]bool      // alert keys raised (one alert per key)
	last   time.Time            // the newest transaction seen
}

type dayKey struct {
	day string // YYYY-MM-DD in the zone
	dir Direction
	cur string
}

type dayTotal struct {
	sum  int64
	txns []string
}

// maxSubjects bounds the subjects kept; beyond it the idle ones go.
const maxSubjects = 500_000

// NewMonitor returns a monitor applying rules.
func NewMonitor(rules Rules) *Monitor {
	if rules.Zone == nil {
		rules.Zone = time.UTC
	}
	return &Monitor{rules: rules, subj: map[string]*subject{}}
}

const week = 7 * 24 * time.Hour

// Observe takes the next transaction (in time order) and returns the
// alerts it raises.
func (m *Monitor) Observe(t Txn) []Alert {
	if t.Amount <= 0 || t.Subject == "" {
		return nil
	}
	s := m.subj[t.Subject]
	if s == nil {
		if len(m.subj) >= maxSubjects {
			m.evict(t.At)
		}
		s = &subject{days: map[dayKey]*dayTotal{}, raised: map[string]bool{}, sums: map[string]*[2]int64{}}
		m.subj[t.Subject] = s
	}
	s.prune(t.At, m.rules.PassWindow)
	if m.rules.PassWindow > 0 {
		s.recent = append(s.recent, t)
		s.sum(t.Currency)[t.Dir] += t.Amount
	}
	s.last = t.At
	day := t.At.In(m.rules.Zone).Format("2006-01-02")
	k := dayKey{day, t.Dir, t.Currency}
	dt := s.days[k]
	if dt == nil {
		dt = &dayTotal{}
		s.days[k] = dt
	}
	dt.sum += t.Amount
	dt.txns = append(dt.txns, t.ID)

	var out []Alert
	raise := func(a Alert) {
		if !s.raised[a.Key] {
			s.raised[a.Key] = true
			out = append(out, a)
		}
	}
	// Large value: the day's total in (or out) reaches the line.
	// (Each finding's evidence is gathered only when it is raised: a busy
	// subject past a line must not copy its day at every transaction.)
	if line, ok := m.rules.LargeDaily[t.Currency]; ok && dt.sum >= line {
		if key := fmt.Sprintf("%s:%s:%s:%s:%s", RuleLargeValue, t.Subject, day, t.Dir, t.Currency); !s.raised[key] {
			raise(Alert{Rule: RuleLargeValue, Subject: t.Subject, At: t.At, Amount: dt.sum, Currency: t.Currency, Txns: clone(dt.txns),
				Key: key, Summary: fmt.Sprintf("%s %d %s on %s, at or above the %d line", t.Dir, dt.sum, t.Currency, day, line), Score: 500})
		}
	}
	// Structuring: days just under the line, several in a week.
	if line, ok := m.rules.LargeDaily[t.Currency]; ok && m.rules.StructuringDays > 0 {
		from := percentOf(line, m.rules.StructuringPercent)
		var under []dayKey
		var total int64
		for dk, d := range s.days {
			if dk.dir == t.Dir && dk.cur == t.Currency && d.sum >= from && d.sum < line {
				under = append(under, dk)
				total += d.sum
			}
		}
		if len(under) >= m.rules.StructuringDays {
			sort.Slice(under, func(i, j int) bool { return under[i].day < under[j].day })
			key := fmt.Sprintf("%s:%s:%s:%s:%s", RuleStructuring, t.Subject, under[0].day, t.Dir, t.Currency)
			if !s.raised[key] {
				var txns []string
				days := make([]string, len(under))
				for i, dk := range under {
					txns = append(txns, s.days[dk].txns...)
					days[i] = dk.day
				}
				raise(Alert{Rule: RuleStructuring, Subject: t.Subject, At: t.At, Amount: total, Currency: t.Currency, Txns: txns,
					Key:     key,
					Summary: fmt.Sprintf("%d days within a week with %s totals just under the %d %s line (%v)", len(under), t.Dir, line, t.Currency, days),
					Score:   700})
			}
		}
	}
	// Pass-through: in, then out again, within the window.
	if min, ok := m.rules.PassMin[t.Currency]; ok && t.Dir == Out && m.rules.PassWindow > 0 {
		sums := s.sum(t.Currency)
		in, outSum := sums[In], sums[Out]
		key := fmt.Sprintf("%s:%s:%s:%s", RulePassThrough, t.Subject, day, t.Currency)
		if in >= min && outSum >= percentOf(in, m.rules.PassPercent) && !s.raised[key] {
			var txns []string
			for _, r := range s.recent {
				if r.Currency == t.Currency {
					txns = append(txns, r.ID)
				}
			}
			raise(Alert{Rule: RulePassThrough, Subject: t.Subject, At: t.At, Amount: in, Currency: t.Currency, Txns: txns,
				Key: key, Summary: fmt.Sprintf("%d %s in and %d out again within %s", in, t.Currency, outSum, m.rules.PassWindow), Score: 650})
		}
	}
	// Dormant account waking up.
	if min, ok := m.rules.DormantMin[t.Currency]; ok && m.rules.DormantFor > 0 && t.Idle >= m.rules.DormantFor && t.Amount >= min {
		raise(Alert{Rule: RuleDormant, Subject: t.Subject, At: t.At, Amount: t.Amount, Currency: t.Currency, Txns: []string{t.ID},
			Key:     fmt.Sprintf("%s:%s:%s", RuleDormant, t.Subject, day),
			Summary: fmt.Sprintf("%s %d %s after %d days without a movement", t.Dir, t.Amount, t.Currency, int(t.Idle.Hours()/24)), Score: 400})
	}
	return out
}

// sum is the pass-through window's sums of a currency, by direction.
func (s *subject) sum(cur string) *[2]int64 {
	p := s.sums[cur]
	if p == nil {
		p = &[2]int64{}
		s.sums[cur] = p
	}
	return p
}

// prune forgets the transactions that left the pass-through window, and
// the days older than a week before now.
func (s *subject) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(s.recent) && now.Sub(s.recent[i].At) > window {
		s.sum(s.recent[i].Currency)[s.recent[i].Dir] -= s.recent[i].Amount
		i++
	}
	// Sliced, not copied: the next append that needs room copies only
	// what is left, so a busy subject costs O(1) per transaction.
	s.recent = s.recent[i:]
	cutoff := now.Add(-week - 24*time.Hour).Format("2006-01-02")
	for k := range s.days {
		if k.day < cutoff {
			delete(s.days, k)
		}
	}
	if len(s.raised) > 64 {
		clear(s.raised) // keys are per day: the store's dedupe keeps them unique anyway
	}
}

// evict forgets the subjects idle for a week.
func (m *Monitor) evict(now time.Time) {
	for id, s := range m.subj {
		if now.Sub(s.last) > week {
			delete(m.subj, id)
		}
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }

// percentOf is pct percent of an amount, rounded down, in integers that do
// not overflow for any amount (pct ≤ 100).
func percentOf(amount, pct int64) int64 { return amount/100*pct + amount%100*pct/100 }
