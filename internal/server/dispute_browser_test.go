package server_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Disputes in a real browser: the payer reports a problem from the bill
// page with a photo, the merchant answers, and an operator decides a
// refund in the console; the payer's ticket shows it, and the money is
// back. No page logs a JavaScript error or breaks the CSP.
func TestDisputeBrowser(t *testing.T) {
	path := chromiumPath(t)
	dir := artefacts(t)
	dsn := stores(t)["sqlite"](t)
	withOperator(t, dsn)
	s := startServer(t, dsn, lenientRisk)
	payer, owner := funded(t, s)
	_, pos := merchantFor(t, s, owner)
	_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "WEB-D1", "amount": 4200, "currency": "CNY", "description": "蓝牙耳机"}, nil)
	bill := s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})["transfer_id"].(string)
	photo := filepath.Join(t.TempDir(), "parcel.png")
	if err := os.WriteFile(photo, testImage(t, "png"), 0o644); err != nil {
		t.Fatal(err)
	}

	browser := startChromium(t, path)
	var mu sync.Mutex
	var jsErrors []string

	user := newTab(t, browser, "payer", dir, &mu, &jsErrors)
	user.login(s.url, "en", payer.phone, testPassword, "#balance-CNY")
	user.do(chromedp.Navigate(s.url+"/app/bills/"+bill), chromedp.WaitVisible(chromedp.CSS("#report-problem")))
	user.do(chromedp.Click(chromedp.CSS("#report-problem")), chromedp.WaitVisible(chromedp.CSS("#open-dispute")))
	user.expect("#bill-amount", "-CNY 42.00")
	user.do(chromedp.Click(chromedp.CSS(`input[name="reason"][value="not_received"]`)))
	user.fill("description", "Ordered a week ago, nothing arrived.")
	user.do(chromedp.SetUploadFiles(chromedp.CSS("#images"), []string{photo}))
	user.shot("dispute-new-en")
	user.do(chromedp.Submit(chromedp.CSS("#description")), chromedp.WaitVisible(chromedp.CSS("#timeline")))
	user.expect("#dispute-status", "Waiting for the merchant")
	user.expect("#timeline", "Ordered a week ago")
	user.do(chromedp.WaitVisible(chromedp.CSS("#timeline img.thumb")))
	loaded, err := chromedp.Run(user.ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector("#timeline img.thumb"); return i.complete && i.naturalWidth === 24 })()`))
	if err != nil || !loaded {
		t.Errorf("the photo did not show: %v %v", loaded, err)
	}
	user.shot("dispute-user-en")
	loc, _ := chromedp.Run(user.ctx, chromedp.Location())
	id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], s.url+"/app/disputes/")

	// The shop answers in its portal (a plain form: text only).
	shop := newBrowser(t, s.url)
	shop.login(owner.phone, testPassword)
	mid := s.must(t, 200, "GET", "/v1/me/disputes", payer.token, nil)["disputes"].([]any)[0].(map[string]any)["merchant_id"].(string)
	must200(t, shop, "/merchant/"+mid+"/disputes", "Goods or service not received")
	page := "/merchant/" + mid + "/disputes/" + id
	must200(t, shop, page, "Your first answer passes the ticket")
	if resp, body := shop.post(page, page+"/messages", url.Values{"text": {"快递已签收，见物流记录"}}); resp.StatusCode != 303 {
		t.Fatalf("answer: %d %s", resp.StatusCode, body)
	}

	// The operator decides a refund of 20.00 in the console, in Chinese.
	op := newTab(t, browser, "operator", dir, &mu, &jsErrors)
	op.login(s.url, "zh-Hans", operatorPhone, operatorPassword, `.menu a[href="/console/disputes"]`)
	op.do(chromedp.Navigate(s.url+"/console/disputes"), chromedp.WaitVisible(chromedp.CSS("#disputes")))
	op.expect("#disputes", "¥42.00")
	op.expect("#disputes", "平台客服处理中")
	op.do(chromedp.Click(chromedp.CSS("#dispute-"+id+" a")), chromedp.WaitVisible(chromedp.CSS("#decide")))
	op.expect("#timeline", "快递已签收")
	op.do(chromedp.Click(chromedp.CSS(`#decide input[value="refund"]`)))
	op.fill("amount", "20.00", "reason", "部分退款：包装破损")
	op.shot("dispute-decide-zh")
	before := s.available(t, payer, "CNY")
	op.do(chromedp.Submit(chromedp.CSS("#reason")), chromedp.WaitVisible(chromedp.CSS("#dispute-decision")))
	op.expect("#dispute-decision", "商家已退款 ¥20.00")
	op.expect("#dispute-status", "已解决")
	op.shot("dispute-decided-zh")
	if got := s.available(t, payer, "CNY"); got != before+2000 {
		t.Errorf("after the console's refund the payer has %d, want %d", got, before+2000)
	}

	user.do(chromedp.Navigate(s.url+"/app/disputes/"+id), chromedp.WaitVisible(chromedp.CSS("#dispute-decision")))
	user.expect("#dispute-status", "Resolved")
	user.expect("#dispute-decision", "The merchant refunded CNY 20.00")
	user.shot("dispute-resolved-en")

	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("JavaScript errors:\n%s", strings.Join(jsErrors, "\n"))
	}
}
