package server_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/store/postgres/pgtest"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// merchantClient signs requests as a merchant's server does.
type merchantClient struct {
	s             *testServer
	keyID, secret string
	n             atomic.Int64
}

func (m *merchantClient) do(t *testing.T, method, path string, body any, edit func(h http.Header)) (int, map[string]any) {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), m.n.Add(1))
	req, _ := http.NewRequest(method, m.s.url+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("SLT-Key-Id", m.keyID)
	req.Header.Set("SLT-Timestamp", ts)
	req.Header.Set("SLT-Nonce", nonce)
	req.Header.Set("SLT-Signature", wallet.Sign(m.secret, method, path, ts, nonce, raw))
	if edit != nil {
		edit(req.Header)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	out["_raw"] = string(b)
	return resp.StatusCode, out
}

func TestMerchantScanToPay(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			other := s.newPerson(t, "+8613700137003", "张三")

			m := s.must(t, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "上海小笼包有限公司", "display_name": "Xiaolongbao Shop",
				"mcc": "5814", "country": "CN", "city": "Shanghai"})
			mid := m["id"].(string)
			if st, out := s.call(t, "POST", "/v1/merchants/"+mid+"/keys", owner.token, nil); st != 409 {
				t.Fatalf("a key before approval: %d %v", st, out["code"])
			}
			if st, _ := s.call(t, "POST", "/v1/operator/merchants/"+mid+"/approve", owner.token, nil); st != 401 {
				t.Fatalf("a user approved a merchant: %d", st)
			}
			s.must(t, 200, "POST", "/v1/operator/merchants/"+mid+"/approve", "test-operator-token", nil)
			k := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/keys", owner.token, nil)
			mc := &merchantClient{s: s, keyID: k["key_id"].(string), secret: k["secret"].(string)}

			// Orders: out_trade_no is the idempotency key.
			order := map[string]any{"out_trade_no": "A-1", "amount": 3550, "currency": "CNY", "description": "两笼小笼包"}
			st, o := mc.do(t, "POST", "/v1/merchant/orders", order, nil)
			if st != 201 || o["status"] != "NOTPAY" || o["qr"] == "" {
				t.Fatalf("create order: %d %v", st, o["_raw"])
			}
			if st, again := mc.do(t, "POST", "/v1/merchant/orders", order, nil); st != 200 || again["id"] != o["id"] {
				t.Errorf("same order again: %d %v", st, again["_raw"])
			}
			if st, _ := mc.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "A-1", "amount": 1, "currency": "CNY"}, nil); st != 409 {
				t.Errorf("out_trade_no reused for another order: %d", st)
			}
			// Signatures: tampered, replayed, stale, revoked.
			if st, out := mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, func(h http.Header) { h.Set("SLT-Signature", "AAAA"+h.Get("SLT-Signature")[4:]) }); st != 401 || out["code"] != wallet.CodeSignatureInvalid {
				t.Errorf("tampered signature: %d %v", st, out["code"])
			}
			var replay http.Header
			mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, func(h http.Header) { replay = h.Clone() })
			if st, out := mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, func(h http.Header) {
				for k, v := range replay {
					h[k] = v
				}
			}); st != 401 || out["code"] != wallet.CodeNonceReused {
				t.Errorf("replayed request: %d %v", st, out["code"])
			}
			old := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
			if st, out := mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, func(h http.Header) {
				h.Set("SLT-Timestamp", old)
				h.Set("SLT-Signature", wallet.Sign(mc.secret, "GET", "/v1/merchant/orders/A-1", old, h.Get("SLT-Nonce"), nil))
			}); st != 401 || out["code"] != wallet.CodeSignatureExpired {
				t.Errorf("stale request: %d %v", st, out["code"])
			}

			// The payer scans the order's code, sees the merchant, and pays.
			sc := s.must(t, 200, "POST", "/v1/scan", payer.token, map[string]any{"payload": o["qr"]})
			if sc["merchant"] != "Xiaolongbao Shop" || sc["amount"] != 3550.0 {
				t.Errorf("scan: %v", sc)
			}
			p := s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			if p["order"].(map[string]any)["status"] != "SUCCESS" {
				t.Errorf("payment: %v", p)
			}
			s.must(t, 200, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			if st, out := s.call(t, "POST", "/v1/payments", other.token, map[string]any{"payload": o["qr"], "pin": "285714"}); st != 409 {
				t.Errorf("someone else paid a paid order: %d %v", st, out["code"])
			}
			if _, q := mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, nil); q["status"] != "SUCCESS" {
				t.Errorf("merchant sees %v", q["status"])
			}

			// The store code prints as an image.
			if st, img := s.call(t, "GET", "/v1/merchants/"+mid+"/qr.png", owner.token, nil); st != 200 || !strings.HasPrefix(img["_raw"].(string), "\x89PNG") {
				t.Errorf("store QR PNG: %d", st)
			}
			// A store code: the payer enters the amount; a retry pays once.
			store := s.must(t, 200, "GET", "/v1/merchants/"+mid+"/qr", owner.token, nil)["payload"].(string)
			for range 2 {
				s.call(t, "POST", "/v1/payments", payer.token, map[string]any{"payload": store, "amount": 1000, "pin": "285714"}, "Idempotency-Key", "store-pay-1")
			}
			// A closed order can not be paid.
			_, o2 := mc.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "A-2", "amount": 500, "currency": "CNY"}, nil)
			if st, c := mc.do(t, "POST", "/v1/merchant/orders/A-2/close", nil, nil); st != 200 || c["status"] != "CLOSED" {
				t.Errorf("close: %d %v", st, c["_raw"])
			}
			if st, out := s.call(t, "POST", "/v1/payments", payer.token, map[string]any{"payload": o2["qr"], "pin": "285714"}); st != 409 {
				t.Errorf("paying a closed order: %d %v", st, out["code"])
			}
			// Another scheme's code is refused clearly.
			promptpay := "00020101021129370016A000000677010111011300668123456785802TH530376463048956"
			if st, out := s.call(t, "POST", "/v1/scan", payer.token, map[string]any{"payload": promptpay}); st != 422 || out["code"] != wallet.CodeQRNotSupported {
				t.Errorf("PromptPay code: %d %v", st, out)
			}

			fee := func(a int64) int64 { return (a*wallet.DefaultFeeBPS + 5000) / 10000 }
			bal := int64(s.must(t, 200, "GET", "/v1/merchants/"+mid+"/qr", owner.token, nil)["balance"].(float64))
			if want := 3550 - fee(3550) + 1000 - fee(1000); bal != want {
				t.Errorf("merchant balance %d, want %d", bal, want)
			}
			if got := s.available(t, payer, "CNY"); got != 100_000-3550-1000 {
				t.Errorf("payer has %d, want %d", got, 100_000-3550-1000)
			}
			bills := s.must(t, 200, "GET", "/v1/me/bills?type=payment", payer.token, nil)["bills"].([]any)
			if len(bills) != 2 || bills[0].(map[string]any)["counterparty"] != "Xiaolongbao Shop" {
				t.Errorf("payer's payment bills: %v", bills)
			}
			// A revoked key signs nothing.
			s.must(t, 204, "DELETE", "/v1/merchants/"+mid+"/keys/"+mc.keyID, owner.token, nil)
			if st, _ := mc.do(t, "GET", "/v1/merchant/orders/A-1", nil, nil); st != 401 {
				t.Errorf("revoked key: %d", st)
			}
			s.stop()
			checkLedger(t, s.dsn)
		})
	}
}

func TestEd25519MerchantKey(t *testing.T) {
	s := startServer(t, "sqlite:"+t.TempDir()+"/slt.db", lenientRisk)
	_, owner := funded(t, s)
	m := s.must(t, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "Ed Shop", "display_name": "Ed Shop", "mcc": "5411", "country": "CN", "city": "Beijing"})
	mid := m["id"].(string)
	s.must(t, 200, "POST", "/v1/operator/merchants/"+mid+"/approve", "test-operator-token", nil)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k := s.must(t, 201, "POST", "/v1/merchants/"+mid+"/keys", owner.token, map[string]any{"ed25519_public_key": base64.StdEncoding.EncodeToString(pub)})
	if k["secret"] != nil {
		t.Errorf("an Ed25519 key came with a secret: %v", k)
	}
	sign := func(h http.Header, method, path string, body []byte) {
		base := wallet.SignatureBase(method, path, h.Get("SLT-Timestamp"), h.Get("SLT-Nonce"), body)
		h.Set("SLT-Signature", base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(base))))
	}
	mc := &merchantClient{s: s, keyID: k["key_id"].(string), secret: "unused"}
	order := map[string]any{"out_trade_no": "ED-1", "amount": 100, "currency": "CNY"}
	raw, _ := json.Marshal(order)
	if st, o := mc.do(t, "POST", "/v1/merchant/orders", order, func(h http.Header) { sign(h, "POST", "/v1/merchant/orders", raw) }); st != 201 {
		t.Fatalf("Ed25519-signed order: %d %v", st, o["_raw"])
	}
	// An HMAC signature (or any other) does not pass for an Ed25519 key.
	if st, _ := mc.do(t, "GET", "/v1/merchant/orders/ED-1", nil, nil); st != 401 {
		t.Errorf("HMAC signature accepted for an Ed25519 key: %d", st)
	}
	if st, _ := s.call(t, "POST", "/v1/merchants/"+mid+"/keys", owner.token, map[string]any{"ed25519_public_key": "AAAA"}); st != 422 {
		t.Errorf("a short public key: %d", st)
	}
}

// Several servers share one PostgreSQL database: a key revoked through
// one is refused by another once that one's cache looks again. Its cache
// keeps keys past their time while the merchants' version (moved on by
// the database at every change) stands still, so the revocation must move
// it, or the other server would take the key for ever.
func TestKeyRevokedOnAnotherServer(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	a := startServer(t, dsn, lenientRisk)
	owner := a.newPerson(t, "+8613900139002", "李华")
	a.verify(t, &owner, "李华", "310104199208152460", "6217001234567890122")
	m := a.must(t, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "Two Servers Shop", "display_name": "Two Servers Shop",
		"mcc": "5411", "country": "CN", "city": "Beijing"})
	mid := m["id"].(string)
	a.must(t, 200, "POST", "/v1/operator/merchants/"+mid+"/approve", "test-operator-token", nil)
	k := a.must(t, 201, "POST", "/v1/merchants/"+mid+"/keys", owner.token, nil)

	b := startServer(t, dsn, lenientRisk)
	mb := &merchantClient{s: b, keyID: k["key_id"].(string), secret: k["secret"].(string)}
	status := func() int {
		st, _ := mb.do(t, "GET", "/v1/merchant/orders/NO-SUCH-ORDER", nil, nil)
		return st
	}
	if st := status(); st != 404 {
		t.Fatalf("a signed query on the other server: %d, want 404 (signed in, no such order)", st)
	}
	time.Sleep(3 * time.Second) // past the cache's time: kept, the version unchanged
	if st := status(); st != 404 {
		t.Fatalf("the key, unchanged, a while later: %d, want 404", st)
	}
	a.must(t, 204, "DELETE", "/v1/merchants/"+mid+"/keys/"+k["key_id"].(string), owner.token, nil)
	deadline := time.Now().Add(15 * time.Second)
	for status() != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the other server still takes the revoked key")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
