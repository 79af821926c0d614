package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/wallet"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// merchantFor opens, approves and keys a merchant owned by owner.
func merchantFor(t *testing.T, s *testServer, owner person) (string, *merchantClient) {
	t.Helper()
	m := s.must(t, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "Corner Shop Ltd", "display_name": "Corner Shop",
		"mcc": "5411", "country": "CN", "city": "Beijing"})
	mid := m["id"].(string)
	s.must(t, 200, "POST", "/v1/operator/merchants/"+mid+"/approve", "test-operator-token", nil)
	k := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/keys", owner.token, nil)
	return mid, &merchantClient{s: s, keyID: k["key_id"].(string), secret: k["secret"].(string)}
}

// phone is the payer's device: it derives codes from its secret, offline.
type phone struct {
	dev paycode.Device
}

func (p phone) code(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := paycode.Generate(p.dev, at, wallet.PaycodeConfig)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func enroll(t *testing.T, s *testServer, p person) phone {
	t.Helper()
	e := s.must(t, 201, "POST", "/v1/me/paycode/enroll", p.token, map[string]any{"pin": "285714"})
	secret, err := paycode.DecodeSecret(e["secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return phone{dev: paycode.Device{Number: uint64(e["device"].(float64)), Secret: secret}}
}

func TestPaymentCodeAtTheTill(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			_, pos := merchantFor(t, s, owner)
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 5000})
			dev := enroll(t, s, payer)
			awayFromStepEdge()
			now := time.Now()
			pay := func(no string, amount int64, code string) (int, map[string]any) {
				return pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": code, "out_trade_no": no, "amount": amount, "currency": "CNY"}, nil)
			}

			// Within the password-free limit: paid at once.
			code := dev.code(t, now.Add(-time.Minute))
			if st, o := pay("T-1", 1500, code); st != 200 || o["status"] != "SUCCESS" {
				t.Fatalf("micropay: %d %v", st, o["_raw"])
			}
			// The same code again, for another order: refused (single use).
			if st, o := pay("T-2", 100, code); st != 409 || o["code"] != wallet.CodePaycodeUsed {
				t.Errorf("code reused: %d %v", st, o["code"])
			}
			// An older code than one used: refused too. A code from ten
			// minutes ago: expired. Digits that are no code: invalid.
			if st, o := pay("T-3", 100, dev.code(t, now.Add(-2*time.Minute))); st != 409 && st != 422 {
				t.Errorf("older code: %d %v", st, o["code"])
			}
			if st, o := pay("T-4", 100, dev.code(t, now.Add(-10*time.Minute))); st != 422 || (o["code"] != wallet.CodePaycodeExpired && o["code"] != wallet.CodePaycodeUsed) {
				t.Errorf("old code: %d %v", st, o["code"])
			}
			if st, o := pay("T-5", 100, "771234567890123456"); st != 422 || o["code"] != wallet.CodePaycodeInvalid {
				t.Errorf("made-up code: %d %v", st, o["code"])
			}

			// Above the limit: the customer confirms in the wallet with the PIN.
			st, o := pay("T-6", 3000, dev.code(t, now))
			if st != 200 || o["status"] != "USERPAYING" {
				t.Fatalf("above the limit: %d %v", st, o["_raw"])
			}
			if got := s.available(t, payer, "CNY"); got != 100_000-1500 {
				t.Fatalf("money moved before confirmation: %d", got)
			}
			c := s.must(t, 200, "POST", "/v1/payments/"+o["id"].(string)+"/confirm", payer.token, map[string]any{"pin": "285714"})
			if c["status"] != "SUCCESS" {
				t.Fatalf("confirm: %v", c)
			}
			if _, q := pos.do(t, "GET", "/v1/merchant/orders/T-6", nil, nil); q["status"] != "SUCCESS" {
				t.Errorf("the POS sees %v", q["status"])
			}

			// Concurrent POS retries of one sale pay once.
			code = dev.code(t, now.Add(time.Minute))
			var wg sync.WaitGroup
			statuses := make([]any, 6)
			for i := range statuses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, o := pay("T-7", 700, code)
					statuses[i] = o["status"]
				}()
			}
			wg.Wait()
			_, q := pos.do(t, "GET", "/v1/merchant/orders/T-7", nil, nil)
			if q["status"] != "SUCCESS" {
				t.Errorf("after concurrent retries: %v (answers %v)", q["status"], statuses)
			}
			if got := s.available(t, payer, "CNY"); got != 100_000-1500-3000-700 {
				t.Errorf("payer has %d, want %d: a sale was charged twice or not at all", got, 100_000-1500-3000-700)
			}

			// Reverse: the POS gave up on T-7; the payer gets it all back.
			if st, r := pos.do(t, "POST", "/v1/merchant/orders/T-7/reverse", nil, nil); st != 200 || r["status"] != "REVERSED" {
				t.Errorf("reverse: %d %v", st, r["_raw"])
			}
			pos.do(t, "POST", "/v1/merchant/orders/T-7/reverse", nil, nil) // again: nothing more
			if got := s.available(t, payer, "CNY"); got != 100_000-1500-3000 {
				t.Errorf("after the reversal the payer has %d, want %d", got, 100_000-1500-3000)
			}

			// The payer sees the device, and revokes it: its codes are refused.
			ds := s.must(t, 200, "GET", "/v1/me/paycode", payer.token, nil)["devices"].([]any)
			if len(ds) != 1 || uint64(ds[0].(map[string]any)["device"].(float64)) != dev.dev.Number {
				t.Errorf("devices: %v", ds)
			}
			s.must(t, 204, "DELETE", "/v1/me/paycode/"+itoa(dev.dev.Number), payer.token, nil)
			if ds := s.must(t, 200, "GET", "/v1/me/paycode", payer.token, nil)["devices"].([]any); len(ds) != 0 {
				t.Errorf("devices after the revocation: %v", ds)
			}
			if st, o := pay("T-8", 100, dev.code(t, now.Add(2*time.Minute))); st != 422 || o["code"] != wallet.CodePaycodeInvalid {
				t.Errorf("revoked device: %d %v", st, o["code"])
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// awayFromStepEdge waits, if the current payment-code step ends within
// the next 15 seconds, for the next one to start, so that a test's codes
// (this step, the one before and the one after) stay within the window
// while it runs.
func awayFromStepEdge() {
	step := wallet.PaycodeConfig.Step
	if left := step - time.Duration(time.Now().UnixNano())%step; left < 15*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
}

func itoa(n uint64) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// A till that reverses a sale while its payment is committing: whichever
// wins, the payer is never left charged for a reversed sale.
func TestReversalCrossingAPayment(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			_, pos := merchantFor(t, s, owner)
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 50000})
			const sales = 8
			devs := make([]phone, sales)
			for i := range devs {
				devs[i] = enroll(t, s, payer)
			}
			awayFromStepEdge()
			before := s.available(t, payer, "CNY")
			var wg sync.WaitGroup
			for i, d := range devs {
				no := "X-" + itoa(uint64(i))
				code := d.code(t, time.Now())
				wg.Add(2)
				go func() {
					defer wg.Done()
					pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": code, "out_trade_no": no, "amount": 100, "currency": "CNY"}, nil)
				}()
				go func() {
					defer wg.Done()
					// From as soon as the order may exist to after it is paid.
					time.Sleep(time.Duration(i) * 700 * time.Microsecond)
					for range 50 {
						if st, _ := pos.do(t, "POST", "/v1/merchant/orders/"+no+"/reverse", nil, nil); st != 404 {
							return
						}
						time.Sleep(time.Millisecond)
					}
				}()
			}
			wg.Wait()
			paid := int64(0)
			for i := range devs {
				_, o := pos.do(t, "GET", "/v1/merchant/orders/X-"+itoa(uint64(i)), nil, nil)
				switch o["status"] {
				case wallet.OrderReversed:
				case wallet.OrderSuccess:
					paid += 100
				default:
					t.Errorf("sale %d ended %v", i, o["status"])
				}
			}
			if got := s.available(t, payer, "CNY"); got != before-paid {
				t.Errorf("the payer has %d, want %d (%d paid for sales that were not reversed)", got, before-paid, paid)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

// A crash after a payment committed but before its order's new state (and
// event) were written: the server, started again, settles the order from
// the ledger, event included.
func TestPaidOrderSettledAfterACrash(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			db := dsn(t)
			s := startServer(t, db, lenientRisk)
			payer, owner := funded(t, s)
			mid, pos := merchantFor(t, s, owner)
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 5000})
			dev := enroll(t, s, payer)
			awayFromStepEdge()
			if st, o := pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": dev.code(t, time.Now()), "out_trade_no": "C-1", "amount": 900, "currency": "CNY"}, nil); st != 200 || o["status"] != "SUCCESS" {
				t.Fatalf("micropay: %d %v", st, o["_raw"])
			}
			s.stop()

			// What the crash lost: the order's state and its event.
			ctx := context.Background()
			st, err := store.Open(ctx, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := "UPDATE merchant_orders SET status = 'USERPAYING' WHERE out_trade_no = 'C-1'"
			if _, err := st.SQL().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SQL().ExecContext(ctx, "DELETE FROM webhook_events"); err != nil {
				t.Fatal(err)
			}
			st.Close()

			s = startServer(t, db, lenientRisk)
			pos.s = s
			var evs []any
			for try := 0; try < 100 && len(evs) == 0; try++ {
				time.Sleep(time.Duration(try) * time.Millisecond)
				evs = s.must(t, 200, "GET", "/v1/merchants/"+mid+"/webhook-events", owner.token, nil)["events"].([]any)
			}
			if len(evs) != 1 || evs[0].(map[string]any)["type"] != "payment.succeeded" {
				t.Errorf("events after the restart: %v", evs)
			}
			if _, o := pos.do(t, "GET", "/v1/merchant/orders/C-1", nil, nil); o["status"] != wallet.OrderSuccess {
				t.Errorf("order after the restart: %v %v", o["status"], o["_raw"])
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}
