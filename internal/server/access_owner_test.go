package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The matrix's "other user" and "cashier" rows: every operation of a user's session
// that names a resource in its path is called by another user with the
// owner's real resource ids (cards, bank orders, bills, devices, sessions,
// payment codes, merchants and their keys, stores, orders and webhook
// events, payment requests, disputes …) — and none answers with success
// or changes the owner's things. An operation whose parameters this test
// can not fill fails it, so that a new endpoint gets its row.
func TestAccessMatrixOtherUser(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), lenientRisk)
	const op = "test-operator-token"
	owner, other := funded(t, s)
	third := s.newPerson(t, "+8613700137011", "周九")

	// The owner's things.
	tr := s.must(t, 201, "POST", "/v1/transfers", owner.token, map[string]any{"to": third.phone, "amount": 1_00, "currency": "CNY", "pin": "285714"})
	topup := s.must(t, 201, "POST", "/v1/me/topups", owner.token, map[string]any{"card_id": owner.card, "amount": 1_00, "currency": "CNY", "pin": "285714"})
	devices := s.must(t, 200, "GET", "/v1/me/devices", owner.token, nil)["devices"].([]any)
	sessions := s.must(t, 200, "GET", "/v1/me/sessions", owner.token, nil)["sessions"].([]any)
	pc := s.must(t, 201, "POST", "/v1/me/paycode/enroll", owner.token, map[string]any{"pin": "285714"})
	m := s.must(t, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "Owner's Shop Ltd", "display_name": "Owner's Shop",
		"mcc": "5411", "country": "CN", "city": "Beijing"})
	mid := m["id"].(string)
	s.must(t, 200, "POST", "/v1/operator/merchants/"+mid+"/approve", op, nil)
	key := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/keys", owner.token, nil)
	store := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/stores", owner.token, map[string]any{"name": "Front desk"})
	req := s.must(t, 201, "POST", "/v1/payment-requests", owner.token, map[string]any{"from": third.phone, "amount": 2_00, "currency": "CNY"})
	disp := s.must(t, 201, "POST", "/v1/me/disputes", owner.token, map[string]any{"transfer_id": tr["transfer_id"], "reason": "wrong_amount", "description": "one yuan too much"})

	byPrefix := map[string]string{ // the segment before {id} → the owner's id
		"bank-cards": owner.card, "bank-orders": topup["id"].(string), "bills": tr["transfer_id"].(string),
		"devices": devices[0].(map[string]any)["id"].(string), "sessions": sessions[0].(map[string]any)["id"].(string),
		"merchants": mid, "payment-requests": req["id"].(string), "disputes": disp["id"].(string),
	}
	byName := map[string]string{ // other parameters
		"device": fmt.Sprint(int64(pc["device"].(float64))), "key": key["key_id"].(string), "store": fmt.Sprint(store["id"]),
		"out_trade_no": "ORDER-1", "event": "01900000-0000-7000-8000-000000000001", "attachment": "01900000-0000-7000-8000-000000000002",
	}
	// Parameters that name nothing of anyone's (a month of one's own
	// statement), or resources this test does not make (a passkey, an order
	// a till started): a made-up id, so the call still runs.
	madeUp := map[string]string{"month": "2026-11", "passkeys": "01900000-0000-7000-8000-000000000003", "payments": "01900000-0000-7000-8000-000000000004"}
	ownScoped := map[string]bool{"monthlyStatement": true}

	resp, err := http.Get(s.url + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Summary     string                `json:"summary"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	param := regexp.MustCompile(`\{([^}]+)\}`)
	type call struct{ method, path, id, summary string }
	var calls []call
	for path, methods := range doc.Paths {
		if !strings.Contains(path, "{") || strings.HasPrefix(path, "/v1/merchant/") || strings.HasPrefix(path, "/v1/operator/") || strings.HasPrefix(path, "/v1/ledger") {
			continue
		}
		for method, o := range methods {
			session := false
			for _, req := range o.Security {
				if _, ok := req["session"]; ok {
					session = true
				}
			}
			if !session || ownScoped[o.OperationID] {
				continue
			}
			segs := strings.Split(path, "/")
			filled := path
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				var v string
				if m[1] == "id" {
					for i, sg := range segs {
						if sg == m[0] && i > 0 {
							v = byPrefix[segs[i-1]]
							if v == "" {
								v = madeUp[segs[i-1]]
							}
						}
					}
				} else if v = byName[m[1]]; v == "" {
					v = madeUp[m[1]]
				}
				if v == "" {
					t.Errorf("%s %s (%s): no fixture for {%s}: give the owner one", strings.ToUpper(method), path, o.OperationID, m[1])
					continue
				}
				filled = strings.Replace(filled, m[0], v, 1)
			}
			calls = append(calls, call{strings.ToUpper(method), filled, o.OperationID, o.Summary})
		}
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].path+calls[i].method < calls[j].path+calls[j].method })
	if len(calls) < 20 {
		t.Fatalf("only %d resource operations", len(calls))
	}
	// do calls as the holder of token and reports what answered success.
	do := func(c call, token string) (int, []byte) {
		var body io.Reader
		if c.method != "GET" && c.method != "DELETE" {
			// A body that passes validation where it can: the PIN, an
			// amount, a message — so that only ownership stands in the way.
			b, _ := json.Marshal(map[string]any{"pin": "285714", "amount": 1_00, "currency": "CNY", "text": "hello", "code": "123456",
				"name": "x", "url": "https://example.com/hook", "user_id": other.id, "role": "cashier", "out_trade_no": "ORDER-2"})
			body = bytes.NewReader(b)
		}
		r, _ := http.NewRequest(c.method, s.url+c.path, body)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Idempotency-Key", "other-"+c.id)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, out
	}
	for _, c := range calls {
		if st, out := do(c, other.token); st < 400 {
			t.Errorf("%s %s (%s) as another user: %d %s", c.method, c.path, c.id, st, out)
		}
	}
	t.Logf("%d resource operations called as another user", len(calls))

	// The cashier row: a cashier of the owner's merchant reaches the till
	// operations meant for cashiers ("owner or cashier") and nothing else
	// of the merchant's: keys, webhook, events, settlement card, staff,
	// stores, refunds.
	s.must(t, 204, "POST", "/v1/merchants/"+mid+"/staff", owner.token, map[string]any{"phone": third.phone, "role": "cashier"})
	cashierOps := 0
	for _, c := range calls {
		if !strings.HasPrefix(c.path, "/v1/merchants/"+mid+"/") || strings.Contains(c.summary, "owner or cashier") {
			continue
		}
		cashierOps++
		if st, out := do(c, third.token); st < 400 {
			t.Errorf("%s %s (%s) as a cashier: %d %s", c.method, c.path, c.id, st, out)
		}
	}
	if cashierOps < 8 {
		t.Errorf("only %d owner-only merchant operations checked as a cashier", cashierOps)
	}

	// Nothing of the owner's changed.
	if st, _ := s.call(t, "GET", "/v1/me", owner.token, nil); st != 200 {
		t.Errorf("the owner's session ended: %d", st)
	}
	if ds := s.must(t, 200, "GET", "/v1/me/devices", owner.token, nil)["devices"].([]any); len(ds) != len(devices) {
		t.Errorf("the owner's devices: %v", ds)
	}
	if ps := s.must(t, 200, "GET", "/v1/me/paycode", owner.token, nil)["devices"].([]any); len(ps) != 1 {
		t.Errorf("the owner's payment-code devices: %v", ps)
	}
	if d := s.must(t, 200, "GET", "/v1/me/disputes/"+disp["id"].(string), owner.token, nil); d["status"] != disp["status"] {
		t.Errorf("the owner's dispute: %v → %v", disp["status"], d["status"])
	}
	cards := s.must(t, 200, "GET", "/v1/me/bank-cards", owner.token, nil)
	if b, _ := json.Marshal(cards); !strings.Contains(string(b), owner.card) {
		t.Errorf("the owner's card is gone: %s", b)
	}
}
