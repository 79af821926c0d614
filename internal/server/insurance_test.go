package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// Account-security insurance: the premium goes to the pool, a claim on an
// unauthorised transfer is reviewed with its evidence and paid back from
// the pool through the ledger, once; claims outside the cover are refused.
func TestInsuranceClaimPaidFromThePool(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			a, b := funded(t, s)
			const op = "test-operator-token"

			// Before any policy: a transfer, not claimable later.
			before := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 700, "currency": "CNY", "pin": "285714"})

			start := s.available(t, a, "CNY")
			p := s.must(t, 201, "POST", "/v1/me/insurance", a.token, map[string]any{"pin": "285714"})
			if p["status"] != "active" || p["premium"] != 300.0 {
				t.Fatalf("policy: %v", p)
			}
			if got := s.available(t, a, "CNY"); got != start-300 {
				t.Errorf("after the premium the wallet has %d, want %d", got, start-300)
			}
			if st, o := s.call(t, "POST", "/v1/me/insurance", a.token, map[string]any{"pin": "285714"}); st != 409 || o["code"] != "already_insured" {
				t.Errorf("a second policy at once: %d %v", st, o["code"])
			}

			// Money taken "without consent", claimed, reviewed, paid back.
			stolen := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 2500, "currency": "CNY", "pin": "285714"})
			c := s.must(t, 201, "POST", "/v1/me/insurance/claims", a.token, map[string]any{"transfer_id": stolen["transfer_id"], "description": "not me"})
			if c["status"] != "submitted" || c["amount"] != 2500.0 {
				t.Fatalf("claim: %v", c)
			}
			if st, o := s.call(t, "POST", "/v1/me/insurance/claims", a.token, map[string]any{"transfer_id": stolen["transfer_id"]}); st != 409 || o["code"] != "already_claimed" {
				t.Errorf("the same transfer claimed twice: %d %v", st, o["code"])
			}
			if st, o := s.call(t, "POST", "/v1/me/insurance/claims", a.token, map[string]any{"transfer_id": before["transfer_id"]}); st != 422 || o["code"] != "not_insured" {
				t.Errorf("a transfer from before the policy: %d %v", st, o["code"])
			}
			if st, _ := s.call(t, "POST", "/v1/me/insurance/claims", b.token, map[string]any{"transfer_id": stolen["transfer_id"]}); st != 422 {
				t.Errorf("the payee claimed the payer's transfer: %d", st)
			}
			id := c["id"].(string)
			ev := s.must(t, 200, "GET", "/v1/operator/insurance/claims/"+id, op, nil)
			if ev["transfer"].(map[string]any)["amount"] != 2500.0 || len(ev["security"].([]any)) == 0 {
				t.Errorf("evidence: %v", ev)
			}
			if st, _ := s.call(t, "POST", "/v1/operator/insurance/claims/"+id+"/decide", a.token, map[string]any{"approve": true}); st != 401 {
				t.Errorf("a user decided a claim: %d", st)
			}
			mid := s.available(t, a, "CNY")
			if d := s.must(t, 200, "POST", "/v1/operator/insurance/claims/"+id+"/decide", op, map[string]any{"approve": true}); d["status"] != "paid" {
				t.Fatalf("decide: %v", d)
			}
			if got := s.available(t, a, "CNY"); got != mid+2500 {
				t.Errorf("after the payout the wallet has %d, want %d", got, mid+2500)
			}
			if st, o := s.call(t, "POST", "/v1/operator/insurance/claims/"+id+"/decide", op, map[string]any{"approve": true}); st != 409 || o["code"] != "claim_decided" {
				t.Errorf("paid twice? %d %v", st, o["code"])
			}
			if got := s.available(t, a, "CNY"); got != mid+2500 {
				t.Errorf("a second decision moved money: %d", got)
			}
			// A rejection needs its reason.
			other := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY", "pin": "285714"})
			c2 := s.must(t, 201, "POST", "/v1/me/insurance/claims", a.token, map[string]any{"transfer_id": other["transfer_id"]})
			if st, _ := s.call(t, "POST", "/v1/operator/insurance/claims/"+c2["id"].(string)+"/decide", op, map[string]any{"approve": false}); st != 422 {
				t.Errorf("a rejection without a reason: %d", st)
			}
			s.must(t, 200, "POST", "/v1/operator/insurance/claims/"+c2["id"].(string)+"/decide", op, map[string]any{"approve": false, "reason": "the user's own payment"})
			mine := s.must(t, 200, "GET", "/v1/me/insurance", a.token, nil)
			if ps := mine["policies"].([]any); len(ps) != 1 || ps[0].(map[string]any)["paid_out"] != 2500.0 {
				t.Errorf("policies: %v", ps)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// The console's trust pages: the audit trail with its chain checked, and
// a claim reviewed and paid from the console.
func TestWebConsoleAuditAndClaims(t *testing.T) {
	dsn := stores(t)["sqlite"](t)
	withOperator(t, dsn)
	s := startServer(t, dsn, lenientRisk)
	a, b := funded(t, s)
	s.must(t, 201, "POST", "/v1/me/insurance", a.token, map[string]any{"pin": "285714"})
	stolen := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1200, "currency": "CNY", "pin": "285714"})
	c := s.must(t, 201, "POST", "/v1/me/insurance/claims", a.token, map[string]any{"transfer_id": stolen["transfer_id"], "description": "my phone was stolen"})

	op := newBrowser(t, s.url)
	op.login(operatorPhone, operatorPassword)
	must200(t, op, "/console/audit?verify=1", "The chain holds", "insurance_claim_filed", "login")
	must200(t, op, "/console/audit?action=insurance_bought", a.id)
	must200(t, op, "/console/claims", "my phone was stolen", "CNY\u00a012.00")
	before := s.available(t, a, "CNY")
	if resp, _ := op.post("/console/claims", "/console/claims/"+c["id"].(string)+"/decide", url.Values{"approve": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if got := s.available(t, a, "CNY"); got != before+1200 {
		t.Errorf("after the console's approval the wallet has %d, want %d", got, before+1200)
	}
	must200(t, op, "/console/claims", "No claim waits for review.")
	// Not for users.
	ub := newBrowser(t, s.url)
	ub.login(b.phone, testPassword)
	if resp, _ := ub.get("/console/claims"); resp.StatusCode != 403 {
		t.Errorf("a user reached the claims: %d", resp.StatusCode)
	}
}

// The insurance page: a user buys a term with the PIN and claims a bill.
func TestWebInsurance(t *testing.T) {
	dsn := stores(t)["sqlite"](t)
	s := startServer(t, dsn, lenientRisk)
	a, b := funded(t, s)
	ub := newBrowser(t, s.url)
	ub.login(a.phone, testPassword)
	must200(t, ub, "/app/insurance", "Account-security insurance", "Buy a term for CNY\u00a03.00")
	if resp, _ := ub.post("/app/insurance", "/app/insurance", url.Values{"pin": {"285714"}}); resp.StatusCode != 303 {
		t.Fatalf("buy: %d", resp.StatusCode)
	}
	must200(t, ub, "/app/insurance", "In force")
	stolen := s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 800, "currency": "CNY", "pin": "285714"})
	id := stolen["transfer_id"].(string)
	must200(t, ub, "/app/bills/"+id, `href="/app/insurance?claim=`+id+`"`)
	if resp, _ := ub.post("/app/insurance?claim="+id, "/app/insurance/claims", url.Values{"transfer_id": {id}, "description": {"not me"}}); resp.StatusCode != 303 {
		t.Fatalf("claim: %d", resp.StatusCode)
	}
	must200(t, ub, "/app/insurance", "Being reviewed", "CNY\u00a08.00")
	// The same bill again: the page says why, nothing is filed.
	if resp, body := ub.post("/app/insurance", "/app/insurance/claims", url.Values{"transfer_id": {id}}); resp.StatusCode == 303 || !strings.Contains(body, "claimed already") {
		t.Errorf("a second claim on one bill: %d", resp.StatusCode)
	}
}
