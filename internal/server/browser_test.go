package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

// The web app in a real browser (Debian's Chromium): two people sign up,
// one in Chinese and one in English, verify their names, link cards and
// top up; one pays the other; one scans a shop's order QR code and pays
// with the PIN pad; the other shows the payment code, a till charges it
// above the password-free limit, and the page asks for the PIN by itself.
// Then the shop's owner refunds part of an order in the merchant portal
// (with its confirmation step), and an operator finds it all in the
// console's ledger explorer: the refund transfer, the merchant's balance,
// and the invariant check. No page may log a JavaScript error or break the Content-Security-Policy.

// chromiumPath finds the browser, or skips the test loudly (fails when
// SLT_REQUIRE_BROWSER=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SLT_REQUIRE_BROWSER") == "1" {
		t.Fatal("SLT_REQUIRE_BROWSER=1 but no Chromium: apt-get install -y chromium")
	}
	t.Skip("!!! SKIPPED: no Chromium on this machine, the web app's browser test did not run (apt-get install -y chromium; SLT_REQUIRE_BROWSER=1 makes this a failure) !!!")
	return ""
}

// artefacts is where the screenshots go.
func artefacts(t *testing.T) string {
	dir := os.Getenv("SLT_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tab is one person's browser: its own cookies and storage.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	dir  string
	mu   *sync.Mutex
	errs *[]string
}

func newTab(t *testing.T, browser context.Context, name, dir string, mu *sync.Mutex, errs *[]string) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, name: name, ctx: ctx, dir: dir, mu: mu, errs: errs}
	// The first action opens the tab: without a timeout, which would
	// close the tab when it ends.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		case *cdplog.EventEntryAdded:
			// Content-Security-Policy violations and failed loads come here.
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				msg = fmt.Sprintf("log.%s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL)
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		}
		if msg != "" {
			mu.Lock()
			*errs = append(*errs, name+": "+msg)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed")
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s at %s: %v", b.name, loc, err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: text of %s: %v", b.name, sel, err)
	}
	return strings.TrimSpace(s)
}

// fill sets form fields by id.
func (b *tab) fill(kv ...string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(kv); i += 2 {
		id, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		acts = append(acts, chromedp.WaitVisible(chromedp.CSS("#"+kv[i])),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%s).value = %s`, id, v)))
	}
	b.do(acts...)
}

// pinPad types a PIN on the pad; its sixth digit submits the form.
func (b *tab) pinPad(pin string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for _, d := range pin {
		acts = append(acts, chromedp.Click(chromedp.CSS(`.pad button[data-digit="`+string(d)+`"]`)))
	}
	b.do(acts...)
}

func (b *tab) shot(name string) []byte {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("%s: screenshot %s: %v", b.name, name, err)
		return nil
	}
	_ = os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644)
	return png
}

func (b *tab) expect(sel, want string) {
	b.t.Helper()
	// Amounts keep their code and number together with a no-break space.
	if got := strings.ReplaceAll(b.text(sel), "\u00a0", " "); !strings.Contains(got, want) {
		b.shot("unexpected")
		b.t.Fatalf("%s: %s says %q, want %q", b.name, sel, got, want)
	}
}

// login logs in on the login page, in the language lang; then waits for
// the element sel of the page it lands on.
func (b *tab) login(base, lang, phone, password, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#phone")))
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
		b.do(chromedp.Click(chromedp.CSS(`.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #phone`)))
	}
	b.fill("phone", phone, "password", password)
	b.do(chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(sel)))
}

func luhn(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + string(rune('0'+(10-sum%10)%10))
}

// signUp registers in the browser, sets the PIN and verifies the person:
// identity, a card with the code the sandbox bank "texted", a top-up.
func (b *tab) signUp(base, lang, name, phone, doc, country, number, pan, topUp string) {
	b.t.Helper()
	b.do(chromedp.Navigate(base + "/signup"))
	if got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); got != lang {
		b.do(chromedp.Click(chromedp.CSS(`.lang button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #password2`)))
	}
	b.fill("name", name, "phone", phone, "password", "Web-Pass-2026!", "password2", "Web-Pass-2026!")
	b.do(chromedp.Submit(chromedp.CSS("#password2")), chromedp.WaitVisible(chromedp.CSS("#pin2")))
	b.fill("pin", "285714", "pin2", "285714", "password", "Web-Pass-2026!")
	b.do(chromedp.Submit(chromedp.CSS("#pin2")), chromedp.WaitVisible(chromedp.CSS("#act-paycode")))

	b.do(chromedp.Navigate(base+"/app/identity"), chromedp.WaitVisible(chromedp.CSS("#number")))
	b.fill("name", name, "type", doc, "number", number, "country", country)
	b.do(chromedp.Submit(chromedp.CSS("#number")), chromedp.WaitVisible(chromedp.CSS("#holder")))
	b.fill("number", pan)
	b.do(chromedp.Submit(chromedp.CSS("#holder")), chromedp.WaitVisible(chromedp.CSS("#sandbox-code")))
	code := b.text("#sandbox-code")
	code = code[strings.LastIndexAny(code, " ：")+1:]
	b.fill("code", strings.TrimSpace(code))
	b.do(chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS("#notice")))

	b.do(chromedp.Navigate(base+"/app/topup"), chromedp.WaitVisible(chromedp.CSS("#amount")))
	b.fill("amount", topUp)
	b.pinPad("285714")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#order[data-status="succeeded"]`)))
}

func TestBrowserJourney(t *testing.T) {
	path := chromiumPath(t)
	dir := artefacts(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "slt.db")
	withOperator(t, dsn)
	s := startServer(t, dsn, nil)
	// A shop, set up through the API, owned by a third person.
	owner := s.newPerson(t, "+8613700137000", "赵店主")
	s.verify(t, &owner, "赵店主", "440306198801012340", "6222020200112233446")
	_, pos := merchantFor(t, s, owner)

	browser := startChromium(t, path)
	var mu sync.Mutex
	var jsErrors []string
	zh := newTab(t, browser, "张伟", dir, &mu, &jsErrors)
	en := newTab(t, browser, "Emily", dir, &mu, &jsErrors)

	id := "11010519900307123"
	zh.signUp(s.url, "zh-Hans", "张伟", "+8613812345678", "resident_id", "", id+string(kyc.IDCheckChar(id)), luhn("622202020011223355"), "1000.00")
	zh.do(chromedp.Navigate(s.url + "/app"))
	zh.expect("#balance-CNY", "¥1,000.00")
	zh.expect(".actions", "扫一扫")
	zh.shot("wallet-home-zh")

	en.signUp(s.url, "en", "Emily Chen", "+6591112222", "passport", "SGP", "E7654321K", luhn("621700123456789099"), "500.00")
	en.do(chromedp.Navigate(s.url + "/app"))
	en.expect("#balance-CNY", "CNY 500.00")
	en.expect(".actions", "Pay code")

	// 张伟 sends Emily 88 yuan, typing the PIN (no pad).
	zh.do(chromedp.Navigate(s.url+"/app/transfer"), chromedp.WaitVisible(chromedp.CSS("#to")))
	zh.fill("to", "+6591112222", "amount", "88", "note", "午饭", "pin", "285714")
	zh.do(chromedp.Submit(chromedp.CSS("#pin")), chromedp.WaitVisible(chromedp.CSS("#receipt")))
	zh.expect("#bill-amount", "-¥88.00")
	zh.expect("#receipt", "Emily Chen")
	en.do(chromedp.Navigate(s.url + "/app"))
	en.expect("#balance-CNY", "CNY 588.00")

	// 张伟 scans the shop's order code and pays with the PIN pad.
	st, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "WEB-1", "amount": 2350, "currency": "CNY", "description": "两笼小笼包"}, nil)
	if st != 201 && st != 200 {
		t.Fatalf("order: %d %v", st, o["_raw"])
	}
	zh.do(chromedp.Navigate(s.url+"/app/scan"), chromedp.WaitVisible(chromedp.CSS("#payload")))
	zh.fill("payload", o["qr"].(string))
	zh.do(chromedp.Submit(chromedp.CSS("#payload")), chromedp.WaitVisible(chromedp.CSS("#merchant-name")))
	zh.expect("#merchant-name", "Corner Shop")
	zh.expect("#payee", "已认证商户")
	zh.expect("#pay-amount", "¥23.50")
	zh.shot("scan-pay-zh")
	zh.pinPad("285714")
	zh.do(chromedp.WaitVisible(chromedp.CSS("#receipt")))
	zh.expect("#bill-amount", "-¥23.50")
	zh.expect("#receipt", "Corner Shop")
	zh.shot("receipt-zh")
	if _, o := pos.do(t, "GET", "/v1/merchant/orders/WEB-1", nil, nil); o["status"] != "SUCCESS" {
		t.Errorf("the scanned order is %v, want SUCCESS", o["status"])
	}

	// Emily allows password-free payments up to 20 yuan, enrols this
	// browser for payment codes and shows the code.
	en.do(chromedp.Navigate(s.url+"/app/settings"), chromedp.WaitVisible(chromedp.CSS("#per_tx")))
	en.fill("per_tx", "20.00", "daily", "100.00", "pf-password", "Web-Pass-2026!")
	en.do(chromedp.Submit(chromedp.CSS("#per_tx")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	en.expect("#pf-hint", "CNY 20.00")
	awayFromStepEdge()
	en.do(chromedp.Navigate(s.url+"/app/paycode"), chromedp.WaitVisible(chromedp.CSS("#pc-enrol")))
	en.pinPad("285714")
	en.do(chromedp.WaitVisible(chromedp.CSS(`#pc-digits[data-code]`)))
	ctx, cancel := context.WithTimeout(en.ctx, 10*time.Second)
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#pc-digits"), "data-code"))
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	code := attr.Value
	if len(code) != 18 || !strings.HasPrefix(code, "77") {
		t.Fatalf("payment code %q", code)
	}
	// The QR code on the screen says the same digits.
	qrPNG, err := chromedp.Run(en.ctx, chromedp.ScreenshotScale(chromedp.CSS("#pc-qr"), 2))
	if err != nil {
		t.Fatal(err)
	}
	if got := scanPNG(t, qrPNG); got != code {
		t.Errorf("the QR code reads %q, the page shows %q", got, code)
	}
	en.shot("paycode-en")

	// The till charges 58 yuan: above the limit, so the payer confirms.
	st, m := pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": code, "out_trade_no": "TILL-1", "amount": 5800, "currency": "CNY"}, nil)
	if st != 200 || m["status"] != "USERPAYING" {
		t.Fatalf("micropay: %d %v", st, m["_raw"])
	}
	en.do(chromedp.WaitVisible(chromedp.CSS("#pay-amount")))
	en.expect("#merchant-name", "Corner Shop")
	en.expect("#pay-amount", "CNY 58.00")
	en.shot("paycode-confirm-en")
	en.pinPad("285714")
	en.do(chromedp.WaitVisible(chromedp.CSS("#receipt")))
	en.expect("#bill-amount", "-CNY 58.00")
	en.expect("#notice", "Payment successful")
	if _, o := pos.do(t, "GET", "/v1/merchant/orders/TILL-1", nil, nil); o["status"] != "SUCCESS" {
		t.Errorf("the till's order is %v, want SUCCESS", o["status"])
	}
	en.do(chromedp.Navigate(s.url + "/app"))
	en.expect("#balance-CNY", "CNY 530.00")

	// The shop's owner logs in to the merchant portal (a wide screen): today's
	// takings are the two payments.
	shop := newTab(t, browser, "赵店主", dir, &mu, &jsErrors)
	shop.do(chromedp.EmulateViewport(1280, 900))
	shop.login(s.url, "zh-Hans", owner.phone, testPassword, "#act-paycode")
	shop.do(chromedp.Navigate(s.url+"/app/settings"), chromedp.Click(chromedp.CSS("#link-portal")), chromedp.WaitVisible(chromedp.CSS("#merchants a")))
	shop.do(chromedp.Click(chromedp.CSS("#merchants a")), chromedp.WaitVisible(chromedp.CSS("#chart")))
	shop.expect("#takings-total", "¥81.50")
	shop.expect("#payments-count", "2")
	shop.expect("#merchant-balance", "¥81.01") // less the fees: 0.14 and 0.35
	shop.shot("portal-takings-zh")
	// The refund: ¥10 of the scanned order, confirmed on a second page.
	shop.do(chromedp.Click(chromedp.CSS(`a[href$="/orders/WEB-1"]`)), chromedp.WaitVisible(chromedp.CSS("#refund-form")))
	shop.expect("#order-status", "支付成功")
	shop.fill("amount", "10.00", "reason", "少了一笼")
	shop.do(chromedp.Click(chromedp.CSS("#refund-btn")), chromedp.WaitVisible(chromedp.CSS("#refund-confirm")))
	shop.expect("#refund-confirm", "¥10.00")
	shop.expect("#refund-confirm", "WEB-1")
	shop.shot("portal-refund-confirm-zh")
	shop.do(chromedp.Click(chromedp.CSS("#refund-confirm-btn")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	shop.expect("#notice", "退款成功")
	shop.expect("#order-status", "已退款")
	shop.expect("#order-refunded", "¥10.00")
	shop.expect("#refunds", "¥10.00")
	shop.shot("portal-refunded-zh")
	zh.do(chromedp.Navigate(s.url + "/app"))
	zh.expect("#balance-CNY", "¥898.50")
	shop.do(chromedp.Navigate(s.url+"/merchant"), chromedp.Click(chromedp.CSS("#merchants a")), chromedp.WaitVisible(chromedp.CSS("#chart")))
	shop.expect("#refunds-total", "¥10.00")
	shop.expect("#merchant-balance", "¥71.06") // and the fee given back: 0.05

	// An operator logs in on the same page and lands on the console; the
	// ledger explorer shows the refund, the balances and a clean check.
	op := newTab(t, browser, "operator", dir, &mu, &jsErrors)
	op.do(chromedp.EmulateViewport(1280, 900))
	op.login(s.url, "en", operatorPhone, operatorPassword, `.menu a[href="/console/ledger"]`)
	op.fill("mq", "Corner")
	op.do(chromedp.Submit(chromedp.CSS("#mq")), chromedp.WaitVisible(chromedp.CSS("#merchants")))
	op.do(chromedp.Click(chromedp.CSS("#merchants tbody a")), chromedp.WaitVisible(chromedp.CSS("#merchant-status")))
	op.expect("#merchant-status", "Approved")
	op.expect("#acct-balance", "CNY 71.06")
	op.do(chromedp.Click(chromedp.CSS(`a.mono[href^="/console/ledger/accounts/"]`)), chromedp.WaitVisible(chromedp.CSS("#transfers")))
	op.expect("#acct-balance", "CNY 71.06")
	op.expect("#transfers tbody tr:first-child", "Refund (7)")
	op.expect("#transfers tbody tr:first-child", "-CNY 10.00")
	op.expect("#transfers tbody tr:first-child", "refund:")
	op.expect("#transfers", "Payment (5)")
	op.shot("console-ledger-account-en")
	op.do(chromedp.Click(chromedp.CSS("#transfers tbody tr:first-child td a")), chromedp.WaitVisible(chromedp.CSS("#transfer")))
	op.expect("#transfer-kind", "Refund (7)")
	op.expect("#transfer", "CNY 10.00")
	op.shot("console-transfer-en")
	op.do(chromedp.Navigate(s.url+"/console/ledger"), chromedp.Click(chromedp.CSS("#run-check")), chromedp.WaitVisible(chromedp.CSS("#check-result")))
	op.expect("#check-result", "OK: every invariant holds.")
	op.expect("#check-totals", "CNY")
	op.shot("console-check-en")
	op.do(chromedp.Navigate(s.url+"/console/health"), chromedp.WaitVisible(chromedp.CSS("#queue-depth")))
	op.shot("console-health-en")

	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("JavaScript errors:\n%s", strings.Join(jsErrors, "\n"))
	}
	t.Logf("screenshots in %s", dir)
}

// scanPNG reads the QR code in a screenshot.
func scanPNG(t *testing.T, b []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the screenshot: %v", err)
	}
	return res.GetText()
}

// startChromium starts a headless Chromium with a phone's window; it is
// stopped when the test ends.
func startChromium(t *testing.T, path string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(390, 844))...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return browser
}
