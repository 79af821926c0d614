package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/server"
)

// The web app's handlers, against the real server: routes beside the API,
// sessions, CSRF, rate limits, and forms that refuse bad input.

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	lang string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, lang: "en", c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) send(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	req.Header.Set("Accept-Language", b.lang)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.send(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post submits a form the way the page at from does, with its CSRF token.
func (b *browser) post(from, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", from)
	}
	form.Set("csrf", m[1])
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func TestWebAppBesideTheAPI(t *testing.T) {
	s := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "slt.db"), func(c *server.Config) { c.Demo = true })
	b := newBrowser(t, s.url)

	// The API keeps its paths.
	if st, out := s.call(t, "GET", "/healthz", "", nil); st != 200 || out["status"] != "ok" {
		t.Errorf("healthz: %d %v", st, out)
	}
	if resp, body := b.get("/openapi.json"); resp.StatusCode != 200 || !strings.Contains(body, `"openapi"`) {
		t.Errorf("openapi.json: %d", resp.StatusCode)
	}
	if resp, body := b.get("/v1/no-such-thing"); resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown API path: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// The web app has the rest, with its headers.
	if resp, _ := b.get("/"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
		t.Errorf("/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.get("/login")
	if resp.StatusCode != 200 || !strings.Contains(body, "Log in") {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP: %q", csp)
	}
	if resp, _ := b.get("/app"); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("/app without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A demo user logs in; the session cookie is HttpOnly and SameSite.
	resp, _ = b.post("/login", "/login", url.Values{"phone": {"+8613800138000"}, "password": {"demo-Pass-2026"}, "next": {"/app"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/app" {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "slt_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie: %+v", session)
	}
	if _, body := b.get("/app"); !strings.Contains(body, "CNY\u00a05,000.00") || !strings.Contains(body, "Pay code") {
		t.Errorf("home does not show the demo balance")
	}
	// In Chinese, from the switch.
	b.post("/app", "/lang", url.Values{"lang": {"zh-Hans"}, "back": {"/app"}})
	if _, body := b.get("/app"); !strings.Contains(body, "¥5,000.00") || !strings.Contains(body, "付款码") {
		t.Errorf("home in Chinese")
	}
	// Settings list the phones showing payment codes and offer the fraud stop.
	if _, body := b.get("/app/settings"); !strings.Contains(body, `id="devices"`) || !strings.Contains(body, `action="/app/settings/report-fraud"`) {
		t.Errorf("settings: no devices or no fraud report")
	}
	// The choice is the user's: another device, logging in, speaks Chinese.
	b2 := newBrowser(t, b.base)
	b2.post("/login", "/login", url.Values{"phone": {"+8613800138000"}, "password": {"demo-Pass-2026"}, "next": {"/app"}})
	if _, body := b2.get("/app"); !strings.Contains(body, "付款码") {
		t.Errorf("another device after the user chose Chinese: not in Chinese")
	}
	b.post("/app", "/lang", url.Values{"lang": {"en"}, "back": {"/app"}})

	// Bad input re-renders the form with a message and moves nothing.
	for _, form := range []url.Values{
		{"to": {"+8613900139000"}, "amount": {"abc"}, "currency": {"CNY"}, "pin": {"258036"}},
		{"to": {"+8613900139000"}, "amount": {"1.234"}, "currency": {"CNY"}, "pin": {"258036"}},
		{"to": {"nobody"}, "amount": {"1"}, "currency": {"CNY"}, "pin": {"258036"}},
		{"to": {"+8613900139000"}, "amount": {"99999999"}, "currency": {"CNY"}, "pin": {"258036"}},
		{"to": {"+8613900139000"}, "amount": {"1"}, "currency": {"CNY"}, "pin": {"000000"}},
		{"to": {"+8613900139000"}, "amount": {"1"}, "currency": {"XYZ"}, "pin": {"258036"}},
	} {
		form.Set("key", "bad-"+form.Get("amount")+form.Get("to")+form.Get("pin")+form.Get("currency"))
		resp, body := b.post("/app/transfer", "/app/transfer", form)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(body, `id="error"`) {
			t.Errorf("transfer %v: %d, no error shown", form, resp.StatusCode)
		}
	}
	if _, body := b.get("/app"); !strings.Contains(body, "CNY\u00a05,000.00") {
		t.Error("a refused transfer moved money")
	}
	// A good one goes to its receipt.
	resp, _ = b.post("/app/transfer", "/app/transfer", url.Values{"to": {"+8613900139000"}, "amount": {"35.50"}, "currency": {"CNY"},
		"pin": {"258036"}, "note": {"lunch"}, "key": {"web-test-1"}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/app/bills/") {
		t.Fatalf("transfer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := b.get(resp.Header.Get("Location")); !strings.Contains(body, "-CNY\u00a035.50") || !strings.Contains(body, "李华") {
		t.Error("receipt does not show the transfer")
	}
	if resp, body := b.get("/app/statement?month=" + nowMonth()); resp.StatusCode != 200 || !strings.HasPrefix(body, "time,type,") {
		t.Errorf("statement: %d %q", resp.StatusCode, body[:min(len(body), 40)])
	}
	if resp, _ := b.get("/app/bills/not-a-bill"); resp.StatusCode != 404 {
		t.Errorf("unknown bill: %d", resp.StatusCode)
	}

	// A photo of a receive code, uploaded to the scan page, leads to a
	// transfer to its owner.
	_, page := b.get("/app/receive")
	payload := regexp.MustCompile(`id="receive-payload">([^<]+)<`).FindStringSubmatch(page)
	if payload == nil {
		t.Fatal("no receive code")
	}
	png, err := receivecode.PNG(payload[1], 400)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_, scanPage := b.get("/app/scan")
	_ = mw.WriteField("csrf", csrfRE.FindStringSubmatch(scanPage)[1])
	fw, _ := mw.CreateFormFile("photo", "code.png")
	_, _ = fw.Write(png)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", s.url+"/app/scan", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, _ = b.send(req)
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || !strings.HasPrefix(loc, "/app/transfer?to=") {
		t.Errorf("scan a photo: %d %s", resp.StatusCode, loc)
	}

	// Report fraud: the user's outflows stop at once, and the page says so.
	if resp, _ := b.post("/app/settings", "/app/settings/report-fraud", url.Values{"what": {"a fake customer-service call"}}); resp.StatusCode != 303 {
		t.Errorf("report fraud: %d", resp.StatusCode)
	}
	if _, body := b.get("/app/settings"); !strings.Contains(body, "Your account is frozen") {
		t.Errorf("settings after reporting fraud do not say the account is frozen")
	}
	form := url.Values{"to": {"+8613900139000"}, "amount": {"1"}, "currency": {"CNY"}, "pin": {"258036"}, "key": {"after-fraud"}}
	if resp, body := b.post("/app/transfer", "/app/transfer", form); resp.StatusCode == 303 || !strings.Contains(body, "This account is frozen") {
		t.Errorf("a transfer from a frozen account: %d", resp.StatusCode)
	}

	// Logging out ends the session in the wallet too.
	b.post("/app/settings", "/logout", url.Values{})
	if resp, _ := b.get("/app"); resp.StatusCode != 303 {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

func TestWebFormsNeedCSRFTokens(t *testing.T) {
	s := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "slt.db"), func(c *server.Config) { c.Demo = true })
	b := newBrowser(t, s.url)
	b.get("/login") // the CSRF cookie
	form := url.Values{"phone": {"+8613800138000"}, "password": {"demo-Pass-2026"}}
	req, _ := http.NewRequest("POST", s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.send(req); resp.StatusCode != 403 {
		t.Errorf("login without a token: %d", resp.StatusCode)
	}
	form.Set("csrf", "forged")
	req, _ = http.NewRequest("POST", s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := b.send(req); resp.StatusCode != 403 {
		t.Errorf("login with a forged token: %d", resp.StatusCode)
	}
	// A cross-site POST is refused even with a token (the browser says
	// where it comes from).
	_, page := b.get("/login")
	form.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
	req, _ = http.NewRequest("POST", s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := b.send(req); resp.StatusCode != 403 {
		t.Errorf("cross-site login: %d", resp.StatusCode)
	}
}

func TestWebLoginRateLimits(t *testing.T) {
	s := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "slt.db"), func(c *server.Config) { c.Demo = true })
	login := func(phone, password string) int {
		resp, _ := newBrowser(t, s.url).post("/login", "/login", url.Values{"phone": {phone}, "password": {password}})
		return resp.StatusCode
	}
	// Per account: five wrong passwords, then even the right one waits.
	for i := range 5 {
		if st := login("+8613900139000", "wrong-password"); st != 401 {
			t.Fatalf("wrong password %d: %d", i, st)
		}
	}
	if st := login("+8613900139000", "demo-Pass-2026"); st != 429 {
		t.Errorf("after five failures: %d, want 429", st)
	}
	// Another account is not affected …
	if st := login("+8613800138000", "demo-Pass-2026"); st != 303 {
		t.Errorf("another account: %d", st)
	}
	// … until this address has tried too often.
	for i := 7; i <= 30; i++ { // 5 + 1 + 24 tries counted: 30
		login("+86138001380"+string(rune('0'+i/10))+string(rune('0'+i%10)), "wrong-password")
	}
	if st := login("+6591234567", "demo-Pass-2026"); st != 429 {
		t.Errorf("after 30 tries from one address: %d, want 429", st)
	}
}

func nowMonth() string { return time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01") }
