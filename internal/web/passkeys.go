package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Passkeys (指纹/面容): settings add and remove them, the login page logs
// in with one, and the transfer, scan-to-pay and confirmation pages pay
// with one instead of the PIN. passkey.js calls the endpoints below with
// the page's form (CSRF token included) and navigator.credentials; the
// assertion of a payment goes back in the form's "passkey" field, so the
// payment itself is the same form post as with the PIN.

func (a *App) routesPasskeys(mux *http.ServeMux) {
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(h))) }
	post("/app/settings/passkeys/begin", a.passkeyRegisterBegin)
	post("/app/settings/passkeys", a.passkeyRegisterFinish)
	post("/app/settings/passkeys/remove", a.passkeyRemove)
	post("/app/passkeys/pay/begin", a.passkeyPayBegin)
	mux.HandleFunc("POST /login/passkey/begin", a.form(a.passkeyLoginBegin))
	mux.HandleFunc("POST /login/passkey", a.form(a.passkeyLoginFinish))
}

// passkeyJSON answers passkey.js: the value, or {"error": the translated
// message}.
func (a *App) passkeyJSON(w http.ResponseWriter, r *http.Request, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		status := http.StatusInternalServerError
		if e, ok := wallet.AsError(err); ok {
			status = statusOf(e.Kind)
		} else {
			a.log.Error("passkey", "err", err)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": a.errText(a.cat.Locale(requestLang(r)), err)})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// passkeyMsg answers passkey.js with a message of the web app's own.
func (a *App) passkeyMsg(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": a.cat.Locale(requestLang(r)).T(key, args...)})
}

func (a *App) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) {
	o, err := a.w.BeginPasskeyRegistration(r.Context(), userOf(r), sessionOf(r).ID)
	a.passkeyJSON(w, r, o.Options, err)
}

func (a *App) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) {
	_, err := a.w.FinishPasskeyRegistration(r.Context(), userOf(r), sessionOf(r).ID, []byte(r.PostFormValue("credential")), r.PostFormValue("name"))
	a.passkeyJSON(w, r, map[string]string{"next": "/app/settings?done=1#passkeys"}, err)
}

func (a *App) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	if err := a.w.RemovePasskey(r.Context(), userOf(r), r.PostFormValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1#passkeys", http.StatusSeeOther)
}

// passkeyPayBegin names the payment of the form posted: a transfer, a
// scanned code, or a till's order to confirm.
func (a *App) passkeyPayBegin(w http.ResponseWriter, r *http.Request) {
	var p wallet.PaymentToConfirm
	key := r.PostFormValue("key")
	switch r.PostFormValue("kind") {
	case "transfer":
		cur := r.PostFormValue("currency")
		amount, ok := amountOf(r.PostFormValue("amount"), cur)
		if !ok {
			a.passkeyMsg(w, r, http.StatusUnprocessableEntity, "err.amount")
			return
		}
		p.Transfer = &wallet.P2PRequest{To: strings.TrimSpace(r.PostFormValue("to")), Amount: amount, Currency: cur,
			Note: r.PostFormValue("note"), IdempotencyKey: key}
	case "pay":
		var amount int64
		if s := r.PostFormValue("amount"); s != "" {
			var ok bool
			if amount, ok = amountOf(s, "CNY"); !ok {
				a.passkeyMsg(w, r, http.StatusUnprocessableEntity, "err.amount")
				return
			}
		}
		p.Scan = &wallet.ScanPayment{Payload: r.PostFormValue("code"), Amount: amount, IdempotencyKey: key}
	default:
		p.OrderID = r.PostFormValue("order")
	}
	o, err := a.w.BeginPasskeyPayment(r.Context(), userOf(r), sessionOf(r).ID, p)
	a.passkeyJSON(w, r, o.Options, err)
}

func (a *App) passkeyLoginBegin(w http.ResponseWriter, r *http.Request) {
	if ok, wait := a.loginIP.Allowed(clientIP(r)); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		a.passkeyMsg(w, r, http.StatusTooManyRequests, "err.too_many_logins", max(int((wait+time.Minute-1)/time.Minute), 1))
		return
	}
	o, err := a.w.BeginPasskeyLogin(r.Context(), r.PostFormValue("phone"))
	a.passkeyJSON(w, r, o.Options, err)
}

func (a *App) passkeyLoginFinish(w http.ResponseWriter, r *http.Request) {
	a.loginIP.Add(clientIP(r))
	res, err := a.w.FinishPasskeyLogin(r.Context(), []byte(r.PostFormValue("credential")), a.deviceHint(r))
	if err != nil {
		a.passkeyJSON(w, r, nil, err)
		return
	}
	next := a.loggedIn(w, r, res, safeNext(r.PostFormValue("next")), false)
	a.passkeyJSON(w, r, map[string]string{"next": next}, nil)
}
