package server_test

import (
	"testing"
	"time"
)

func TestCashierAtTheTill(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", lenientRisk)
	payer, owner := funded(t, s)
	mid, _ := merchantFor(t, s, owner)
	cashier := s.newPerson(t, "+8613700137003", "张三")
	stranger := s.newPerson(t, "+8613600136004", "李四")
	if st, _ := s.call(t, "POST", "/v1/merchants/"+mid+"/staff", cashier.token, map[string]any{"phone": stranger.phone, "role": "cashier"}); st != 404 {
		t.Errorf("a non-owner added staff: %d", st)
	}
	s.must(t, 204, "POST", "/v1/merchants/"+mid+"/staff", owner.token, map[string]any{"phone": cashier.phone, "role": "cashier"})
	s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 5000})
	dev := enroll(t, s, payer)

	shop := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/stores", owner.token, map[string]any{"name": "Nanjing Road"})["id"].(string)
	till := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/stores/"+shop+"/terminals", owner.token, map[string]any{"name": "Till 2"})["id"].(string)
	if st, _ := s.call(t, "POST", "/v1/merchants/"+mid+"/stores/"+shop+"/terminals", cashier.token, map[string]any{"name": "x"}); st != 404 {
		t.Errorf("a cashier added a till: %d", st)
	}
	awayFromStepEdge()
	sale := map[string]any{"auth_code": dev.code(t, time.Now()), "out_trade_no": "TILL-1", "amount": 880, "currency": "CNY", "terminal_id": till}
	if st, _ := s.call(t, "POST", "/v1/merchants/"+mid+"/till/micropay", stranger.token, sale); st != 404 {
		t.Errorf("a stranger charged at the till: %d", st)
	}
	if o := s.must(t, 200, "POST", "/v1/merchants/"+mid+"/till/micropay", cashier.token, sale); o["status"] != "SUCCESS" {
		t.Fatalf("cashier's sale: %v", o)
	}
	if o := s.must(t, 200, "GET", "/v1/merchants/"+mid+"/till/orders/TILL-1", cashier.token, nil); o["status"] != "SUCCESS" || o["terminal_id"] != till {
		t.Errorf("cashier looks the sale up: %v", o)
	}
	if st, _ := s.call(t, "POST", "/v1/merchants/"+mid+"/till/micropay", cashier.token, map[string]any{"auth_code": dev.code(t, time.Now().Add(time.Minute)),
		"out_trade_no": "TILL-2", "amount": 1, "currency": "CNY", "terminal_id": shop}); st != 422 {
		t.Errorf("a store id as a till: %d", st)
	}
	refund := map[string]any{"out_trade_no": "TILL-1", "out_refund_no": "TR-1", "amount": 880}
	if st, out := s.call(t, "POST", "/v1/merchants/"+mid+"/till/refunds", cashier.token, refund); st != 403 {
		t.Errorf("a cashier refunded: %d %v", st, out["code"])
	}
	for _, path := range []string{"/v1/merchants/" + mid + "/keys"} {
		if st, _ := s.call(t, "POST", path, cashier.token, nil); st != 404 {
			t.Errorf("a cashier reached %s: %d", path, st)
		}
	}
	if r := s.must(t, 200, "POST", "/v1/merchants/"+mid+"/till/refunds", owner.token, refund); r["status"] != "success" {
		t.Errorf("owner's refund: %v", r)
	}
	if got := s.available(t, payer, "CNY"); got != 100_000 {
		t.Errorf("payer has %d after the sale and its refund", got)
	}
}
