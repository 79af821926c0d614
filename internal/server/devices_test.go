package server_test

import (
	"crypto"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// testClock is the wallet's clock in these tests: real time moved on by
// the test, so that each authenticator code can be of a new time step
// without waiting 30 seconds.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// move sets the clock d ahead of real time.
func (c *testClock) move(d time.Duration) { c.off.Store(int64(d)) }

// nextStep moves the clock to the middle of the next 30-second step.
func (c *testClock) nextStep() {
	now := c.Now()
	target := time.Unix((now.Unix()/30+1)*30+15, 0)
	c.off.Add(int64(target.Sub(now)))
}

// authenticator is the user's authenticator app: RFC 6238 with SHA-1, 6
// digits and 30-second steps, computed here from the secret of the
// otpauth:// URI.
type authenticator struct {
	secret []byte
	clock  *testClock
}

func newAuthenticator(t *testing.T, uri string, clock *testClock) *authenticator {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("not an otpauth://totp URI: %q", uri)
	}
	q := u.Query()
	if q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("issuer") != "ShiLianTong" {
		t.Errorf("URI parameters: %v", q)
	}
	secret, err := paycode.DecodeSecret(q.Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return &authenticator{secret: secret, clock: clock}
}

// code is the code of the current step of the wallet's clock.
func (a *authenticator) code(t *testing.T) string {
	t.Helper()
	c, err := paycode.TOTP(a.secret, a.clock.Now(), 30*time.Second, 6, crypto.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// next moves to a new step and returns its code.
func (a *authenticator) next(t *testing.T) string {
	a.clock.nextStep()
	return a.code(t)
}

func wrongCode(c string) string {
	return string('0'+(c[0]-'0'+1)%10) + c[1:]
}

// loginAs logs in with the password from a device (token "" for a new
// one) and returns the status and answer.
func (s *testServer) loginAs(t *testing.T, p person, device string) (int, map[string]any) {
	t.Helper()
	body := map[string]any{"phone": p.phone, "password": testPassword}
	if device != "" {
		body["device_token"] = device
	}
	return s.call(t, "POST", "/v1/sessions", "", body, "User-Agent", "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36")
}

func codeOf(out map[string]any) string { c, _ := out["code"].(string); return c }

func startClocked(t *testing.T, dsn string) (*testServer, *testClock) {
	clock := &testClock{}
	s := startServer(t, dsn, func(c *server.Config) {
		lenientRisk(c)
		c.Wallet.Now = clock.Now
	})
	return s, clock
}

// A login from a new device, by a user with an authenticator app or a
// passkey, needs a step-up; the code is single use and guessing it is
// throttled; after the step-up the device is known; a replayed passkey
// assertion is refused; every attempt is in the login history.
func TestDeviceStepUpWithTOTPAndPasskey(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s, clock := startClocked(t, dsn(t))
			a, b := funded(t, s)

			// Without a second factor a new device logs in at once, and
			// names itself after its User-Agent.
			st, l := s.loginAs(t, a, "")
			if st != 201 {
				t.Fatalf("login: %d %v", st, l["_raw"])
			}
			home := l["device_token"].(string)
			if dev := l["device"].(map[string]any); dev["name"] != "Chrome on Android" || dev["trusted"] != true || dev["current"] != true {
				t.Errorf("device %v", dev)
			}
			tok := l["token"].(string)

			// Set up the authenticator app; a wrong first code does not turn it on.
			e := s.must(t, 200, "POST", "/v1/me/totp", tok, nil)
			if !strings.HasPrefix(e["uri"].(string), "otpauth://totp/ShiLianTong:%2B8613800138001?") {
				t.Errorf("uri %v", e["uri"])
			}
			app := newAuthenticator(t, e["uri"].(string), clock)
			if st, o := s.call(t, "POST", "/v1/me/totp/confirm", tok, map[string]any{"code": wrongCode(app.next(t))}); st != 401 || codeOf(o) != wallet.CodeTOTPInvalid {
				t.Fatalf("a wrong first code: %d %v", st, o["_raw"])
			}
			if st, o := s.call(t, "POST", "/v1/me/totp/confirm", tok, map[string]any{"code": "12ab56"}); st != 422 || codeOf(o) != wallet.CodeTOTPInvalid {
				t.Errorf("a malformed code: %d %v", st, o["_raw"])
			}
			s.must(t, 204, "POST", "/v1/me/totp/confirm", tok, map[string]any{"code": app.code(t)})
			if st, o := s.call(t, "POST", "/v1/me/totp", tok, nil); st != 409 || codeOf(o) != wallet.CodeTOTPEnabled {
				t.Errorf("a second app: %d %v", st, o["_raw"])
			}

			// The known device: no step-up.
			if st, o := s.loginAs(t, a, home); st != 201 {
				t.Fatalf("login from the known device: %d %v", st, o["_raw"])
			}
			// A wrong password is not a step-up.
			if st, o := s.call(t, "POST", "/v1/sessions", "", map[string]any{"phone": a.phone, "password": "wrong-Pass-1"}); st != 401 || codeOf(o) != wallet.CodeInvalidCredentials {
				t.Errorf("wrong password: %d %v", st, o["_raw"])
			}

			// A new device: step_up_required, with a token and the device.
			st, su := s.loginAs(t, a, "")
			if st != 401 || codeOf(su) != wallet.CodeStepUpRequired || su["step_up_token"] == nil || su["device_token"] == nil {
				t.Fatalf("new device: %d %v", st, su["_raw"])
			}
			if m := su["methods"].([]any); len(m) != 1 || m[0] != "totp" {
				t.Errorf("methods %v", m)
			}
			phoneDev := su["device_token"].(string)
			stepUp := func(token string, body map[string]any) (int, map[string]any) {
				body["step_up_token"] = token
				return s.call(t, "POST", "/v1/login/step-up", "", body)
			}
			if st, o := stepUp(su["step_up_token"].(string), map[string]any{}); st != 422 || codeOf(o) != wallet.CodeStepUpMethod {
				t.Errorf("step-up without a factor: %d %v", st, o["_raw"])
			}
			if st, o := stepUp("stu_made-up", map[string]any{"totp": app.code(t)}); st != 401 || codeOf(o) != wallet.CodeStepUpInvalid {
				t.Errorf("made-up step-up token: %d %v", st, o["_raw"])
			}
			code := app.next(t)
			if st, o := stepUp(su["step_up_token"].(string), map[string]any{"totp": wrongCode(code)}); st != 401 || codeOf(o) != wallet.CodeTOTPInvalid {
				t.Errorf("wrong code: %d %v", st, o["_raw"])
			}
			ok := s.must(t, 201, "POST", "/v1/login/step-up", "", map[string]any{"step_up_token": su["step_up_token"], "totp": code})
			if me := s.must(t, 200, "GET", "/v1/me", ok["token"].(string), nil); me["id"] != a.id {
				t.Fatalf("step-up session is %v", me["id"])
			}
			// The step-up token is used; the device is known now.
			if st, o := stepUp(su["step_up_token"].(string), map[string]any{"totp": app.next(t)}); st != 401 || codeOf(o) != wallet.CodeStepUpInvalid {
				t.Errorf("step-up token used twice: %d %v", st, o["_raw"])
			}
			if st, o := s.loginAs(t, a, phoneDev); st != 201 {
				t.Errorf("login from the stepped-up device: %d %v", st, o["_raw"])
			}

			// A code is single use: the same code on another new device is refused.
			code = app.next(t)
			_, su1 := s.loginAs(t, a, "")
			s.must(t, 201, "POST", "/v1/login/step-up", "", map[string]any{"step_up_token": su1["step_up_token"], "totp": code})
			_, su2 := s.loginAs(t, a, "")
			if st, o := stepUp(su2["step_up_token"].(string), map[string]any{"totp": code}); st != 401 || codeOf(o) != wallet.CodeTOTPUsed {
				t.Errorf("a code used again: %d %v", st, o["_raw"])
			}

			// With a passkey too, it may answer the step-up instead.
			key := newSoftKey(t, testRPID, testOrigin)
			s.must(t, 201, "POST", "/v1/me/passkeys/register/finish", tok, map[string]any{"credential": key.create(t, s.must(t, 200, "POST", "/v1/me/passkeys/register/begin", tok, nil), testOrigin)})
			_, su3 := s.loginAs(t, a, "")
			if m := su3["methods"].([]any); len(m) != 2 {
				t.Errorf("methods with a passkey: %v", m)
			}
			opts := s.must(t, 200, "POST", "/v1/login/step-up/passkey", "", map[string]any{"step_up_token": su3["step_up_token"]})
			assertion := key.get(t, challengeOf(t, opts), testOrigin, 1)
			pl := s.must(t, 201, "POST", "/v1/login/step-up", "", map[string]any{"step_up_token": su3["step_up_token"], "passkey": assertion})
			if pl["device"].(map[string]any)["trusted"] != true {
				t.Errorf("device after a passkey step-up: %v", pl["device"])
			}
			// The same assertion for another step-up: replayed.
			_, su4 := s.loginAs(t, a, "")
			if st, o := stepUp(su4["step_up_token"].(string), map[string]any{"passkey": assertion}); st != 401 || codeOf(o) != wallet.CodePasskeyReplayed {
				t.Errorf("replayed assertion: %d %v", st, o["_raw"])
			}
			// A step-up's challenge answers that step-up only.
			opts = s.must(t, 200, "POST", "/v1/login/step-up/passkey", "", map[string]any{"step_up_token": su4["step_up_token"]})
			_, su5 := s.loginAs(t, a, "")
			if st, o := stepUp(su5["step_up_token"].(string), map[string]any{"passkey": key.get(t, challengeOf(t, opts), testOrigin, 2)}); st != 401 || codeOf(o) != wallet.CodePasskeyChallenge {
				t.Errorf("another step-up's challenge: %d %v", st, o["_raw"])
			}

			// The new device was told of in a notification.
			found := false
			for _, n := range s.must(t, 200, "GET", "/v1/me/notifications", tok, nil)["notifications"].([]any) {
				if n.(map[string]any)["kind"] == "new_device" {
					found = true
				}
			}
			if !found {
				t.Error("no notification of the new device")
			}

			// The login history has every kind of attempt, with where from.
			outcomes := map[string]int{}
			for _, x := range s.must(t, 200, "GET", "/v1/me/logins", tok, nil)["logins"].([]any) {
				m := x.(map[string]any)
				outcomes[m["outcome"].(string)]++
				if m["ip"] != "127.0.0.1" || m["client"] == "" {
					t.Errorf("login event without its address or client: %v", m)
				}
			}
			for _, o := range []string{"success", "wrong_password", "step_up_required", "step_up_passed", "step_up_failed"} {
				if outcomes[o] == 0 {
					t.Errorf("no %s in the login history: %v", o, outcomes)
				}
			}

			// A risky payment (a new account's large transfer) may be
			// confirmed with a code instead of the PIN; an ordinary one not.
			transfer := func(amount int64, code, key string) (int, map[string]any) {
				return s.call(t, "POST", "/v1/transfers", tok, map[string]any{"to": b.phone, "amount": amount, "currency": "CNY", "totp": code}, "Idempotency-Key", key)
			}
			if st, o := transfer(1_000, app.next(t), "t-1"); st != 422 || codeOf(o) != wallet.CodeTOTPNotNeeded {
				t.Errorf("an ordinary payment with a code: %d %v", st, o["_raw"])
			}
			if st, o := transfer(60_000, wrongCode(app.next(t)), "t-2"); st != 401 || codeOf(o) != wallet.CodeTOTPInvalid {
				t.Errorf("a risky payment with a wrong code: %d %v", st, o["_raw"])
			}
			if st, o := transfer(60_000, app.code(t), "t-3"); st != 201 || o["status"] != "completed" {
				t.Fatalf("a risky payment with a code: %d %v", st, o["_raw"])
			}
			if got := s.available(t, b, "CNY"); got != 100_000+60_000 {
				t.Errorf("payee has %d", got)
			}

			// Turning it off needs the PIN or a code.
			if st, o := s.call(t, "DELETE", "/v1/me/totp", tok, map[string]any{}); st != 401 || codeOf(o) != wallet.CodePINRequired {
				t.Errorf("off without a PIN: %d %v", st, o["_raw"])
			}
			s.must(t, 204, "DELETE", "/v1/me/totp", tok, map[string]any{"pin": "285714"})

			// Guessing codes is throttled: after five wrong ones even the
			// right code waits (user b, whose app is set up now).
			btok := b.token
			be := s.must(t, 200, "POST", "/v1/me/totp", btok, nil)
			bapp := newAuthenticator(t, be["uri"].(string), clock)
			s.must(t, 204, "POST", "/v1/me/totp/confirm", btok, map[string]any{"code": bapp.next(t)})
			_, bsu := s.loginAs(t, b, "")
			right := bapp.next(t)
			for i := range wallet.TOTPFailuresAllowed {
				if st, o := stepUp(bsu["step_up_token"].(string), map[string]any{"totp": wrongCode(right)}); st != 401 || codeOf(o) != wallet.CodeTOTPInvalid {
					t.Fatalf("guess %d: %d %v", i, st, o["_raw"])
				}
			}
			if st, o := stepUp(bsu["step_up_token"].(string), map[string]any{"totp": right}); st != 423 || codeOf(o) != wallet.CodeTooManyTOTP {
				t.Errorf("the right code after five guesses: %d %v", st, o["_raw"])
			}
			checkLedger(t, s.dsn)
		})
	}
}

// Revoking a device ends its sessions at once (also one the server has
// cached) and revokes the payment codes enrolled from it; its token is
// a new device afterwards.
func TestDeviceRevokeEndsSessionsAndPaymentCodes(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), lenientRisk)
			payer, owner := funded(t, s)
			_, pos := merchantFor(t, s, owner)
			s.must(t, 204, "PUT", "/v1/me/password-free", payer.token, map[string]any{"password": testPassword, "per_transaction": 2000, "daily": 5000})

			// The phone: its own session and payment code.
			_, l := s.loginAs(t, payer, "")
			phoneTok, phoneDev, phoneID := l["token"].(string), l["device_token"].(string), l["device"].(map[string]any)["id"].(string)
			dev := enroll(t, s, person{id: payer.id, phone: payer.phone, token: phoneTok})
			// Another enrolment, from the first session's device, stays.
			other := enroll(t, s, payer)
			awayFromStepEdge()
			pay := func(no string, p phone) (int, map[string]any) {
				return pos.do(t, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": p.code(t, time.Now()), "out_trade_no": no, "amount": 500, "currency": "CNY"}, nil)
			}
			if st, o := pay("D-1", dev); st != 200 || o["status"] != "SUCCESS" {
				t.Fatalf("micropay before: %d %v", st, o["_raw"])
			}

			ds := s.must(t, 200, "GET", "/v1/me/devices", payer.token, nil)["devices"].([]any)
			if len(ds) != 2 {
				t.Fatalf("devices: %v", ds)
			}
			s.must(t, 200, "GET", "/v1/me", phoneTok, nil) // the session is cached now
			if st, _ := s.call(t, "DELETE", "/v1/me/devices/"+phoneID, "slt_made-up", nil); st != 401 {
				t.Errorf("revoke without a session: %d", st)
			}
			if st, o := s.call(t, "DELETE", "/v1/me/devices/01900000-0000-7000-8000-000000000000", payer.token, nil); st != 404 || codeOf(o) != wallet.CodeDeviceNotFound {
				t.Errorf("revoke an unknown device: %d %v", st, o["_raw"])
			}
			s.must(t, 204, "DELETE", "/v1/me/devices/"+phoneID, payer.token, nil)
			if st, o := s.call(t, "GET", "/v1/me", phoneTok, nil); st != 401 || codeOf(o) != wallet.CodeSessionInvalid {
				t.Errorf("the revoked device's session: %d %v", st, o["_raw"])
			}
			awayFromStepEdge()
			if st, o := pay("D-2", dev); st == 200 || codeOf(o) != wallet.CodePaycodeInvalid {
				t.Errorf("micropay with the revoked device's code: %d %v", st, o["_raw"])
			}
			if st, o := pay("D-3", other); st != 200 || o["status"] != "SUCCESS" {
				t.Errorf("micropay with another device's code: %d %v", st, o["_raw"])
			}
			if st, _ := s.call(t, "DELETE", "/v1/me/devices/"+phoneID, payer.token, nil); st != 404 {
				t.Errorf("revoked twice: %d", st)
			}
			// Its token again: a new device.
			_, again := s.loginAs(t, payer, phoneDev)
			if d := again["device"].(map[string]any); d["id"] == phoneID || again["device_token"] == phoneDev {
				t.Errorf("the revoked device came back: %v", d)
			}
			if ds := s.must(t, 200, "GET", "/v1/me/devices", payer.token, nil)["devices"].([]any); len(ds) != 2 {
				t.Errorf("devices after revoking: %v", ds)
			}
			seen := false
			for _, e := range s.must(t, 200, "GET", "/v1/operator/audit", "test-operator-token", nil)["entries"].([]any) {
				if e.(map[string]any)["action"] == "device_revoked" {
					seen = true
				}
			}
			if !seen {
				t.Error("no device_revoked in the audit trail")
			}
			checkLedger(t, s.dsn)
		})
	}
}

// Login throttling is in the login history too.
func TestLoginHistoryThrottled(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), nil)
	p := s.newPerson(t, "+8613800138021", "王小明")
	for i := range 6 {
		s.call(t, "POST", "/v1/sessions", "", map[string]any{"phone": p.phone, "password": "wrong-Pass-" + itoa(uint64(i))})
	}
	outcomes := map[string]int{}
	for _, x := range s.must(t, 200, "GET", "/v1/me/logins", p.token, nil)["logins"].([]any) {
		outcomes[x.(map[string]any)["outcome"].(string)]++
	}
	if outcomes["wrong_password"] != 5 || outcomes["throttled"] != 1 || outcomes["success"] != 1 {
		t.Errorf("login history: %v", outcomes)
	}
}

// Session fixation: a session cookie (and a CSRF seed) planted before
// the web login are not the ones after it; a web login gives the browser
// its device cookie.
func TestWebLoginSessionFixation(t *testing.T) {
	s := startServer(t, stores(t)["sqlite"](t), nil)
	p := s.newPerson(t, "+8613800138022", "王小明")
	b := newBrowser(t, s.url)
	base, _ := url.Parse(s.url)
	const planted = "slt_plantedplantedplantedplantedplantedplanted"
	b.c.Jar.SetCookies(base, []*http.Cookie{{Name: "slt_session", Value: planted, Path: "/"}})
	b.get("/login")
	var csrfBefore string
	for _, c := range b.c.Jar.Cookies(base) {
		if c.Name == "slt_csrf" {
			csrfBefore = c.Value
		}
	}
	resp, _ := b.post("/login", "/login", url.Values{"phone": {p.phone}, "password": {testPassword}})
	if resp.StatusCode != 303 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	got := map[string]string{}
	for _, c := range b.c.Jar.Cookies(base) {
		got[c.Name] = c.Value
	}
	if got["slt_session"] == "" || got["slt_session"] == planted {
		t.Errorf("the session after login is the planted one: %q", got["slt_session"])
	}
	if got["slt_csrf"] == csrfBefore {
		t.Error("the CSRF seed was not renewed at login")
	}
	if !wallet.ValidDeviceToken(got["slt_device"]) {
		t.Errorf("no device cookie: %q", got["slt_device"])
	}
	for _, c := range resp.Cookies() {
		if c.Name == "slt_device" && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge < 300*24*3600) {
			t.Errorf("device cookie %+v", c)
		}
	}
	if st, _ := s.call(t, "GET", "/v1/me", planted, nil); st != 401 {
		t.Errorf("the planted session works: %d", st)
	}
	if r, _ := b.get("/app"); r.StatusCode != 200 {
		t.Errorf("/app after login: %d", r.StatusCode)
	}
}

var totpSecretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// The web app: set up the authenticator app (QR and key), log in from a
// new browser through the step-up page, revoke that browser from the
// first one (it is logged out), and read the login history; the operator
// sees it on the console's user page.
func TestWebDevicesAndStepUp(t *testing.T) {
	dsn := stores(t)["sqlite"](t)
	withOperator(t, dsn)
	s, clock := startClocked(t, dsn)
	p := s.newPerson(t, "+8613800138023", "王小明")

	home := newBrowser(t, s.url)
	home.login(p.phone, testPassword)
	must200(t, home, "/app/security", `href="/app/security/devices"`, `href="/app/security/logins"`, `href="/app/security/totp"`)
	must200(t, home, "/app/security/totp", `id="totp-begin"`)
	resp, body := home.post("/app/security/totp", "/app/security/totp", url.Values{})
	m := totpSecretRE.FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || !strings.Contains(body, `id="totp-qr" src="data:image/svg`) {
		t.Fatalf("set-up page: %d %s", resp.StatusCode, body)
	}
	app := newAuthenticator(t, "otpauth://totp/x?secret="+m[1]+"&issuer=ShiLianTong&algorithm=SHA1&digits=6&period=30", clock)
	if resp, body := home.post("/app/security/totp", "/app/security/totp/confirm", url.Values{"code": {wrongCode(app.next(t))}}); resp.StatusCode != 401 || !strings.Contains(body, "The code is wrong") {
		t.Errorf("a wrong first code: %d", resp.StatusCode)
	}
	if resp, _ := home.post("/app/security/totp", "/app/security/totp/confirm", url.Values{"code": {app.code(t)}}); resp.StatusCode != 303 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	must200(t, home, "/app/security/totp?done=on", `id="totp-on"`, `id="totp-disable"`)

	// A new browser: the password leads to the step-up page.
	other := newBrowser(t, s.url)
	if to := other.login(p.phone, testPassword); !strings.HasPrefix(to, "/login/step-up") {
		t.Fatalf("login from a new browser went to %s", to)
	}
	if r, _ := other.get("/app"); r.StatusCode != 303 {
		t.Errorf("logged in before the step-up: %d", r.StatusCode)
	}
	must200(t, other, "/login/step-up?next=%2Fapp", `id="step-up-submit"`)
	if resp, body := other.post("/login/step-up?next=%2Fapp", "/login/step-up", url.Values{"code": {wrongCode(app.next(t))}, "next": {"/app"}}); resp.StatusCode != 401 || !strings.Contains(body, `id="step-up-submit"`) {
		t.Errorf("a wrong code: %d", resp.StatusCode)
	}
	resp, _ = other.post("/login/step-up?next=%2Fapp", "/login/step-up", url.Values{"code": {app.code(t)}, "next": {"/app"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/app" {
		t.Fatalf("step-up: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	must200(t, other, "/app")
	// Known now: the next login needs no step-up.
	other.post("/app/settings", "/logout", url.Values{})
	if to := other.login(p.phone, testPassword); to != "/app" {
		t.Errorf("the second login from that browser went to %s", to)
	}

	// Revoke it from the first browser: it is logged out at once.
	ds := s.must(t, 200, "GET", "/v1/me/devices", p.token, nil)["devices"].([]any)
	if len(ds) != 3 {
		t.Fatalf("devices %v", ds)
	}
	id := ds[0].(map[string]any)["id"].(string) // the last seen: the other browser
	must200(t, home, "/app/security/devices", "/app/security/devices/"+id+"/revoke")
	if resp, _ := home.post("/app/security/devices", "/app/security/devices/"+id+"/revoke", url.Values{}); resp.StatusCode != 303 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if r, _ := other.get("/app"); r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("the revoked browser: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	must200(t, home, "/app/security/logins", "login-step_up_passed", "login-step_up_required", "login-step_up_failed", "Confirmed and logged in")

	op := newBrowser(t, s.url)
	op.login(operatorPhone, operatorPassword)
	must200(t, op, "/console/users/"+p.id, `id="user-logins"`, "login-step_up_passed", `id="user-devices"`)
}
