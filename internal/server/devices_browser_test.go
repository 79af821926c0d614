package server_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/shiliantong/shiliantong/internal/server"
)

// TestTOTPBrowser sets up the authenticator app in Chromium (the QR code
// and the key on the page, the first code confirming it), then logs in
// from another browser (its own cookies: a new device), which lands on
// the step-up page and gets in with a code; the first browser then sees
// the second among its devices and in its login history.
func TestTOTPBrowser(t *testing.T) {
	path := chromiumPath(t)
	dir := artefacts(t)
	clock := &testClock{}
	s := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "slt.db"), func(c *server.Config) {
		lenientRisk(c)
		c.Wallet.Now = clock.Now
	})
	p := s.newPerson(t, "+8613800138031", "王小明")

	browser := startChromium(t, path)
	var mu sync.Mutex
	var jsErrors []string

	home := newTab(t, browser, "phone", dir, &mu, &jsErrors)
	home.login(s.url, "zh-Hans", p.phone, testPassword, "#act-paycode")
	home.do(chromedp.Navigate(s.url+"/app/security"), chromedp.WaitVisible(chromedp.CSS("#link-totp")),
		chromedp.Click(chromedp.CSS("#link-totp")), chromedp.WaitVisible(chromedp.CSS("#totp-begin")))
	home.expect("#totp h2", "身份验证器")
	home.do(chromedp.Click(chromedp.CSS("#totp-begin")), chromedp.WaitVisible(chromedp.CSS("#totp-qr")))
	home.shot("totp-setup-zh")
	secret := home.text("#totp-secret")
	app := newAuthenticator(t, "otpauth://totp/x?secret="+secret+"&issuer=ShiLianTong&algorithm=SHA1&digits=6&period=30", clock)
	home.fill("totp-code", app.next(t))
	home.do(chromedp.Submit(chromedp.CSS("#totp-code")), chromedp.WaitVisible(chromedp.CSS("#totp-on")))
	home.expect("#notice", "身份验证器已开启")

	// Another browser: the password is not enough.
	other := newTab(t, browser, "laptop", dir, &mu, &jsErrors)
	other.login(s.url, "zh-Hans", p.phone, testPassword, "#step-up-submit")
	other.expect("#step-up h2", "新设备登录")
	other.shot("step-up-zh")
	other.fill("code", app.next(t))
	other.do(chromedp.Submit(chromedp.CSS("#code")), chromedp.WaitVisible(chromedp.CSS("#act-paycode")))

	// The first browser sees it, and the login history tells of it.
	home.do(chromedp.Navigate(s.url+"/app/security/devices"), chromedp.WaitVisible(chromedp.CSS("#devices-list")))
	if n, _ := chromedp.Run(home.ctx, chromedp.Evaluate[int](`document.querySelectorAll('li.device').length`)); n != 3 {
		t.Errorf("%d devices listed, want 3 (the API's, this browser, the other)", n)
	}
	home.do(chromedp.Navigate(s.url+"/app/security/logins"), chromedp.WaitVisible(chromedp.CSS("#logins")))
	home.expect("#logins", "身份已确认，登录成功")
	home.shot("logins-zh")

	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("JavaScript errors:\n%s", strings.Join(jsErrors, "\n"))
	}
}
