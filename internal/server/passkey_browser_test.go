package server_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/shiliantong/shiliantong/internal/server"
)

// cdpCall runs a DevTools command as a chromedp action.
func cdpCall[P, R any](c cdp.Command[P, R], p P, out *R) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		r, err := cdp.Call(ctx, t, c, p)
		if out != nil {
			*out = r
		}
		return chromedp.Void{}, err
	}
}

// TestPasskeyBrowser adds a passkey in settings with Chromium's virtual
// authenticator (DevTools' WebAuthn domain: a platform authenticator with
// resident keys whose user verification — the fingerprint — succeeds),
// pays a transfer with it instead of the PIN, and logs in with it.
//
// WebAuthn needs a secure context and an RP id that is a domain: an IP
// address is neither an RP id nor, for Chromium, enough. http://localhost
// is a secure context, so the server's public URL (the RP id and origin)
// is http://localhost:PORT, and the browser opens that, while the server
// listens on 127.0.0.1:PORT.
func TestPasskeyBrowser(t *testing.T) {
	path := chromiumPath(t)
	dir := artefacts(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	base := "http://localhost:" + port
	s := startServer(t, "sqlite:"+filepath.Join(t.TempDir(), "slt.db"), func(c *server.Config) {
		lenientRisk(c)
		c.Addr, c.PublicURL = "127.0.0.1:"+port, base
	})
	payer, payee := funded(t, s)

	browser := startChromium(t, path)
	var mu sync.Mutex
	var jsErrors []string
	b := newTab(t, browser, "王小明", dir, &mu, &jsErrors)
	var auth cdpwebauthn.AddVirtualAuthenticatorResult
	b.do(cdpCall(cdpwebauthn.Enable, cdpwebauthn.EnableParams{}, nil),
		cdpCall(cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}}, &auth))

	b.login(base, "zh-Hans", payer.phone, testPassword, "#act-paycode")

	// Settings: add fingerprint / face.
	b.do(chromedp.Navigate(base+"/app/settings"), chromedp.WaitVisible(chromedp.CSS("#passkey-add")))
	b.expect("#passkeys h2", "指纹/面容")
	b.fill("passkey-name", "我的手机")
	b.do(chromedp.Click(chromedp.CSS("#passkey-add")), chromedp.WaitVisible(chromedp.CSS(".passkey-name")))
	b.expect(".passkey-name", "我的手机")
	b.shot("passkey-settings-zh")
	var creds cdpwebauthn.GetCredentialsResult
	b.do(cdpCall(cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams(auth), &creds))
	if len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %d credentials", len(creds.Credentials))
	}

	// Pay a transfer with it: no PIN typed.
	b.do(chromedp.Navigate(base+"/app/transfer"), chromedp.WaitVisible(chromedp.CSS("#to")))
	b.fill("to", payee.phone, "amount", "12.34", "note", "指纹付款")
	b.do(chromedp.WaitVisible(chromedp.CSS("[data-passkey-pay]")))
	b.expect("[data-passkey-pay]", "使用指纹/面容支付")
	b.do(chromedp.Click(chromedp.CSS("[data-passkey-pay]")), chromedp.WaitVisible(chromedp.CSS("#receipt")))
	b.expect("#bill-amount", "-¥12.34")
	b.expect("#receipt", "李华")
	b.shot("passkey-paid-zh")
	if got := s.available(t, payee, "CNY"); got != 100_000+1_234 {
		t.Errorf("the payee has %d, want %d", got, 100_000+1_234)
	}

	// Log out, and log in with the passkey (discoverable: no number typed).
	b.do(chromedp.Navigate(base+"/app/settings"), chromedp.WaitVisible(chromedp.CSS("#logout")),
		chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#passkey-login")),
		chromedp.Click(chromedp.CSS("#passkey-login")), chromedp.WaitVisible(chromedp.CSS("#act-paycode")))

	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("JavaScript errors:\n%s", strings.Join(jsErrors, "\n"))
	}
}
