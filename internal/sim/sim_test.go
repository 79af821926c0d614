package sim

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/shiliantong/shiliantong/internal/risk/features"
)

func run(t *testing.T, seed uint64, users, days int) Result {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Days, cfg.Incidents, cfg.FraudFrom = seed, users, days, 6, 2
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDeterministic(t *testing.T) {
	a, b, c := run(t, 7, 300, 12), run(t, 7, 300, 12), run(t, 8, 300, 12)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different traffic")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same traffic")
	}
}

// No field tells fraud apart by itself: every categorical value and every
// identifier shape of the fraud rows also occurs among the legitimate
// rows, and the rows are in time order with ids in that order.
func TestNoFieldArtefact(t *testing.T) {
	if raceOn {
		t.Skip("a month of traffic: no concurrency to check, ten times slower under the race detector")
	}
	res := run(t, 9, 1500, 20)
	shape := regexp.MustCompile(`[0-9a-f]`)
	legit := map[string]map[string]bool{}
	seen := func(col, v string) {
		if legit[col] == nil {
			legit[col] = map[string]bool{}
		}
		legit[col][v] = true
	}
	cols := func(t *features.Txn) map[string]string {
		return map[string]string{
			"type": t.Type, "currency": t.Currency, "ip_country": t.IPCountry, "mcc": t.MCC,
			"new_device_login": map[bool]string{true: "1", false: "0"}[t.NewDeviceLogin],
			"has_location":     map[bool]string{true: "1", false: "0"}[t.HasLoc],
			"user_shape":       shape.ReplaceAllString(t.UserID, "x"), "device_shape": shape.ReplaceAllString(t.DeviceID, "x"),
			"counterparty_shape": shape.ReplaceAllString(t.Counterparty, "x"),
		}
	}
	for i := range res.Txns {
		if !res.Labels[i].Fraud {
			for c, v := range cols(&res.Txns[i]) {
				seen(c, v)
			}
		}
		if i > 0 && (res.Txns[i].TS.Before(res.Txns[i-1].TS) || res.Txns[i].ID <= res.Txns[i-1].ID) {
			t.Fatalf("row %d out of order", i)
		}
	}
	kinds := map[string]int{}
	for i := range res.Txns {
		if l := res.Labels[i]; l.Fraud {
			kinds[l.Typology]++
			for c, v := range cols(&res.Txns[i]) {
				if !legit[c][v] {
					t.Errorf("%s %q occurs only in fraud (%s)", c, v, l.Typology)
				}
			}
		}
	}
	for _, k := range Typologies {
		if kinds[k] == 0 {
			t.Errorf("no %s in the default mix", k)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("ato=1, scam=2.5")
	if err != nil || m[ATO] != 1 || m[Scam] != 2.5 || len(m) != 2 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"", "ato", "phishing=1", "ato=-1", "ato=x"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
