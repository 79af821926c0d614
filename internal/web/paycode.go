package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// 付款码: the payment code. The device secret lives on the device: the
// page enrols the browser (the PIN confirms it), keeps the secret in
// localStorage, and derives the code every time step in JavaScript with
// WebCrypto's HMAC exactly as pkg/paycode does; the server never sends a
// code. The page polls whether a till charged it, and goes by itself to
// the PIN confirmation or the receipt. See docs/web.md.

func (a *App) routesPaycode(get, post func(string, http.HandlerFunc)) {
	get("/app/paycode", a.paycodePage)
	post("/app/paycode/enroll", a.enrolPaycode)
	get("/app/paycode/status", a.paycodeStatus)
	get("/app/payments/{id}", a.confirmPage)
	post("/app/payments/{id}", a.confirm)
}

// paycodeData is what the script needs to derive codes.
type paycodeData struct {
	User     string
	Prefix   string
	Digits   int
	Step     int    // seconds
	MaskKey  string // base64
	Now      int64  // the server's clock, Unix ms: the script corrects the device's by it
	Enrolled *wallet.Enrolment
}

func (a *App) paycodeView(w http.ResponseWriter, r *http.Request) *view {
	v := a.newView(w, r, "paycode.title")
	v.Nav = "home"
	v.Scripts = []string{"app.js", "paycode.js"}
	cfg := wallet.PaycodeConfig
	mk := cfg.MaskKey
	if len(mk) == 0 {
		mk = paycode.DefaultMaskKey
	}
	v.D = paycodeData{User: userOf(r).ID, Prefix: cfg.Prefix, Digits: cfg.Digits, Step: int(a.w.PaycodeStep() / time.Second),
		MaskKey: base64.StdEncoding.EncodeToString(mk), Now: time.Now().UnixMilli()}
	return v
}

func (a *App) paycodePage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, "paycode", a.paycodeView(w, r))
}

// enrolPaycode enrols this browser; the answer hands the secret to the
// page's script, which keeps it and shows the code.
func (a *App) enrolPaycode(w http.ResponseWriter, r *http.Request) {
	v := a.paycodeView(w, r)
	e, err := a.w.EnrollPaycode(r.Context(), userOf(r), sessionOf(r).DeviceID, r.PostFormValue("pin"))
	if err != nil {
		a.formError(w, r, "paycode", v, err)
		return
	}
	d := v.D.(paycodeData)
	d.Enrolled = &e
	v.D = d
	a.render(w, r, http.StatusOK, "paycode", v)
}

// paycodeStatus answers the payment-code page's poll: whether a till
// charged a code since the page was shown, and where to go.
func (a *App) paycodeStatus(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	from := since(r.URL.Query().Get("since"))
	out := struct {
		State string `json:"state"` // waiting, confirm, paid
		URL   string `json:"url,omitempty"`
	}{State: "waiting"}
	if !from.IsZero() {
		o, ok, err := a.w.PendingConfirmation(r.Context(), u, from)
		if err != nil {
			a.log.Warn("web: payment code status", "err", err)
		}
		if ok {
			out.State, out.URL = "confirm", "/app/payments/"+o.ID
		} else if p, err := a.w.Bills(r.Context(), u.ID, wallet.BillFilter{Type: "payment", From: from, Limit: 1}); err == nil && len(p.Bills) > 0 {
			out.State, out.URL = "paid", "/app/bills/"+p.Bills[0].ID+"?done=1"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

type confirmData struct {
	Order    wallet.MerchantOrder
	Merchant wallet.Merchant
}

func (a *App) confirmView(w http.ResponseWriter, r *http.Request) (*view, bool) {
	o, m, err := a.w.PayerOrder(r.Context(), userOf(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return nil, false
	}
	if o.Status == wallet.OrderSuccess {
		http.Redirect(w, r, "/app/bills/"+wallet.OrderPaymentID(o)+"?done=1", http.StatusSeeOther)
		return nil, false
	}
	v := a.newView(w, r, "confirm.title")
	v.Nav = "home"
	v.Scripts = []string{"app.js", "passkey.js"}
	v.D = confirmData{Order: o, Merchant: m}
	if o.Status != wallet.OrderUserPaying {
		v.Error = v.T("pay.not_payable")
	}
	return v, true
}

func (a *App) confirmPage(w http.ResponseWriter, r *http.Request) {
	if v, ok := a.confirmView(w, r); ok {
		a.render(w, r, http.StatusOK, "confirm", v)
	}
}

func (a *App) confirm(w http.ResponseWriter, r *http.Request) {
	var rc wallet.MerchantReceipt
	var err error
	if pk := r.PostFormValue("passkey"); pk != "" {
		rc, err = a.w.ConfirmPaymentPasskey(r.Context(), userOf(r), r.PathValue("id"), []byte(pk))
	} else {
		rc, err = a.w.ConfirmPayment(r.Context(), userOf(r), r.PathValue("id"), r.PostFormValue("pin"))
	}
	if err != nil {
		if v, ok := a.confirmView(w, r); ok {
			a.formError(w, r, "confirm", v, err)
		}
		return
	}
	http.Redirect(w, r, "/app/bills/"+rc.TransferID+"?done=1", http.StatusSeeOther)
}
