package web

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Devices, step-up and the authenticator app. Every browser gets a
// long-lived random device cookie at its first login (HttpOnly,
// SameSite=Strict, Secure over TLS); the wallet knows the browser by it.
// A login from a browser the user's account does not trust, when the
// user has a passkey or an authenticator app, goes to the step-up page:
// the step-up token waits in its own short-lived HttpOnly cookie, and
// the page takes a code of the app or a passkey. Settings → security
// lists the devices (revoke ends their sessions and payment codes), the
// login history, and sets up or turns off the authenticator app.

const (
	deviceCookie    = "slt_device"
	stepUpCookie    = "slt_step_up"
	deviceCookieAge = 400 * 24 * time.Hour // the most browsers keep a cookie
)

func (a *App) routesDevices(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(h)) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(h))) }
	mux.HandleFunc("GET /login/step-up", a.stepUpPage)
	mux.HandleFunc("POST /login/step-up", a.form(a.stepUpTOTP))
	mux.HandleFunc("POST /login/step-up/passkey/begin", a.form(a.stepUpPasskeyBegin))
	mux.HandleFunc("POST /login/step-up/passkey", a.form(a.stepUpPasskey))
	get("/app/security/devices", a.devicesPage)
	post("/app/security/devices/{id}/revoke", a.revokeLoginDevice)
	get("/app/security/logins", a.loginsPage)
	get("/app/security/totp", a.totpPage)
	post("/app/security/totp", a.totpBegin)
	post("/app/security/totp/confirm", a.totpConfirm)
	post("/app/security/totp/disable", a.totpDisable)
}

// deviceHint is what a login from this browser says of its device.
func (a *App) deviceHint(r *http.Request) wallet.DeviceHint {
	h := wallet.DeviceHint{Client: clip(r.UserAgent(), 200)}
	if c, err := r.Cookie(deviceCookie); err == nil && wallet.ValidDeviceToken(c.Value) {
		h.Token = c.Value
	}
	return h
}

func setDeviceCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: token, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(deviceCookieAge.Seconds())})
}

func setStepUpCookie(w http.ResponseWriter, r *http.Request, token string, age time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: stepUpCookie, Value: token, Path: "/login", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int(age.Seconds())})
}

func stepUpToken(r *http.Request) string {
	if c, err := r.Cookie(stepUpCookie); err == nil {
		return c.Value
	}
	return ""
}

// startStepUp keeps the device and the step-up token of a login that
// needs a step-up, and goes to the step-up page.
func (a *App) startStepUp(w http.ResponseWriter, r *http.Request, e *wallet.Error, next string) {
	if t, ok := e.Details["device_token"].(string); ok {
		setDeviceCookie(w, r, t)
	}
	t, _ := e.Details["step_up_token"].(string)
	setStepUpCookie(w, r, t, wallet.StepUpTTL)
	http.Redirect(w, r, "/login/step-up?next="+url.QueryEscape(next), http.StatusSeeOther)
}

type stepUpData struct {
	Next    string
	TOTP    bool
	Passkey bool
}

func (a *App) stepUpView(w http.ResponseWriter, r *http.Request, next string) (*view, error) {
	v := a.newView(w, r, "stepup.title")
	v.Scripts = []string{"app.js", "passkey.js"}
	methods, err := a.w.StepUpMethods(r.Context(), stepUpToken(r))
	if err != nil {
		return v, err
	}
	d := stepUpData{Next: next}
	for _, m := range methods {
		d.TOTP = d.TOTP || m == "totp"
		d.Passkey = d.Passkey || m == "passkey"
	}
	v.D = d
	return v, nil
}

// stepUpPage asks for the second factor; without a live step-up it goes
// back to the login page.
func (a *App) stepUpPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.stepUpView(w, r, safeNext(r.URL.Query().Get("next")))
	if err != nil {
		a.stepUpLost(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "stepup", v)
}

// stepUpLost answers a step-up that is gone (expired, used): log in again.
func (a *App) stepUpLost(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := wallet.AsError(err); !ok {
		a.fail(w, r, err)
		return
	}
	setStepUpCookie(w, r, "", -time.Second)
	v := a.newView(w, r, "login.title")
	v.Scripts = []string{"app.js", "passkey.js"}
	v.D = "/app"
	v.Error = a.errText(v.L, err)
	a.render(w, r, http.StatusUnauthorized, "login", v)
}

func (a *App) stepUpTOTP(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	a.loginIP.Add(clientIP(r))
	res, err := a.w.StepUp(r.Context(), wallet.StepUpRequest{Token: stepUpToken(r), TOTP: r.PostFormValue("code")})
	if err != nil {
		if e, ok := wallet.AsError(err); ok && e.Code == wallet.CodeStepUpInvalid {
			a.stepUpLost(w, r, err)
			return
		}
		v, verr := a.stepUpView(w, r, next)
		if verr != nil {
			a.stepUpLost(w, r, verr)
			return
		}
		a.formError(w, r, "stepup", v, err)
		return
	}
	setStepUpCookie(w, r, "", -time.Second)
	http.Redirect(w, r, a.loggedIn(w, r, res, next, false), http.StatusSeeOther)
}

func (a *App) stepUpPasskeyBegin(w http.ResponseWriter, r *http.Request) {
	o, err := a.w.BeginStepUpPasskey(r.Context(), stepUpToken(r))
	a.passkeyJSON(w, r, o.Options, err)
}

func (a *App) stepUpPasskey(w http.ResponseWriter, r *http.Request) {
	a.loginIP.Add(clientIP(r))
	res, err := a.w.StepUp(r.Context(), wallet.StepUpRequest{Token: stepUpToken(r), Passkey: []byte(r.PostFormValue("credential"))})
	if err != nil {
		a.passkeyJSON(w, r, nil, err)
		return
	}
	setStepUpCookie(w, r, "", -time.Second)
	a.passkeyJSON(w, r, map[string]string{"next": a.loggedIn(w, r, res, safeNext(r.PostFormValue("next")), false)}, nil)
}

type devicesData struct {
	Devices []wallet.Device
	Current string
}

func (a *App) devicesPage(w http.ResponseWriter, r *http.Request) {
	ds, err := a.w.Devices(r.Context(), userOf(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "devices.title")
	v.Nav = "me"
	if r.URL.Query().Get("done") == "1" {
		v.Notice = v.T("devices.revoked")
	}
	v.D = devicesData{Devices: ds, Current: sessionOf(r).DeviceID}
	a.render(w, r, http.StatusOK, "devices", v)
}

func (a *App) revokeLoginDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.w.RevokeDevice(r.Context(), userOf(r), id); err != nil {
		a.fail(w, r, err)
		return
	}
	if id == sessionOf(r).DeviceID { // this browser: its session ended with it
		clearSessionCookie(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/security/devices?done=1", http.StatusSeeOther)
}

type loginsData struct {
	Logins  []wallet.LoginEvent
	Devices map[string]string // id → name
}

func (a *App) loginsPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	es, err := a.w.LoginHistory(r.Context(), u.ID, 100)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ds, err := a.w.Devices(r.Context(), u)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	names := map[string]string{}
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	v := a.newView(w, r, "logins.title")
	v.Nav = "me"
	v.D = loginsData{Logins: es, Devices: names}
	a.render(w, r, http.StatusOK, "logins", v)
}

type totpData struct {
	State  wallet.TOTPState
	Secret string
	URI    string
	QR     template.URL
}

func (a *App) totpView(w http.ResponseWriter, r *http.Request) (*view, error) {
	st, err := a.w.TOTPStatus(r.Context(), userOf(r))
	v := a.newView(w, r, "totp.title")
	v.Nav = "me"
	v.D = totpData{State: st}
	return v, err
}

func (a *App) totpPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.totpView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "on":
		v.Notice = v.T("totp.on_done")
	case "off":
		v.Notice = v.T("totp.off_done")
	}
	a.render(w, r, http.StatusOK, "totp", v)
}

// totpBegin makes a secret and shows it (as text and as a QR code that is
// drawn for this page only, never cached) with the form for the first
// code.
func (a *App) totpBegin(w http.ResponseWriter, r *http.Request) {
	v, err := a.totpView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	e, err := a.w.BeginTOTP(r.Context(), userOf(r))
	if err != nil {
		a.formError(w, r, "totp", v, err)
		return
	}
	a.showTOTPSecret(w, r, v, e)
}

func (a *App) showTOTPSecret(w http.ResponseWriter, r *http.Request, v *view, e wallet.TOTPEnrolment) {
	svg, err := receivecode.SVG(e.URI)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(totpData)
	d.Secret, d.URI, d.QR = e.Secret, e.URI, svgDataURL(svg)
	v.D = d
	w.Header().Set("Cache-Control", "no-store")
	a.render(w, r, http.StatusOK, "totp", v)
}

func (a *App) totpConfirm(w http.ResponseWriter, r *http.Request) {
	if err := a.w.ConfirmTOTP(r.Context(), userOf(r), r.PostFormValue("code")); err != nil {
		v, verr := a.totpView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "totp", v, err)
		return
	}
	http.Redirect(w, r, "/app/security/totp?done=on", http.StatusSeeOther)
}

func (a *App) totpDisable(w http.ResponseWriter, r *http.Request) {
	if err := a.w.DisableTOTP(r.Context(), userOf(r), r.PostFormValue("pin"), r.PostFormValue("code")); err != nil {
		v, verr := a.totpView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "totp", v, err)
		return
	}
	http.Redirect(w, r, "/app/security/totp?done=off", http.StatusSeeOther)
}
