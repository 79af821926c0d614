package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// These tests run the whole server — HTTP, wallet, ledger, store — with the
// sandbox bank and identity provider, on SQLite and on PostgreSQL.

type testServer struct {
	url  string
	dsn  string
	bank *bank.Sandbox
	stop func()
}

func stores(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "slt.db") },
		"postgres": func(t *testing.T) string {
			pgtest.Require(t)
			return pgtest.NewSchema(t)
		},
	}
}

func startServer(t *testing.T, dsn string, cfg func(*server.Config)) *testServer {
	t.Helper()
	sb := bank.NewSandbox(bank.SandboxConfig{Latency: time.Millisecond, SettleDelay: 0})
	t.Cleanup(sb.Close)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	wc := wallet.DefaultConfig()
	c := server.Config{
		DB: dsn, Addr: "127.0.0.1:0", AdminToken: "test-operator-token",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ReconcileEvery: 50 * time.Millisecond,
		Bank: sb, Identity: kyc.NewSandbox(kyc.SandboxConfig{}), Wallet: &wc,
		PublicURL: "https://pay.example.test", Listening: func(a string) { addr <- a },
	}
	if cfg != nil {
		cfg(&c)
	}
	t.Setenv("SLT_SECRET_KEY", "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcy1sb25nISE=")
	keys := os.Getenv("SLT_CARD_KEYS") // a server started again in a test keeps its keys
	if keys == "" {
		keys = bank.GenerateKeySpec()
	}
	t.Setenv("SLT_CARD_KEYS", keys)
	go func() { done <- server.Run(ctx, c) }()
	select {
	case a := <-addr:
		ts := &testServer{url: "http://" + a, dsn: dsn, bank: sb}
		ts.stop = func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		}
		t.Cleanup(func() {
			if ctx.Err() == nil {
				ts.stop()
			}
		})
		return ts
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	}
	return nil
}

// call sends a request and decodes a JSON answer into a map.
func (s *testServer) call(t *testing.T, method, path, token string, body any, header ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	out["_raw"] = string(raw)
	return resp.StatusCode, out
}

func (s *testServer) must(t *testing.T, want int, method, path, token string, body any, header ...string) map[string]any {
	t.Helper()
	got, out := s.call(t, method, path, token, body, header...)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, out["_raw"])
	}
	return out
}

type person struct {
	id, phone, token, card string
}

const testPassword = "correct-Horse-42"

// newPerson registers, logs in and sets a PIN.
func (s *testServer) newPerson(t *testing.T, phone, name string) person {
	t.Helper()
	u := s.must(t, 201, "POST", "/v1/users", "", map[string]any{"phone": phone, "password": testPassword, "name": name})
	l := s.must(t, 201, "POST", "/v1/sessions", "", map[string]any{"phone": phone, "password": testPassword})
	p := person{id: u["id"].(string), phone: phone, token: l["token"].(string)}
	s.must(t, 204, "PUT", "/v1/me/pin", p.token, map[string]any{"password": testPassword, "pin": "285714"})
	return p
}

// verify makes a person tier 2: real name and a verified card.
func (s *testServer) verify(t *testing.T, p *person, name, idNumber, pan string) {
	t.Helper()
	id17 := idNumber[:17]
	s.must(t, 200, "POST", "/v1/me/identity", p.token, map[string]any{"name": name, "document_type": "resident_id",
		"number": id17 + string(kyc.IDCheckChar(id17))})
	c := s.must(t, 201, "POST", "/v1/me/bank-cards", p.token, map[string]any{"number": pan, "holder_name": name})
	p.card = c["id"].(string)
	v := s.must(t, 200, "POST", "/v1/me/bank-cards/"+p.card+"/verify", p.token, map[string]any{"code": c["sandbox_code"]})
	if v["status"] != "verified" {
		t.Fatalf("card not verified: %v", v)
	}
	me := s.must(t, 200, "GET", "/v1/me", p.token, nil)
	if me["tier"] != 2.0 {
		t.Fatalf("tier %v after identity and card, want 2", me["tier"])
	}
}

func (s *testServer) available(t *testing.T, p person, cur string) int64 {
	t.Helper()
	w := s.must(t, 200, "GET", "/v1/me/wallets", p.token, nil)
	for _, x := range w["wallets"].([]any) {
		m := x.(map[string]any)
		if m["currency"] == cur {
			return int64(m["available"].(float64))
		}
	}
	t.Fatalf("no %s wallet", cur)
	return 0
}

// waitOrder polls an order until it is no longer processing.
func (s *testServer) waitOrder(t *testing.T, p person, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := s.must(t, 200, "GET", "/v1/me/bank-orders/"+id, p.token, nil)
		if o["status"] != "processing" {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s still processing", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// billsSum adds up a person's bills that moved or hold money.
func (s *testServer) billsSum(t *testing.T, p person) int64 {
	t.Helper()
	var sum int64
	cursor := ""
	for {
		b := s.must(t, 200, "GET", "/v1/me/bills?currency=CNY&limit=7&cursor="+cursor, p.token, nil)
		for _, x := range b["bills"].([]any) {
			m := x.(map[string]any)
			if m["status"] != "failed" {
				sum += int64(m["amount"].(float64))
			}
		}
		next, _ := b["next_cursor"].(string)
		if next == "" || len(b["bills"].([]any)) == 0 {
			return sum
		}
		cursor = next
	}
}

func checkLedger(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	r, err := store.OpenReadOnly(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep, err := ledger.Check(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("ledger invariants violated: %+v", rep)
	}
}

func TestWalletEndToEnd(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), nil)
			a := s.newPerson(t, "+8613800138001", "王小明")
			b := s.newPerson(t, "+8613900139002", "李华")
			s.verify(t, &a, "王小明", "110105199003071230", "6222020200112233446")
			s.verify(t, &b, "李华", "310104199208152460", "6217001234567890122")

			// Top-ups: settled at once by the sandbox.
			for _, p := range []person{a, b} {
				o := s.must(t, 201, "POST", "/v1/me/topups", p.token,
					map[string]any{"card_id": p.card, "amount": 100_000, "currency": "CNY", "pin": "285714"}, "Idempotency-Key", "top-"+p.id)
				if o = s.waitOrder(t, p, o["id"].(string)); o["status"] != "succeeded" {
					t.Fatalf("top-up: %v", o)
				}
			}
			// Transfers both ways.
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": b.phone, "amount": 12_345, "currency": "CNY", "pin": "285714", "note": "房租"}, "Idempotency-Key", "t1")
			s.must(t, 201, "POST", "/v1/transfers", b.token, map[string]any{"to": a.id, "amount": 2_345, "currency": "CNY", "pin": "285714"}, "Idempotency-Key", "t2")
			code := s.must(t, 200, "GET", "/v1/me/receive-code", b.token, nil)["payload"].(string)
			s.must(t, 201, "POST", "/v1/transfers", a.token, map[string]any{"to": code, "amount": 1_000, "currency": "CNY", "pin": "285714"})

			// B's inbox tells of the money A sent.
			ns := s.must(t, 200, "GET", "/v1/me/notifications", b.token, nil)["notifications"].([]any)
			received := 0
			for _, n := range ns {
				m := n.(map[string]any)
				if m["kind"] == "received" && strings.Contains(m["body"].(string), "王小明") {
					received++
				}
			}
			if received != 2 {
				t.Errorf("B's inbox has %d received notifications from A, want 2: %v", received, ns)
			}

			// Withdrawals: one the bank refuses, one that times out and
			// succeeds later, one that times out and fails later.
			fee := wallet.DefaultConfig().Limits["CNY"][2].WithdrawalFee
			want := map[int64]string{5_091: "failed", 5_092: "succeeded", 5_093: "failed", 5_000: "succeeded"}
			for amount, status := range want {
				o := s.must(t, 201, "POST", "/v1/me/withdrawals", a.token,
					map[string]any{"card_id": a.card, "amount": amount, "currency": "CNY", "pin": "285714"}, "Idempotency-Key", fmt.Sprint("w", amount))
				if got := s.waitOrder(t, a, o["id"].(string)); got["status"] != status {
					t.Errorf("withdrawal of %d: %v, want %s", amount, got["status"], status)
				}
			}
			wantA := int64(100_000 - 12_345 + 2_345 - 1_000 - 5_092 - 5_000 - 2*fee)
			wantB := int64(100_000 + 12_345 - 2_345 + 1_000)
			if got := s.available(t, a, "CNY"); got != wantA {
				t.Errorf("A has %d, want %d", got, wantA)
			}
			if got := s.available(t, b, "CNY"); got != wantB {
				t.Errorf("B has %d, want %d", got, wantB)
			}
			if got := s.billsSum(t, a); got != wantA {
				t.Errorf("A's bills add up to %d, balance %d", got, wantA)
			}
			if got := s.billsSum(t, b); got != wantB {
				t.Errorf("B's bills add up to %d, balance %d", got, wantB)
			}
			// The bank paid A's card exactly the two successful withdrawals.
			var paid, debited int64
			for _, v := range s.bank.Totals() {
				paid += v.Credited
				debited += v.Debited
			}
			if paid != 5_092+5_000 || debited != 200_000 {
				t.Errorf("bank credited %d and debited %d, want %d and %d", paid, debited, 5_092+5_000, 200_000)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}
