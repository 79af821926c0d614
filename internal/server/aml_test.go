package server_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/aml"
	"github.com/shiliantong/shiliantong/internal/server"
)

// The AML monitor tails the ledger: top-ups at the (lowered) daily line
// are large-value reports, money passed straight through a wallet is an
// alert; each becomes one case, also after a restart; the reports for the
// regulator list them, with the ledger's amounts.
func TestAMLAlertsBecomeCasesAndReports(t *testing.T) {
	rules := aml.Rules{LargeDaily: map[string]int64{"CNY": 1_000_00}, PassMin: map[string]int64{"CNY": 400_00}, PassPercent: 90,
		PassWindow: 24 * time.Hour, Zone: time.UTC}
	withAML := func(c *server.Config) {
		lenientRisk(c)
		c.AMLEvery = 20 * time.Millisecond
		c.AMLRules = &rules
	}
	for name, newDSN := range stores(t) {
		t.Run(name, func(t *testing.T) {
			dsn := newDSN(t)
			s := startServer(t, dsn, withAML)
			const op = "test-operator-token"
			a, b := funded(t, s) // each tops up 1,000.00: the line
			c := s.newPerson(t, "+8613700137009", "钱七")
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": c.phone, "amount": 490_00, "currency": "CNY", "pin": "285714"})
			s.must(t, 201, "POST", "/v1/transfers", c.token, map[string]any{"to": b.phone, "amount": 450_00, "currency": "CNY", "pin": "285714"})
			cases := waitCases(t, s, "/v1/operator/cases?kind=aml", 3)
			rules := map[string]string{}
			for _, x := range cases {
				m := x.(map[string]any)
				rules[m["subject_id"].(string)+" "+m["evidence"].(map[string]any)["rule"].(string)] = m["id"].(string)
			}
			for _, want := range []string{a.id + " large_value", b.id + " large_value", c.id + " pass_through"} {
				if rules[want] == "" {
					t.Errorf("no case %s in %v", want, rules)
				}
			}
			// Sending the money back: the mule's wallet (40.00 left) can not
			// cover the 490.00 that came in: nothing moves, nothing is decided.
			mule := rules[c.id+" pass_through"]
			aBefore := s.available(t, a, "CNY")
			if st, o := s.call(t, "POST", "/v1/operator/cases/"+mule+"/decide", op, map[string]any{"decision": "refund", "note": "send it back"}); st != 422 || o["code"] != "refund_short" {
				t.Errorf("a refund the wallet can not cover: %d %v", st, o)
			}
			if got := s.available(t, a, "CNY"); got != aBefore {
				t.Errorf("a short refund moved money: %d → %d", aBefore, got)
			}
			// Money reaches the mule's wallet again (the ring tops it up): now
			// the 490.00 goes back to the victim, once, and the mule is frozen.
			s.must(t, 201, "POST", "/v1/transfers", b.token, map[string]any{"to": c.phone, "amount": 460_00, "currency": "CNY", "pin": "285714"})
			d := s.must(t, 200, "POST", "/v1/operator/cases/"+mule+"/decide", op, map[string]any{"decision": "refund", "note": "a new account passing money on within minutes"})
			if d["status"] != "confirmed" {
				t.Errorf("refunded case: %v", d)
			}
			if got := s.available(t, a, "CNY"); got != aBefore+490_00 {
				t.Errorf("the victim has %d, want %d", got, aBefore+490_00)
			}
			if got := s.available(t, c, "CNY"); got != 10_00 { // 490 - 450 + 460 - 490
				t.Errorf("the mule has %d, want 1000", got)
			}
			if st, o := s.call(t, "POST", "/v1/operator/cases/"+mule+"/decide", op, map[string]any{"decision": "refund", "note": "again"}); st != 409 || o["code"] != "case_decided" {
				t.Errorf("refunded twice? %d %v", st, o["code"])
			}
			if got := s.available(t, a, "CNY"); got != aBefore+490_00 {
				t.Errorf("after a second decision the victim has %d", got)
			}
			if st, o := s.call(t, "POST", "/v1/transfers", c.token, map[string]any{"to": b.phone, "amount": 1_00, "currency": "CNY", "pin": "285714"}); st != 403 || o["code"] != "account_frozen" {
				t.Errorf("the mule paid after the refund: %d %v", st, o["code"])
			}

			day := time.Now().UTC().Format(time.DateOnly)
			next := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
			large := report(t, s, "large-value", day, next)
			if len(large) != 3 { // the header and two reports
				t.Fatalf("large-value report: %v", large)
			}
			for _, row := range large[1:] {
				if row[1] != "large_value" || row[9] != "1000.00" || row[10] != "CNY" || row[11] == "" {
					t.Errorf("large-value row: %v", row)
				}
			}
			sus := report(t, s, "suspicious", day, next)
			if len(sus) != 2 || sus[1][3] != c.id || sus[1][9] != "490.00" || sus[1][13] != "confirmed" || !strings.Contains(sus[1][16], "within minutes") {
				t.Errorf("suspicious report: %v", sus)
			}
			// The confirmed case labels the decisions on its transfers for
			// the fraud model's next training (a→mule, mule→b).
			deadline := time.Now().Add(5 * time.Second)
			for {
				labels := opGet(t, s, "/v1/operator/risk/labels?from="+day+"&to="+next)
				if strings.Count(labels, ",1,aml_confirmed") == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("labels:\n%s", labels)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if st, _ := s.call(t, "GET", "/v1/operator/aml/reports/suspicious?from="+day+"&to="+next, a.token, nil); st != 401 {
				t.Errorf("a user read the report: %d", st)
			}
			if st, o := s.call(t, "GET", "/v1/operator/aml/reports/suspicious?from="+next+"&to="+day, op, nil); st != 422 {
				t.Errorf("a period backwards: %d %v", st, o)
			}

			// A restart reads the last week again: nothing is raised twice.
			s.stop()
			s = startServer(t, dsn, withAML)
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1_00, "currency": "CNY", "pin": "285714"})
			time.Sleep(300 * time.Millisecond)
			if got := s.must(t, 200, "GET", "/v1/operator/cases?kind=aml", op, nil)["cases"].([]any); len(got) != 3 {
				t.Errorf("after a restart %d AML cases, want 3", len(got))
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

func waitCases(t *testing.T, s *testServer, path string, n int) []any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs := s.must(t, 200, "GET", path, "test-operator-token", nil)["cases"].([]any)
		if len(cs) >= n {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d cases after 10 s, want %d: %v", len(cs), n, cs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func report(t *testing.T, s *testServer, kind, from, to string) [][]string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/operator/aml/reports/"+kind+"?from="+from+"&to="+to, nil)
	req.Header.Set("Authorization", "Bearer test-operator-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
