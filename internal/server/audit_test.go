package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/store"
)

// Operators' and security actions are in the audit trail, with who and
// from where; the chain verifies, and a changed or removed entry breaks it.
func TestAuditTrail(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			db := dsn(t)
			s := startServer(t, db, lenientRisk)
			payer, owner := funded(t, s)
			mid, _ := merchantFor(t, s, owner)
			if st, _ := s.call(t, "POST", "/v1/sessions", "", map[string]any{"phone": "+8613800138001", "password": "wrong-Pass-1"}); st != 401 {
				t.Fatalf("wrong password: %d", st)
			}
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 100, "daily": 500})

			log := func(q string) []map[string]any {
				var out []map[string]any
				for _, e := range s.must(t, 200, "GET", "/v1/operator/audit"+q, "test-operator-token", nil)["entries"].([]any) {
					out = append(out, e.(map[string]any))
				}
				return out
			}
			seen := map[string]map[string]any{}
			for _, e := range log("") {
				if _, ok := seen[e["action"].(string)]; !ok {
					seen[e["action"].(string)] = e
				}
			}
			for _, a := range []string{"login", "login_failed", "pin_set", "password_free_set", "merchant_approved", "merchant_key_created"} {
				if seen[a] == nil {
					t.Errorf("no %s in the trail: %v", a, seen)
				}
			}
			if e := seen["merchant_approved"]; e != nil && (e["actor"] != "operator-token" || e["target"] != "merchant:"+mid || e["ip"] != "127.0.0.1") {
				t.Errorf("approval recorded as %v", e)
			}
			if e := seen["password_free_set"]; e != nil && (e["actor"] != payer.id || e["ip"] != "127.0.0.1") {
				t.Errorf("limit change recorded as %v", e)
			}
			if got := log("?action=login_failed"); len(got) != 1 || got[0]["target"] != payer.id {
				t.Errorf("failed logins: %v", got)
			}
			if v := s.must(t, 200, "GET", "/v1/operator/audit/verify", "test-operator-token", nil); v["ok"] != true || v["entries"].(float64) < 6 {
				t.Errorf("verify: %v", v)
			}
			if st, _ := s.call(t, "GET", "/v1/operator/audit", payer.token, nil); st != 401 {
				t.Errorf("a user read the audit trail: %d", st)
			}
			s.stop()

			// Someone with the database changes an entry: the chain breaks there.
			tamper := func(q string) {
				ctx := context.Background()
				st, err := store.Open(ctx, db, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				if _, err := st.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			tamper("UPDATE audit_log SET details = 'per payment 100000, daily 500000 (CNY minor units)' WHERE action = 'password_free_set'")
			s = startServer(t, db, lenientRisk)
			if v := s.must(t, 200, "GET", "/v1/operator/audit/verify", "test-operator-token", nil); v["ok"] != false {
				t.Errorf("a changed entry passed: %v", v)
			}
			s.stop()
			// Put back, the chain holds again; take an entry out, it breaks.
			tamper("UPDATE audit_log SET details = 'per payment 100, daily 500 (CNY minor units)' WHERE action = 'password_free_set'")
			s = startServer(t, db, lenientRisk)
			if v := s.must(t, 200, "GET", "/v1/operator/audit/verify", "test-operator-token", nil); v["ok"] != true {
				t.Errorf("the restored trail fails: %v", v)
			}
			s.stop()
			tamper("DELETE FROM audit_log WHERE action = 'merchant_approved'")
			s = startServer(t, db, lenientRisk)
			if v := s.must(t, 200, "GET", "/v1/operator/audit/verify", "test-operator-token", nil); v["ok"] != false {
				t.Errorf("a removed entry passed: %v", v)
			}
		})
	}
}

// A user who reports fraud stops their own outflows at once; money still
// comes in.
func TestReportFraudFreezesOutflows(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			a, b := funded(t, s)
			s.must(t, 204, "POST", "/v1/me/report-fraud", a.token, map[string]any{"what": "a caller said he was customer service"})
			if st, o := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY", "pin": "285714"}); st != 403 || o["code"] != "account_frozen" {
				t.Errorf("a transfer out after the report: %d %v", st, o["code"])
			}
			s.must(t, 201, "POST", "/v1/transfers", b.token, map[string]any{"to": a.phone, "amount": 100, "currency": "CNY", "pin": "285714"})
			es := s.must(t, 200, "GET", "/v1/operator/audit?action=fraud_reported", "test-operator-token", nil)["entries"].([]any)
			if len(es) != 1 || es[0].(map[string]any)["actor"] != a.id {
				t.Errorf("the report in the audit trail: %v", es)
			}
		})
	}
}

// A payee others reported: the check says so, and the web app's transfer
// form warns and asks the payer to confirm before paying.
func TestReportedPayeeWarning(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), lenientRisk)
	a, b := funded(t, s)
	if c := s.must(t, 200, "GET", "/v1/payees/check?to="+url.QueryEscape(b.phone), a.token, nil); c["reports"] != 0.0 {
		t.Errorf("check before a report: %v", c)
	}
	s.must(t, 204, "POST", "/v1/payees/report", a.token, map[string]any{"to": b.phone, "reason": "fake customer service"})
	if st, _ := s.call(t, "POST", "/v1/payees/report", a.token, map[string]any{"to": a.phone}); st != 422 {
		t.Errorf("reporting oneself: %d", st)
	}
	// a's own report is not counted for a; another payer sees it.
	c := s.newPerson(t, "+8613700137009", "赵六")
	if chk := s.must(t, 200, "GET", "/v1/payees/check?to="+url.QueryEscape(b.phone), c.token, nil); chk["reports"] != 1.0 || chk["name"] != "李华" {
		t.Errorf("check after a report: %v", chk)
	}
	// a reported b, but a's own report does not warn a; c's does.
	s.must(t, 204, "POST", "/v1/payees/report", c.token, map[string]any{"to": b.phone, "reason": "asked for a code"})
	bb := newBrowser(t, s.url)
	bb.login(a.phone, testPassword)
	form := url.Values{"to": {b.phone}, "amount": {"1.00"}, "currency": {"CNY"}, "pin": {"285714"}, "key": {"warn-1"}}
	resp, body := bb.post("/app/transfer", "/app/transfer", form)
	if resp.StatusCode != 409 || !strings.Contains(body, "reported this payee") {
		t.Fatalf("the warning: %d", resp.StatusCode)
	}
	before := s.available(t, a, "CNY")
	form.Set("accept_risk", "1")
	if resp, _ := bb.post("/app/transfer", "/app/transfer", form); resp.StatusCode != 303 {
		t.Fatalf("paying after the warning: %d", resp.StatusCode)
	}
	if got := s.available(t, a, "CNY"); got != before-100 {
		t.Errorf("after confirming the payer has %d, want %d", got, before-100)
	}
}
