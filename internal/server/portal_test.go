package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The merchant portal and the operator console, against the real server:
// who may see and do what, the refund's confirmation step, CSRF, the
// freeze, and both languages.

const (
	operatorPhone    = "+8613600136000"
	operatorPassword = "opera-Tor-2026"
)

// withOperator creates an operator (as `slt admin create` does) in the
// database the server will open.
func withOperator(t *testing.T, dsn string) {
	t.Helper()
	t.Setenv("SLT_SECRET_KEY", "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0zMi1ieXRlcy1sb25nISE=")
	if _, err := server.CreateAdmin(context.Background(), server.Config{DB: dsn}, wallet.Registration{
		Phone: operatorPhone, Name: "运营小王", Password: operatorPassword}); err != nil {
		t.Fatal(err)
	}
}

// login logs a browser in and returns where the login sent it.
func (b *browser) login(phone, password string) string {
	b.t.Helper()
	resp, body := b.post("/login", "/login", url.Values{"phone": {phone}, "password": {password}})
	if resp.StatusCode != 303 {
		b.t.Fatalf("login %s: %d %s", phone, resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// postRaw posts a form with a CSRF token of the caller's choosing.
func (b *browser) postRaw(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func must200(t *testing.T, b *browser, path string, want ...string) string {
	t.Helper()
	resp, body := b.get(path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("GET %s: no %q", path, w)
		}
	}
	return body
}

var (
	keyIDRE     = regexp.MustCompile(`id="new-key-id">([^<]+)<`)
	keySecretRE = regexp.MustCompile(`id="new-key-secret">([^<]+)<`)
	refundNoRE  = regexp.MustCompile(`name="refund_no" value="([^"]+)"`)
)

func TestWebMerchantPortalAndOperatorConsole(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) { portalAndConsole(t, dsn(t)) })
	}
}

func portalAndConsole(t *testing.T, dsn string) {
	withOperator(t, dsn)
	s := startServer(t, dsn, lenientRisk)
	payer, owner := funded(t, s)
	cashier := s.newPerson(t, "+8613700137003", "张三")

	ob := newBrowser(t, s.url)
	if to := ob.login(owner.phone, testPassword); to != "/app" {
		t.Errorf("an owner's login went to %s", to)
	}
	must200(t, ob, "/merchant", "You have no merchant yet.")
	// Onboarding: the application, with the settlement card.
	resp, body := ob.post("/merchant/apply", "/merchant/apply", url.Values{"name": {"Corner Shop Ltd"}, "display_name": {"Corner Shop"},
		"mcc": {"5411"}, "country": {"cn"}, "city": {"Beijing"}, "card": {owner.card}})
	if resp.StatusCode != 303 {
		t.Fatalf("apply: %d %s", resp.StatusCode, body)
	}
	mid := strings.TrimPrefix(strings.TrimSuffix(resp.Header.Get("Location"), "?applied=1"), "/merchant/")
	must200(t, ob, "/merchant/"+mid+"?applied=1", "waiting for an operator", "Corner Shop")
	if resp, body := ob.post("/merchant/apply", "/merchant/apply", url.Values{"name": {"X"}, "display_name": {"X"}, "mcc": {"54"},
		"country": {"CN"}, "city": {"Beijing"}}); resp.StatusCode != 422 || !strings.Contains(body, "four digits") {
		t.Errorf("a bad MCC: %d", resp.StatusCode)
	}

	// The console is the operators'.
	for _, p := range []string{"/console", "/console/users?q=%2B86", "/console/ledger/check", "/console/health"} {
		if resp, _ := ob.get(p); resp.StatusCode != 403 {
			t.Errorf("a user reached %s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := ob.post("/merchant", "/console/merchants/"+mid+"/approve", url.Values{}); resp.StatusCode != 403 {
		t.Errorf("a user approved a merchant: %d", resp.StatusCode)
	}
	if resp, _ := newBrowser(t, s.url).get("/console"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("/console without a session: %d", resp.StatusCode)
	}
	op := newBrowser(t, s.url)
	if to := op.login(operatorPhone, operatorPassword); to != "/console" {
		t.Errorf("an operator's login went to %s, want /console", to)
	}
	must200(t, op, "/console", "Merchants waiting for approval", "Corner Shop")
	if resp, _ := op.post("/console/merchants/"+mid, "/console/merchants/"+mid+"/approve", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	must200(t, op, "/console/merchants/"+mid+"?approved=1", "The merchant is approved.", `id="merchant-status">Approved`)

	// An API key, its secret shown once; the merchant's server uses it.
	resp, body = ob.post("/merchant/"+mid+"/keys", "/merchant/"+mid+"/keys", url.Values{})
	kid, sec := keyIDRE.FindStringSubmatch(body), keySecretRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || kid == nil || sec == nil {
		t.Fatalf("new key: %d", resp.StatusCode)
	}
	if _, body := ob.get("/merchant/" + mid + "/keys"); strings.Contains(body, sec[1]) {
		t.Error("the key's secret is shown again")
	}
	pos := &merchantClient{s: s, keyID: kid[1], secret: sec[1]}
	_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "W-1", "amount": 3550, "currency": "CNY"}, nil)
	s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})

	// The owner adds a cashier, who sees takings and orders only.
	if resp, _ := ob.post("/merchant/"+mid+"/staff", "/merchant/"+mid+"/staff", url.Values{"phone": {cashier.phone}}); resp.StatusCode != 303 {
		t.Fatalf("add a cashier: %d", resp.StatusCode)
	}
	must200(t, ob, "/merchant/"+mid+"/staff", "张三", "Cashier")
	cb := newBrowser(t, s.url)
	cb.login(cashier.phone, testPassword)
	must200(t, cb, "/merchant", "Corner Shop", "Cashier")
	body = must200(t, cb, "/merchant/"+mid, "CNY\u00a035.50", `id="chart"`, "Takings per hour today")
	if strings.Contains(body, "/keys") || strings.Contains(body, "merchant-balance") {
		t.Error("a cashier's menu offers the owner's sections")
	}
	for _, p := range []string{"/keys", "/webhook", "/settlements", "/staff", "/qr", "/qr.png", "/bill?date=2026-01-01"} {
		if resp, _ := cb.get("/merchant/" + mid + p); resp.StatusCode != 403 {
			t.Errorf("a cashier reached %s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := cb.post("/merchant/"+mid, "/merchant/"+mid+"/keys", url.Values{}); resp.StatusCode != 403 {
		t.Errorf("a cashier made a key: %d", resp.StatusCode)
	}
	if body := must200(t, cb, "/merchant/"+mid+"/orders/W-1", "W-1", "Paid"); strings.Contains(body, "refund-form") {
		t.Error("a cashier is offered the refund")
	}
	if resp, _ := cb.post("/merchant/"+mid, "/merchant/"+mid+"/orders/W-1/refund", url.Values{"amount": {"1.00"}, "confirm": {"1"}, "refund_no": {"X1"}}); resp.StatusCode != 403 {
		t.Errorf("a cashier refunded: %d", resp.StatusCode)
	}
	stranger := newBrowser(t, s.url)
	stranger.login(payer.phone, testPassword)
	if resp, _ := stranger.get("/merchant/" + mid); resp.StatusCode != 404 {
		t.Errorf("a stranger saw the merchant: %d", resp.StatusCode)
	}

	// Orders: search by number and status.
	must200(t, ob, "/merchant/"+mid+"/orders?no=W-1", "W-1")
	if body := must200(t, ob, "/merchant/"+mid+"/orders?status=CLOSED"); strings.Contains(body, ">W-1<") {
		t.Error("a paid order listed as closed")
	}
	if resp, _ := ob.get("/merchant/" + mid + "/orders?date=yesterday"); resp.StatusCode != 200 {
		t.Errorf("a bad date: %d", resp.StatusCode)
	}
	// The refund: the first step only asks.
	before := s.available(t, payer, "CNY")
	must200(t, ob, "/merchant/"+mid+"/orders/W-1", `id="refund-form"`, "At most CNY\u00a035.50")
	resp, body = ob.post("/merchant/"+mid+"/orders/W-1", "/merchant/"+mid+"/orders/W-1/refund", url.Values{"amount": {"10.00"}, "reason": {"少了一笼"}})
	no := refundNoRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="refund-confirm"`) || no == nil {
		t.Fatalf("refund, first step: %d", resp.StatusCode)
	}
	if got := s.available(t, payer, "CNY"); got != before {
		t.Fatalf("the first step refunded: %d → %d", before, got)
	}
	if resp, _ := ob.post("/merchant/"+mid+"/orders/W-1", "/merchant/"+mid+"/orders/W-1/refund", url.Values{"amount": {"99.00"}}); resp.StatusCode != 422 {
		t.Errorf("a refund above the order: %d", resp.StatusCode)
	}
	confirm := url.Values{"amount": {"10.00"}, "reason": {"少了一笼"}, "refund_no": {no[1]}, "confirm": {"1"}}
	for range 2 { // a double submit is one refund
		if resp, body := ob.post("/merchant/"+mid+"/orders/W-1", "/merchant/"+mid+"/orders/W-1/refund", confirm); resp.StatusCode != 303 {
			t.Fatalf("refund: %d %s", resp.StatusCode, body)
		}
	}
	if got := s.available(t, payer, "CNY"); got != before+1000 {
		t.Errorf("after the refund the payer has %d, want %d", got, before+1000)
	}
	must200(t, ob, "/merchant/"+mid+"/orders/W-1?refunded=1", "Refunded", no[1], "At most CNY\u00a025.50")

	// CSRF: a form without the right token changes nothing.
	for _, p := range []string{"/merchant/" + mid + "/keys", "/merchant/" + mid + "/orders/W-1/refund"} {
		if resp, _ := ob.postRaw(p, url.Values{"csrf": {"forged"}, "amount": {"1.00"}, "confirm": {"1"}, "refund_no": {"F1"}}); resp.StatusCode != 403 {
			t.Errorf("POST %s with a forged token: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := op.postRaw("/console/users/"+payer.id+"/freeze", url.Values{"freeze": {"1"}}); resp.StatusCode != 403 {
		t.Errorf("freeze without a token: %d", resp.StatusCode)
	}

	// The owner's other sections.
	must200(t, ob, "/merchant/"+mid+"/qr", "Download PNG", `src="data:image/svg&#43;xml;base64,`)
	if resp, body := ob.get("/merchant/" + mid + "/qr.png"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("QR PNG: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	if resp, body := ob.get("/merchant/" + mid + "/bill?date=" + today); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(body, "refund") {
		t.Errorf("daily bill: %d %s", resp.StatusCode, body)
	}
	must200(t, ob, "/merchant/"+mid+"/settlements", "Settlement card", "Download a daily bill")
	resp, body = ob.post("/merchant/"+mid+"/webhook", "/merchant/"+mid+"/webhook", url.Values{"url": {"http://127.0.0.1:1/hook"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "whsec_") {
		t.Errorf("set the webhook: %d", resp.StatusCode)
	}
	body = must200(t, ob, "/merchant/"+mid+"/webhook", "payment.succeeded", "refund.succeeded")
	if strings.Contains(body, "whsec_") {
		t.Error("the webhook secret is shown again")
	}
	if resp, _ := ob.post("/merchant/"+mid+"/keys", "/merchant/"+mid+"/keys/"+kid[1]+"/rotate", url.Values{}); resp.StatusCode != 200 {
		t.Errorf("rotate: %d", resp.StatusCode)
	}
	if st, _ := pos.do(t, "GET", "/v1/merchant/orders/W-1", nil, nil); st != 401 {
		t.Errorf("the rotated key still signs: %d", st)
	}

	// The console: users, KYC, the freeze (no money out while frozen).
	must200(t, op, "/console/users?q=%2B8613800138001", "王小明", "Name and card verified")
	must200(t, op, "/console/users/"+payer.id, "Identity (KYC)", "王小明", "Resident identity card")
	if resp, _ := op.post("/console/users/"+payer.id, "/console/users/"+payer.id+"/freeze", url.Values{"freeze": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("freeze: %d", resp.StatusCode)
	}
	must200(t, op, "/console/users/"+payer.id, `id="user-state"><strong class="frozen">Frozen`)
	tr := map[string]any{"to": owner.phone, "amount": 100, "currency": "CNY", "pin": "285714"}
	if st, out := s.call(t, "POST", "/v1/transfers", payer.token, tr, "Idempotency-Key", "frozen-1"); st != 403 || out["code"] != wallet.CodeAccountFrozen {
		t.Errorf("a frozen user's transfer: %d %v", st, out["code"])
	}
	if st, _ := s.call(t, "POST", "/v1/transfers", owner.token, map[string]any{"to": payer.phone, "amount": 100, "currency": "CNY",
		"pin": "285714"}, "Idempotency-Key", "to-frozen"); st != 201 {
		t.Errorf("paying a frozen user: %d", st)
	}
	if resp, _ := op.post("/console/users/"+payer.id, "/console/users/"+payer.id+"/freeze", url.Values{"freeze": {"0"}}); resp.StatusCode != 303 {
		t.Fatalf("unfreeze: %d", resp.StatusCode)
	}
	s.must(t, 201, "POST", "/v1/transfers", payer.token, tr, "Idempotency-Key", "frozen-2")

	// The ledger explorer and the invariant check; health from /metrics.
	mp := must200(t, op, "/console/merchants/"+mid, "Ledger account")
	acct := regexp.MustCompile(`href="/console/ledger/accounts/([0-9a-f-]{36})"`).FindStringSubmatch(mp)
	if acct == nil {
		t.Fatal("no ledger account on the merchant's page")
	}
	must200(t, op, "/console/ledger/accounts/"+acct[1], "Refund (7)", "Payment (5)", "refund:", "-CNY\u00a010.00")
	if resp, _ := op.get("/console/ledger?account=" + acct[1]); resp.StatusCode != 303 {
		t.Errorf("ledger search: %d", resp.StatusCode)
	}
	if resp, _ := op.get("/console/ledger?account=nope"); resp.StatusCode != 200 {
		t.Errorf("ledger search for a bad id: %d", resp.StatusCode)
	}
	must200(t, op, "/console/ledger/check", "OK: every invariant holds.")
	must200(t, op, "/console/health", "Ledger queue depth", `id="commit-p99"`)

	// Both languages.
	op.lang, ob.lang = "zh-Hans", "zh-Hans"
	must200(t, op, "/console", "运营后台", "待审核商户")
	must200(t, op, "/console/ledger/check", "通过：所有不变量成立。")
	must200(t, ob, "/merchant/"+mid, "今日收款", "¥35.50")
	must200(t, ob, "/merchant/"+mid+"/orders/W-1", "退款记录", "已退款")
	checkLedger(t, dsn)
}
