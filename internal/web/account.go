package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Signing up, logging in and out, and the language.

func (a *App) routesAccount(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.form(a.login))
	mux.HandleFunc("GET /signup", a.signupPage)
	mux.HandleFunc("POST /signup", a.form(a.signup))
	mux.HandleFunc("POST /logout", a.form(a.authed(a.logout)))
	mux.HandleFunc("POST /lang", a.form(a.setLang))
}

func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.session(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := a.newView(w, r, "login.title")
	v.Scripts = []string{"app.js", "passkey.js"}
	v.D = safeNext(r.URL.Query().Get("next"))
	a.render(w, r, http.StatusOK, "login", v)
}

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "login.title")
	next := safeNext(r.PostFormValue("next"))
	v.D = next
	ip := clientIP(r)
	phone, perr := wallet.NormalizePhone(r.PostFormValue("phone"))
	account := "phone:" + phone
	if perr != nil {
		account = "phone:" + strings.TrimSpace(r.PostFormValue("phone"))
	}
	if ok, wait := a.loginIP.Allowed(ip); !ok {
		a.tooMany(w, r, v, wait)
		return
	}
	if ok, wait := a.loginAccount.Allowed(account); !ok {
		a.tooMany(w, r, v, wait)
		return
	}
	a.loginIP.Add(ip)
	res, err := a.w.Login(r.Context(), wallet.LoginRequest{Phone: r.PostFormValue("phone"), Password: r.PostFormValue("password"), Device: a.deviceHint(r)})
	if err != nil {
		e, ok := wallet.AsError(err)
		if ok && e.Code == wallet.CodeInvalidCredentials {
			a.loginAccount.Add(account)
		}
		if ok && e.Code == wallet.CodeStepUpRequired {
			a.loginAccount.Reset(account)
			a.startStepUp(w, r, e, next)
			return
		}
		a.formError(w, r, "login", v, err)
		return
	}
	a.loginAccount.Reset(account)
	http.Redirect(w, r, a.loggedIn(w, r, res, next, r.PostFormValue("next") == ""), http.StatusSeeOther)
}

// loggedIn sets the cookies of a new session: the session, the device,
// a fresh CSRF seed (nothing planted before the login outlives it) and
// the user's language; it returns where to go next (operators land on
// the console).
func (a *App) loggedIn(w http.ResponseWriter, r *http.Request, res wallet.LoginResult, next string, noNext bool) string {
	if res.DeviceToken != "" {
		setDeviceCookie(w, r, res.DeviceToken)
	}
	setSessionCookie(w, r, res.Token)
	a.csrf.rotate(w, r)
	a.useUserLang(w, r, res.Token)
	if noNext || next == "/app" {
		if u, _, err := a.w.Authenticate(r.Context(), res.Token); err == nil && u.Role == wallet.RoleOperator {
			next = "/console"
		}
	}
	return next
}

func (a *App) tooMany(w http.ResponseWriter, r *http.Request, v *view, wait time.Duration) {
	mins := int((wait + time.Minute - 1) / time.Minute)
	w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	v.Error = v.T("err.too_many_logins", max(mins, 1))
	a.render(w, r, http.StatusTooManyRequests, "login", v)
}

func (a *App) signupPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "signup", a.newView(w, r, "signup.title"))
}

func (a *App) signup(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "signup.title")
	ip := clientIP(r)
	if ok, _ := a.signupIP.Allowed(ip); !ok {
		v.Error = v.T("err.too_many_signups")
		a.render(w, r, http.StatusTooManyRequests, "signup", v)
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		a.invalid(w, r, "signup", v, "err.passwords_differ")
		return
	}
	_, err := a.w.Register(r.Context(), wallet.Registration{Phone: r.PostFormValue("phone"), Password: r.PostFormValue("password"), Name: r.PostFormValue("name")})
	if err != nil {
		a.formError(w, r, "signup", v, err)
		return
	}
	a.signupIP.Add(ip)
	res, err := a.w.Login(r.Context(), wallet.LoginRequest{Phone: r.PostFormValue("phone"), Password: r.PostFormValue("password"), Device: a.deviceHint(r)})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	token := res.Token
	a.loggedIn(w, r, res, "/app", false)
	// The language chosen on the sign-up page is the new user's.
	if u, _, err := a.w.Authenticate(r.Context(), token); err == nil {
		_ = a.w.SetLanguage(r.Context(), u, requestLang(r).String())
	}
	http.Redirect(w, r, "/app/settings/pin?new=1", http.StatusSeeOther)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.w.RevokeSession(r.Context(), userOf(r).ID, sessionOf(r).ID); err != nil {
		if _, ok := wallet.AsError(err); !ok {
			a.fail(w, r, err)
			return
		}
	}
	clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setLang keeps the language in a cookie and, for a logged-in user, in
// the wallet (so that their other devices take it when they log in), and
// returns to the page the switch was on.
func (a *App) setLang(w http.ResponseWriter, r *http.Request) {
	t, ok := matchLang(r.PostFormValue("lang"))
	if !ok {
		a.renderError(w, r, http.StatusUnprocessableEntity, "err.bad_form")
		return
	}
	if u, _, ok := a.session(r); ok && u.Language != t.String() {
		if err := a.w.SetLanguage(r.Context(), u, t.String()); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	setLangCookie(w, r, t)
	http.Redirect(w, r, safeNext(r.PostFormValue("back")), http.StatusSeeOther)
}

func setLangCookie(w http.ResponseWriter, r *http.Request, t language.Tag) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: t.String(), Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(langCookieAge.Seconds())})
}

// useUserLang sets the language cookie to the user's own choice, if they
// made one: logging in on a new device takes it along.
func (a *App) useUserLang(w http.ResponseWriter, r *http.Request, token string) {
	u, _, err := a.w.Authenticate(r.Context(), token)
	if err != nil || u.Language == "" {
		return
	}
	if t, ok := matchLang(u.Language); ok {
		setLangCookie(w, r, t)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
