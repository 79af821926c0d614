package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

func TestRefunds(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			mid, pos := merchantFor(t, s, owner)
			_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "R-1", "amount": 3550, "currency": "CNY"}, nil)
			s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			refund := func(no string, amount int64) (int, map[string]any) {
				return pos.do(t, "POST", "/v1/merchant/refunds", map[string]any{"out_trade_no": "R-1", "out_refund_no": no, "amount": amount, "reason": "少了一笼"}, nil)
			}
			if st, r := refund("RF-1", 1000); st != 200 || r["status"] != "success" {
				t.Fatalf("partial refund: %d %v", st, r["_raw"])
			}
			if st, r := refund("RF-1", 1000); st != 200 || r["status"] != "success" {
				t.Errorf("the same refund again: %d %v", st, r["_raw"])
			}
			if st, r := refund("RF-1", 999); st != 409 || r["code"] != wallet.CodeOutRefundNoReused {
				t.Errorf("out_refund_no reused for another amount: %d %v", st, r["code"])
			}
			// Five concurrent refunds of 1,000 on the 2,550 left: two pass.
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for i := range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if st, _ := refund(fmt.Sprint("RF-C", i), 1000); st == 200 {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if ok != 2 {
				t.Errorf("%d concurrent refunds passed, want 2", ok)
			}
			if st, r := refund("RF-LAST", 550); st != 200 {
				t.Fatalf("the rest: %d %v", st, r["_raw"])
			}
			if st, r := refund("RF-MORE", 1); st != 422 || r["code"] != wallet.CodeRefundTooLarge {
				t.Errorf("beyond the amount paid: %d %v", st, r["code"])
			}
			if got := s.available(t, payer, "CNY"); got != 100_000 {
				t.Errorf("after a full refund the payer has %d, want 100000", got)
			}
			// All refunded, the fee went back in full: the merchant holds 0.
			if bal := s.must(t, 200, "GET", "/v1/merchants/"+mid+"/qr", owner.token, nil)["balance"]; bal != 0.0 {
				t.Errorf("merchant balance %v after a full refund, want 0", bal)
			}
			if _, q := pos.do(t, "GET", "/v1/merchant/orders/R-1", nil, nil); q["status"] != "REFUND" {
				t.Errorf("order status %v", q["status"])
			}
			bills := s.must(t, 200, "GET", "/v1/me/bills?type=refund", payer.token, nil)["bills"].([]any)
			if len(bills) != 4 {
				t.Errorf("%d refund bills, want 4", len(bills))
			}
			// The daily bill matches the ledger: everything in and out.
			date := time.Now().In(wallet.DefaultConfig().Day).Format("2006-01-02")
			st, csv := pos.do(t, "GET", "/v1/merchant/bills/"+date, nil, nil)
			if st != 200 {
				t.Fatalf("daily bill: %d %v", st, csv["_raw"])
			}
			text := csv["_raw"].(string)
			for _, want := range []string{",payment,order:", ",total payments,,35.50,CNY,", ",total refunds,,-35.50,CNY,", ",total fees,,-0.21,CNY,",
				",total fees given back,,0.21,CNY,", ",net,,0.00,CNY,", ",closing balance,,0.00,CNY,"} {
				if !strings.Contains(text, want) {
					t.Errorf("daily bill lacks %q:\n%s", want, text)
				}
			}
			if rows := strings.Count(text, "\n") - 1 - 7; rows != 1+1+4+4 {
				t.Errorf("daily bill has %d movements, want 10:\n%s", rows, text)
			}
			// A till reverses a payment that was partly refunded: the rest
			// comes back, not the whole amount again.
			_, o2 := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "R-2", "amount": 2000, "currency": "CNY"}, nil)
			s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o2["qr"], "pin": "285714"})
			pos.do(t, "POST", "/v1/merchant/refunds", map[string]any{"out_trade_no": "R-2", "out_refund_no": "RF-2", "amount": 500}, nil)
			for range 2 {
				if st, r := pos.do(t, "POST", "/v1/merchant/orders/R-2/reverse", nil, nil); st != 200 || r["status"] != "REVERSED" {
					t.Errorf("reverse after a partial refund: %d %v", st, r["_raw"])
				}
			}
			if got := s.available(t, payer, "CNY"); got != 100_000 {
				t.Errorf("after refund and reversal the payer has %d, want 100000", got)
			}
			if st, _ := pos.do(t, "POST", "/v1/merchant/refunds", map[string]any{"out_trade_no": "R-2", "out_refund_no": "RF-3", "amount": 1}, nil); st == 200 {
				t.Errorf("refunded a reversed order")
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}
