package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// funded returns two tier-2 people with 1,000.00 CNY each.
func funded(t *testing.T, s *testServer) (a, b person) {
	t.Helper()
	a = s.newPerson(t, "+8613800138001", "王小明")
	b = s.newPerson(t, "+8613900139002", "李华")
	s.verify(t, &a, "王小明", "110105199003071230", "6222020200112233446")
	s.verify(t, &b, "李华", "310104199208152460", "6217001234567890122")
	for _, p := range []person{a, b} {
		o := s.must(t, 201, "POST", "/v1/me/topups", p.token,
			map[string]any{"card_id": p.card, "amount": 100_000, "currency": "CNY", "pin": "285714"})
		if o = s.waitOrder(t, p, o["id"].(string)); o["status"] != "succeeded" {
			t.Fatalf("top-up: %v", o)
		}
	}
	return a, b
}

func TestIdempotentTransferSentTenTimesConcurrently(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), nil)
			a, b := funded(t, s)
			var wg sync.WaitGroup
			statuses := make([]int, 10)
			ids := make([]string, 10)
			for i := range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, out := s.call(t, "POST", "/v1/transfers", a.token,
						map[string]any{"to": b.phone, "amount": 777, "currency": "CNY", "pin": "285714"}, "Idempotency-Key", "same-key")
					statuses[i] = st
					ids[i], _ = out["transfer_id"].(string)
				}()
			}
			wg.Wait()
			created := 0
			for i, st := range statuses {
				switch st {
				case 201:
					created++
				case 200:
				default:
					t.Fatalf("request %d: status %d", i, st)
				}
				if ids[i] != ids[0] {
					t.Fatalf("different transfer ids: %v", ids)
				}
			}
			if created != 1 {
				t.Errorf("%d requests answered 201 created, want 1", created)
			}
			if got := s.available(t, a, "CNY"); got != 100_000-777 {
				t.Errorf("payer has %d, want %d: the money moved more than once", got, 100_000-777)
			}
			if got := s.available(t, b, "CNY"); got != 100_000+777 {
				t.Errorf("payee has %d, want %d", got, 100_000+777)
			}
			// The same key with another amount is refused and moves nothing.
			st, out := s.call(t, "POST", "/v1/transfers", a.token,
				map[string]any{"to": b.phone, "amount": 778, "currency": "CNY", "pin": "285714"}, "Idempotency-Key", "same-key")
			if st != 422 || out["code"] != wallet.CodeIdempotencyKeyReused {
				t.Errorf("reused key: %d %v", st, out["code"])
			}
			if got := s.available(t, a, "CNY"); got != 100_000-777 {
				t.Errorf("payer has %d after the refused request", got)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

func TestUserCanNotReachAnotherUsersMoney(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", nil)
	a, b := funded(t, s)
	// A's things, that B will try.
	o := s.must(t, 201, "POST", "/v1/me/withdrawals", a.token, map[string]any{"card_id": a.card, "amount": 1_000, "currency": "CNY", "pin": "285714"})
	req := s.must(t, 201, "POST", "/v1/payment-requests", a.token, map[string]any{"from": b.phone, "amount": 100, "currency": "CNY", "note": "电影票"})
	c := s.newPerson(t, "+8613700137003", "张三")
	for _, path := range []string{"/pay", "/decline"} {
		if st, _ := s.call(t, "POST", "/v1/payment-requests/"+req["id"].(string)+path, c.token, map[string]any{"pin": "285714"}); st != 404 {
			t.Errorf("a stranger's %s of a payment request: %d", path, st)
		}
	}
	if st, _ := s.call(t, "POST", "/v1/payment-requests/"+req["id"].(string)+"/pay", a.token, map[string]any{"pin": "285714"}); st != 403 {
		t.Errorf("the requester paid their own request: %d", st)
	}
	paid := s.must(t, 201, "POST", "/v1/payment-requests/"+req["id"].(string)+"/pay", b.token, map[string]any{"pin": "285714"})
	again := s.must(t, 200, "POST", "/v1/payment-requests/"+req["id"].(string)+"/pay", b.token, map[string]any{"pin": "285714"})
	if paid["transfer_id"] != again["transfer_id"] {
		t.Errorf("paying twice made two transfers")
	}
	if st, out := s.call(t, "POST", "/v1/payment-requests/"+req["id"].(string)+"/decline", b.token, nil); st != 409 {
		t.Errorf("declining a paid request: %d %v", st, out["code"])
	}
	// B can not use A's card, see A's order, pay or decline as A, or end A's session.
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/v1/me/withdrawals", map[string]any{"card_id": a.card, "amount": 100, "currency": "CNY", "pin": "285714"}, 404},
		{"POST", "/v1/me/topups", map[string]any{"card_id": a.card, "amount": 100, "currency": "CNY", "pin": "285714"}, 404},
		{"GET", "/v1/me/bank-orders/" + o["id"].(string), nil, 404},
		{"POST", "/v1/me/bank-cards/" + a.card + "/verify", map[string]any{"code": "123456"}, 404},
		{"DELETE", "/v1/me/bank-cards/" + a.card, nil, 404},
	} {
		st, out := s.call(t, c.method, c.path, b.token, c.body)
		if st != c.want {
			t.Errorf("B: %s %s: %d %v, want %d", c.method, c.path, st, out["code"], c.want)
		}
	}
	// Sessions: B can not revoke A's; without a token nothing is served.
	sessions := s.must(t, 200, "GET", "/v1/me/sessions", a.token, nil)["sessions"].([]any)
	aSession := sessions[0].(map[string]any)["id"].(string)
	if st, _ := s.call(t, "DELETE", "/v1/me/sessions/"+aSession, b.token, nil); st != 404 {
		t.Errorf("B revoked A's session: %d", st)
	}
	for _, path := range []string{"/v1/me", "/v1/me/wallets", "/v1/me/bills", "/v1/me/bank-cards", "/v1/me/notifications"} {
		if st, out := s.call(t, "GET", path, "", nil); st != 401 || out["code"] != wallet.CodeSessionInvalid {
			t.Errorf("GET %s without a session: %d %v", path, st, out["code"])
		}
		if st, _ := s.call(t, "GET", path, "slt_forged", nil); st != 401 {
			t.Errorf("GET %s with a forged token: %d", path, st)
		}
	}
	// B's view of bills shows only B's money.
	bills := s.must(t, 200, "GET", "/v1/me/bills", b.token, nil)["bills"].([]any)
	for _, x := range bills {
		if x.(map[string]any)["type"] == "withdrawal" {
			t.Errorf("B sees a withdrawal: %v", x)
		}
	}
	// Logging out ends the session.
	s.must(t, 204, "DELETE", "/v1/sessions/current", a.token, nil)
	if st, _ := s.call(t, "GET", "/v1/me", a.token, nil); st != 401 {
		t.Errorf("session still valid after logout: %d", st)
	}
}

func TestPINLockout(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", func(c *server.Config) { c.Wallet.PINLockFor = 2 * time.Second })
	a, b := funded(t, s)
	pay := func(pin string) (int, map[string]any) {
		return s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY", "pin": pin})
	}
	for i := 1; i <= 4; i++ {
		st, out := pay("000001")
		if st != 401 || out["code"] != wallet.CodePINIncorrect || out["remaining_tries"] != float64(5-i) {
			t.Fatalf("wrong PIN %d: %d %v remaining %v", i, st, out["code"], out["remaining_tries"])
		}
	}
	if st, out := pay("000001"); st != 423 || out["code"] != wallet.CodePINLocked {
		t.Fatalf("fifth wrong PIN: %d %v", st, out["code"])
	}
	if st, out := pay("285714"); st != 423 {
		t.Fatalf("right PIN while locked: %d %v", st, out["code"])
	}
	if got := s.available(t, a, "CNY"); got != 100_000 {
		t.Fatalf("money moved while locked: %d", got)
	}
	time.Sleep(2100 * time.Millisecond)
	if st, out := pay("285714"); st != 201 {
		t.Fatalf("right PIN after the lock: %d %v", st, out)
	}
	// The lock is in the inbox.
	time.Sleep(100 * time.Millisecond)
	ns := s.must(t, 200, "GET", "/v1/me/notifications", a.token, nil)["notifications"].([]any)
	found := false
	for _, n := range ns {
		found = found || n.(map[string]any)["kind"] == "pin_locked"
	}
	if !found {
		t.Error("no pin_locked notification")
	}
}

// lenientRisk turns off the rules that would challenge every test
// payment: the test users logged in a moment ago and pay often.
func lenientRisk(c *server.Config) {
	rc := risk.DefaultRulesConfig()
	rc.NewDeviceFor, rc.ChallengeCount, rc.DenyCount = 0, 0, 0
	c.Risk = risk.NewRules(rc)
}

func TestLimits(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", lenientRisk)
	a, b := funded(t, s)
	lim := wallet.DefaultConfig().Limits["CNY"]
	o := s.must(t, 201, "POST", "/v1/me/topups", a.token, map[string]any{"card_id": a.card, "amount": 200_000, "currency": "CNY", "pin": "285714"})
	s.waitOrder(t, a, o["id"].(string))

	// A tier-0 user can hold at most the cap.
	c := s.newPerson(t, "+8613700137003", "张三")
	st, out := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": c.phone, "amount": lim[0].BalanceCap + 1, "currency": "CNY", "pin": "285714"})
	if st != 422 || out["code"] != wallet.CodeLimitExceeded || out["limit"] != "payee_balance_cap" {
		t.Fatalf("over the payee's cap: %d %v", st, out)
	}
	s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": c.phone, "amount": lim[0].BalanceCap, "currency": "CNY", "pin": "285714"})
	// … and send at most the tier-0 daily outflow.
	s.must(t, 201, "POST", "/v1/transfers", c.token, map[string]any{"to": b.phone, "amount": lim[0].DailyOutflow, "currency": "CNY", "pin": "285714"})
	st, out = s.call(t, "POST", "/v1/transfers", c.token, map[string]any{"to": b.phone, "amount": 1, "currency": "CNY", "pin": "285714"})
	if st != 422 || out["code"] != wallet.CodeLimitExceeded || out["limit"] != "daily_outflow" {
		t.Fatalf("over the daily outflow: %d %v", st, out)
	}
	if !strings.Contains(out["detail"].(string), "500.00 CNY") {
		t.Errorf("the message does not name the limit: %v", out["detail"])
	}
	// Verifying the identity raises the limit at once, the same day.
	s.must(t, 200, "POST", "/v1/me/identity", c.token, map[string]any{"name": "张三", "document_type": "passport", "country": "CHN", "number": "E12345678"})
	s.must(t, 201, "POST", "/v1/transfers", c.token, map[string]any{"to": b.phone, "amount": 1, "currency": "CNY", "pin": "285714"})

	// Password-free payments: off by default, then within the limits only.
	if st, out := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY"}); st != 401 || out["code"] != wallet.CodePINRequired {
		t.Fatalf("password-free while off: %d %v", st, out)
	}
	s.must(t, 204, "PUT", "/v1/me/password-free", a.token, map[string]any{"password": testPassword, "per_transaction": 300, "daily": 500})
	for i, want := range []int{201, 201, 401} { // 300 + 200 fit the day's 500; the third does not
		amount := []int{300, 200, 100}[i]
		st, out := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": amount, "currency": "CNY"})
		if st != want {
			t.Fatalf("password-free payment %d of %d: %d %v", i, amount, st, out)
		}
		if st == 201 && out["password_free"] != true {
			t.Errorf("payment %d not marked password-free", i)
		}
	}
	if st, _ := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 301, "currency": "CNY"}); st != 401 {
		t.Errorf("above the per-payment limit without PIN: %d", st)
	}
	// With the PIN it goes through.
	s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY", "pin": "285714"})
	checkErrors(t, s, a, b)
}

// checkErrors sends bad transfers: each is a clear 4xx and moves nothing.
func checkErrors(t *testing.T, s *testServer, a, b person) {
	before := s.available(t, a, "CNY")
	for _, c := range []struct {
		body map[string]any
		want int
		code string
	}{
		{map[string]any{"to": b.phone, "amount": 10_000_000, "currency": "CNY", "pin": "285714"}, 422, wallet.CodeInsufficientBalance},
		{map[string]any{"to": "+8613000000000", "amount": 1, "currency": "CNY", "pin": "285714"}, 404, wallet.CodeUnknownPayee},
		{map[string]any{"to": a.phone, "amount": 1, "currency": "CNY", "pin": "285714"}, 422, wallet.CodeSelfTransfer},
		{map[string]any{"to": b.phone, "amount": 1, "currency": "USD", "pin": "285714"}, 422, wallet.CodeWalletNotOpen},
		{map[string]any{"to": b.phone, "amount": 1, "currency": "XYZ", "pin": "285714"}, 422, wallet.CodeCurrencyNotSupported},
		{map[string]any{"to": b.phone, "amount": 0, "currency": "CNY", "pin": "285714"}, 422, "invalid_request"},
		{map[string]any{"to": b.phone, "amount": -5, "currency": "CNY", "pin": "285714"}, 422, "invalid_request"},
		{map[string]any{"to": b.phone, "amount": 1.5, "currency": "CNY", "pin": "285714"}, 422, "invalid_request"},
		{map[string]any{"to": "not a payee", "amount": 1, "currency": "CNY", "pin": "285714"}, 404, wallet.CodeUnknownPayee},
		{map[string]any{"to": b.phone, "amount": 1, "currency": "CNY", "pin": "285714", "note": strings.Repeat("长", 41)}, 422, wallet.CodeInvalidNote},
	} {
		st, out := s.call(t, "POST", "/v1/transfers", a.token, c.body)
		if st != c.want || out["code"] != c.code {
			t.Errorf("%v: %d %v, want %d %s (%v)", c.body, st, out["code"], c.want, c.code, out["detail"])
		}
	}
	// Paying a USD amount to someone without a USD wallet says what they hold.
	s.must(t, 201, "POST", "/v1/me/wallets", a.token, map[string]any{"currency": "USD"})
	st, out := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1, "currency": "USD", "pin": "285714"})
	if st != 422 || out["code"] != wallet.CodePayeeCurrencyNotOpen || fmt.Sprint(out["payee_currencies"]) != "[CNY]" {
		t.Errorf("payee without USD: %d %v", st, out)
	}
	if got := s.available(t, a, "CNY"); got != before {
		t.Errorf("refused requests moved money: %d → %d", before, got)
	}
}

func TestOperatorCreatedByAdminCommandUsesTheLedgerAPI(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/slt.db"
	t.Setenv("SLT_SECRET_KEY", "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcy1sb25nISE=")
	if _, err := server.CreateAdmin(context.Background(), server.Config{DB: dsn}, wallet.Registration{
		Phone: "+8613600136000", Name: "运营", Password: "opera-Tor-2026"}); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dsn, nil)
	op := s.must(t, 201, "POST", "/v1/sessions", "", map[string]any{"phone": "+8613600136000", "password": "opera-Tor-2026"})["token"].(string)
	user := s.newPerson(t, "+8613800138001", "王小明")
	path := "/v1/ledger/accounts/0193a1b2-c3d4-7e5f-8a9b-000000000001"
	if st, out := s.call(t, "GET", path, op, nil); st != 404 {
		t.Errorf("operator: %d %v, want 404 (authorised, no such account)", st, out["code"])
	}
	if st, _ := s.call(t, "GET", path, user.token, nil); st != 401 {
		t.Errorf("a user's session reached the operator API: %d", st)
	}
	if st, _ := s.call(t, "POST", "/v1/ledger/transfers", user.token, map[string]any{"transfers": []any{}}); st != 401 {
		t.Errorf("a user's session reached the operator transfers endpoint: %d", st)
	}
}

func TestBillsFiltersAndStatement(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", nil)
	a, b := funded(t, s)
	for i := range 3 {
		s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100 + i, "currency": "CNY", "pin": "285714", "note": "=cmd|' /C calc'!A0"})
	}
	o := s.must(t, 201, "POST", "/v1/me/withdrawals", a.token, map[string]any{"card_id": a.card, "amount": 1_000, "currency": "CNY", "pin": "285714"})
	s.waitOrder(t, a, o["id"].(string))

	only := func(typ string) []any {
		return s.must(t, 200, "GET", "/v1/me/bills?type="+typ, a.token, nil)["bills"].([]any)
	}
	if got := len(only("transfer")); got != 3 {
		t.Errorf("%d transfer bills, want 3", got)
	}
	if w := only("withdrawal"); len(w) != 1 || w[0].(map[string]any)["amount"] != -1000.0 || w[0].(map[string]any)["status"] != "completed" {
		t.Errorf("withdrawal bills: %v", w)
	}
	if got := len(only("top_up")); got != 1 {
		t.Errorf("%d top-up bills, want 1", got)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := s.must(t, 200, "GET", "/v1/me/bills?from="+future, a.token, nil)["bills"].([]any); len(got) != 0 {
		t.Errorf("bills from the future: %v", got)
	}
	if st, out := s.call(t, "GET", "/v1/me/bills?cursor=garbage", a.token, nil); st != 422 || out["code"] != wallet.CodeInvalidCursor {
		t.Errorf("bad cursor: %d %v", st, out["code"])
	}

	month := time.Now().In(wallet.DefaultConfig().Day).Format("2006-01")
	st, out := s.call(t, "GET", "/v1/me/statements/"+month, a.token, nil)
	if st != 200 {
		t.Fatalf("statement: %d %v", st, out["_raw"])
	}
	lines := strings.Split(strings.TrimSpace(out["_raw"].(string)), "\n")
	if lines[0] != "time,type,counterparty,amount,currency,status,note,id" {
		t.Errorf("statement header: %q", lines[0])
	}
	// top-up, three transfers, the withdrawal and its fee.
	if len(lines) != 1+6 {
		t.Errorf("statement has %d rows, want 6:\n%s", len(lines)-1, out["_raw"])
	}
	if !strings.Contains(out["_raw"].(string), ",-1.00,CNY,completed,'=cmd") {
		t.Errorf("the statement does not defuse a formula in a note, or misses the amount:\n%s", out["_raw"])
	}
	if st, _ := s.call(t, "GET", "/v1/me/statements/2026-13", a.token, nil); st != 422 {
		t.Errorf("month 13: %d", st)
	}
}

func TestRiskDecisionPoint(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", func(c *server.Config) {
		rc := risk.DefaultRulesConfig()
		rc.ChallengeCount, rc.DenyCount = 3, 5
		c.Risk = risk.NewRules(rc)
	})
	a, b := funded(t, s)
	s.must(t, 204, "PUT", "/v1/me/password-free", a.token, map[string]any{"password": testPassword, "per_transaction": 300, "daily": 5000})
	// A device that logged in a moment ago must confirm with the PIN.
	st, out := s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100, "currency": "CNY"})
	if st != 401 || out["code"] != wallet.CodePINRequired || fmt.Sprint(out["reasons"]) != "[new device]" {
		t.Fatalf("password-free from a new device: %d %v", st, out)
	}
	// Velocity: from the fourth money-out within a minute the PIN is
	// asked (given here, so they pass); the sixth is refused.
	for i := range 5 {
		s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 100 + i, "currency": "CNY", "pin": "285714"})
	}
	st, out = s.call(t, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 1, "currency": "CNY", "pin": "285714"})
	if st != 403 || out["code"] != wallet.CodeRiskDenied {
		t.Fatalf("sixth payment in a minute: %d %v", st, out)
	}
	st, out = s.call(t, "POST", "/v1/me/withdrawals", a.token, map[string]any{"card_id": a.card, "amount": 100, "currency": "CNY", "pin": "285714"})
	if st != 403 || out["code"] != wallet.CodeRiskDenied {
		t.Fatalf("withdrawal after the velocity limit: %d %v", st, out)
	}
	if got := s.available(t, a, "CNY"); got != 100_000-(100+101+102+103+104) {
		t.Errorf("refused money-outs moved money: balance %d", got)
	}
}

// The language a user picks is theirs, on every device.
func TestLanguageIsKeptPerUser(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), nil)
			a := s.newPerson(t, "+8613800138005", "王小明")
			if me := s.must(t, 200, "GET", "/v1/me", a.token, nil); me["language"] != nil {
				t.Errorf("a new user's language: %v", me["language"])
			}
			s.must(t, 204, "PUT", "/v1/me/language", a.token, map[string]any{"language": "en"})
			if me := s.must(t, 200, "GET", "/v1/me", a.token, nil); me["language"] != "en" {
				t.Errorf("language after choosing English: %v", me["language"])
			}
			if st, _ := s.call(t, "PUT", "/v1/me/language", a.token, map[string]any{"language": "fr"}); st != 422 {
				t.Errorf("French accepted: %d", st)
			}
			if me := s.must(t, 200, "GET", "/v1/me", a.token, nil); me["language"] != "en" {
				t.Errorf("language after a refused change: %v", me["language"])
			}
		})
	}
}
