package aml

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

type feed struct {
	m   *Monitor
	n   int
	got []Alert
}

func (f *feed) txn(at time.Time, subject string, dir Direction, amount int64) {
	f.n++
	f.got = append(f.got, f.m.Observe(Txn{ID: fmt.Sprintf("t%d", f.n), At: at, Subject: subject, Dir: dir, Kind: "p2p", Amount: amount, Currency: "CNY"})...)
}

func (f *feed) rules() map[string]int {
	n := map[string]int{}
	for _, a := range f.got {
		n[a.Rule]++
	}
	return n
}

func TestLargeValueOncePerDayAndDirection(t *testing.T) {
	f := &feed{m: NewMonitor(DefaultRules())}
	f.txn(t0, "u1", In, 30_000_00)
	f.txn(t0.Add(time.Hour), "u1", In, 19_999_99) // 49,999.99: under the line
	if len(f.got) != 0 {
		t.Fatalf("under the line: %v", f.got)
	}
	f.txn(t0.Add(2*time.Hour), "u1", In, 1) // exactly 50,000.00
	f.txn(t0.Add(3*time.Hour), "u1", In, 10_000_00)
	if r := f.rules(); r[RuleLargeValue] != 1 {
		t.Fatalf("alerts: %v", f.got)
	}
	a := f.got[0]
	if a.Amount != 50_000_00 || len(a.Txns) != 3 || a.Subject != "u1" {
		t.Errorf("alert: %+v", a)
	}
	f.txn(t0.Add(4*time.Hour), "u1", Out, 50_000_00) // the other direction: its own report
	f.txn(t0.Add(24*time.Hour), "u1", In, 50_000_00) // the next day: its own report
	f.txn(t0.Add(5*time.Hour), "u2", In, 49_000_00)  // someone else, under
	if r := f.rules(); r[RuleLargeValue] != 3 {
		t.Errorf("alerts: %v", r)
	}
}

func TestStructuringJustUnderTheLine(t *testing.T) {
	f := &feed{m: NewMonitor(DefaultRules())}
	for d := range 2 {
		f.txn(t0.Add(time.Duration(d)*24*time.Hour), "u1", Out, 45_000_00)
	}
	f.txn(t0.Add(2*24*time.Hour), "u1", Out, 30_000_00) // a day below the band
	if len(f.got) != 0 {
		t.Fatalf("two days in the band: %v", f.got)
	}
	f.txn(t0.Add(3*24*time.Hour), "u1", Out, 49_500_00)
	r := f.rules()
	if r[RuleStructuring] != 1 || r[RuleLargeValue] != 0 {
		t.Fatalf("alerts: %v", f.got)
	}
	if a := f.got[0]; a.Amount != 139_500_00 || len(a.Txns) != 3 {
		t.Errorf("alert: %+v", a)
	}
	// Days spread over more than a week do not add up.
	g := &feed{m: NewMonitor(DefaultRules())}
	for d := range 3 {
		g.txn(t0.Add(time.Duration(d)*10*24*time.Hour), "u1", Out, 45_000_00)
	}
	if len(g.got) != 0 {
		t.Errorf("three weeks apart: %v", g.got)
	}
}

func TestPassThrough(t *testing.T) {
	f := &feed{m: NewMonitor(DefaultRules())}
	f.txn(t0, "mule", In, 6_000_00)
	f.txn(t0.Add(10*time.Minute), "mule", In, 6_000_00)
	f.txn(t0.Add(30*time.Minute), "mule", Out, 5_000_00)
	if len(f.got) != 0 {
		t.Fatalf("out 5,000 of 12,000: %v", f.got)
	}
	f.txn(t0.Add(40*time.Minute), "mule", Out, 6_000_00) // 11,000 of 12,000 ≥ 90 %
	if r := f.rules(); r[RulePassThrough] != 1 {
		t.Fatalf("alerts: %v", f.got)
	}
	// Salary in, spending over a month: no alert.
	g := &feed{m: NewMonitor(DefaultRules())}
	g.txn(t0, "worker", In, 20_000_00)
	for d := 1; d <= 20; d++ {
		g.txn(t0.Add(time.Duration(d)*24*time.Hour), "worker", Out, 900_00)
	}
	if len(g.got) != 0 {
		t.Errorf("a salary spent slowly: %v", g.got)
	}
}

func TestDormantWakeUp(t *testing.T) {
	m := NewMonitor(DefaultRules())
	if a := m.Observe(Txn{ID: "a", At: t0, Subject: "u", Dir: Out, Amount: 6_000_00, Currency: "CNY", Idle: 200 * 24 * time.Hour}); len(a) != 1 || a[0].Rule != RuleDormant {
		t.Errorf("woken after 200 days: %v", a)
	}
	if a := m.Observe(Txn{ID: "b", At: t0, Subject: "v", Dir: Out, Amount: 6_000_00, Currency: "CNY", Idle: 100 * 24 * time.Hour}); len(a) != 0 {
		t.Errorf("100 days: %v", a)
	}
	if a := m.Observe(Txn{ID: "c", At: t0, Subject: "w", Dir: Out, Amount: 100_00, Currency: "CNY", Idle: 400 * 24 * time.Hour}); len(a) != 0 {
		t.Errorf("a small amount: %v", a)
	}
}

func TestIgnoresNonsense(t *testing.T) {
	m := NewMonitor(DefaultRules())
	for _, tx := range []Txn{{Subject: "u", Amount: 0, Currency: "CNY", At: t0}, {Subject: "", Amount: 100_000_00, Currency: "CNY", At: t0},
		{Subject: "u", Amount: 100_000_00, Currency: "XTS", At: t0}} {
		if a := m.Observe(tx); len(a) != 0 {
			t.Errorf("%+v: %v", tx, a)
		}
	}
}

func TestPercentOf(t *testing.T) {
	for _, c := range []struct{ amount, pct, want int64 }{
		{50_000_00, 80, 40_000_00}, {199, 90, 179}, {0, 90, 0}, {1 << 62, 90, (1<<62)/100*90 + (1<<62)%100*90/100},
		{9_223_372_036_854_775_807, 100, 9_223_372_036_854_775_807},
	} {
		if got := percentOf(c.amount, c.pct); got != c.want {
			t.Errorf("percentOf(%d, %d) = %d, want %d", c.amount, c.pct, got, c.want)
		}
	}
}

// TestPassThroughMatchesBruteForce feeds random in/out traffic in two
// currencies, over several days, and checks every pass-through alert
// against a direct recount of the window behind it: the running sums the
// monitor keeps give the same findings, amounts and transactions.
func TestPassThroughMatchesBruteForce(t *testing.T) {
	rules := Rules{PassMin: map[string]int64{"CNY": 5_000_00, "USD": 700_00}, PassPercent: 90, PassWindow: 6 * time.Hour, Zone: time.UTC}
	for seed := range 20 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		m := NewMonitor(rules)
		var all []Txn
		raised := map[string]bool{}
		at := t0
		for i := range 1500 { // about 20 days: fewer alert keys than the monitor keeps
			at = at.Add(time.Duration(rng.IntN(int(40 * time.Minute))))
			cur := []string{"CNY", "USD"}[rng.IntN(2)]
			tx := Txn{ID: fmt.Sprintf("t%d", i), At: at, Subject: "u1", Dir: Direction(rng.IntN(2)), Kind: "p2p", Amount: 1 + rng.Int64N(3_000_00), Currency: cur}
			all = append(all, tx)
			got := m.Observe(tx)
			// The direct recount.
			var want []Alert
			if tx.Dir == Out {
				var in, out int64
				var ids []string
				for _, r := range all {
					if r.Currency == cur && tx.At.Sub(r.At) <= rules.PassWindow {
						if r.Dir == In {
							in += r.Amount
						} else {
							out += r.Amount
						}
						ids = append(ids, r.ID)
					}
				}
				key := fmt.Sprintf("%s:u1:%s:%s", RulePassThrough, tx.At.In(time.UTC).Format("2006-01-02"), cur)
				if in >= rules.PassMin[cur] && out >= percentOf(in, rules.PassPercent) && !raised[key] {
					raised[key] = true
					want = append(want, Alert{Key: key, Amount: in, Txns: ids})
				}
			}
			if len(got) != len(want) {
				t.Fatalf("seed %d txn %d: got %d alerts, want %d (%v)", seed, i, len(got), len(want), got)
			}
			for k := range got {
				if got[k].Key != want[k].Key || got[k].Amount != want[k].Amount || fmt.Sprint(got[k].Txns) != fmt.Sprint(want[k].Txns) {
					t.Fatalf("seed %d txn %d: got %s %d %v, want %s %d %v", seed, i, got[k].Key, got[k].Amount, got[k].Txns, want[k].Key, want[k].Amount, want[k].Txns)
				}
			}
		}
	}
}

// BenchmarkObserveBusy is a till's traffic: a hundred payers paying one
// merchant, ten payments a second, with the default rules.
func BenchmarkObserveBusy(b *testing.B) {
	m := NewMonitor(DefaultRules())
	at := t0
	for i := 0; b.Loop(); i++ {
		at = at.Add(100 * time.Millisecond)
		payer := fmt.Sprintf("u%d", i%100)
		m.Observe(Txn{ID: "t", At: at, Subject: payer, Dir: Out, Kind: "payment", Amount: 1_00, Currency: "CNY"})
		m.Observe(Txn{ID: "t", At: at, Subject: "merchant", Dir: In, Kind: "payment", Amount: 1_00, Currency: "CNY"})
	}
}
