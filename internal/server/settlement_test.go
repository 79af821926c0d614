package server_test

import (
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The wallet's clock runs a day ahead, so that today has "ended" and can
// be settled.
func TestSettlementPaysTheDaysBalance(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), func(c *server.Config) {
				lenientRisk(c)
				c.Wallet.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
			})
			payer, owner := funded(t, s)
			mid, _ := merchantFor(t, s, owner)
			if st, _ := s.call(t, "PUT", "/v1/merchants/"+mid+"/settlement", payer.token, map[string]any{"card_id": payer.card}); st != 404 {
				t.Errorf("a stranger set the settlement card: %d", st)
			}
			s.must(t, 204, "PUT", "/v1/merchants/"+mid+"/settlement", owner.token, map[string]any{"card_id": owner.card})
			store := s.must(t, 200, "GET", "/v1/merchants/"+mid+"/qr", owner.token, nil)["payload"].(string)
			s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": store, "amount": 10_000, "pin": "285714"}, "Idempotency-Key", "settle-1")
			net := 10_000 - (10_000*wallet.DefaultFeeBPS+5_000)/10_000

			date := time.Now().In(wallet.DefaultConfig().Day).Format("2006-01-02")
			if st, _ := s.call(t, "POST", "/v1/operator/settlements/"+date, owner.token, nil); st != 401 {
				t.Errorf("a user ran the settlement: %d", st)
			}
			rep := s.must(t, 200, "POST", "/v1/operator/settlements/"+date, "test-operator-token", nil)["payouts"].([]any)
			if len(rep) != 1 || rep[0].(map[string]any)["amount"] != float64(net) || rep[0].(map[string]any)["kind"] != "settlement" {
				t.Fatalf("settlement report: %v", rep)
			}
			o := s.waitOrder(t, owner, rep[0].(map[string]any)["id"].(string))
			if o["status"] != "succeeded" {
				t.Fatalf("payout: %v", o)
			}
			// Again: the same payout, nothing more.
			again := s.must(t, 200, "POST", "/v1/operator/settlements/"+date, "test-operator-token", nil)["payouts"].([]any)
			if len(again) != 1 || again[0].(map[string]any)["id"] != rep[0].(map[string]any)["id"] {
				t.Errorf("settling twice: %v", again)
			}
			if bal := s.must(t, 200, "GET", "/v1/merchants/"+mid+"/qr", owner.token, nil)["balance"]; bal != 0.0 {
				t.Errorf("merchant balance after settlement: %v", bal)
			}
			var credited int64
			for _, v := range s.bank.Totals() {
				credited += v.Credited
			}
			if credited != int64(net) {
				t.Errorf("the bank paid out %d, want %d", credited, net)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}
