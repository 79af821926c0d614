package wallet

import (
	"encoding/json"
	"testing"
	"time"
)

// The events' typed bodies marshal to the bytes their maps did: receivers
// see the same JSON, keys in the same order.
func TestEventBodiesKeepTheirJSON(t *testing.T) {
	at := time.Date(2026, 11, 26, 8, 30, 0, 123456789, time.UTC)
	cases := []struct {
		name         string
		typed, asMap any
	}{
		{"payment",
			eventBody[paymentData]{CreatedAt: at, ID: "evt_1", Type: "payment.succeeded", Data: paymentData{
				Amount: 1234, Currency: "CNY", Fee: 7, OrderID: "o-1", OutTradeNo: "T<&>\"1", Status: OrderSuccess}},
			map[string]any{"id": "evt_1", "type": "payment.succeeded", "created_at": at, "data": map[string]any{
				"out_trade_no": "T<&>\"1", "order_id": "o-1", "amount": int64(1234), "fee": int64(7), "currency": "CNY", "status": OrderSuccess}}},
		{"refund",
			eventBody[refundData]{CreatedAt: at, ID: "evt_2", Type: "refund.succeeded", Data: refundData{
				Amount: 500, Currency: "CNY", FeeBack: 3, OutRefundNo: "R1", OutTradeNo: "T1", RefundID: "r-1", Status: RefundSuccess}},
			map[string]any{"id": "evt_2", "type": "refund.succeeded", "created_at": at, "data": map[string]any{
				"out_trade_no": "T1", "out_refund_no": "R1", "refund_id": "r-1", "amount": int64(500), "fee_back": int64(3), "currency": "CNY", "status": RefundSuccess}}},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.typed)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(c.asMap)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
}
