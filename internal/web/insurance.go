package web

import (
	"net/http"
	"net/url"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The user's account-security insurance: buy a term with the PIN, see
// policies and claims, claim for a bill.

func (a *App) routesInsurance(mux *http.ServeMux) {
	mux.HandleFunc("GET /app/insurance", a.authed(a.insurancePage))
	mux.HandleFunc("POST /app/insurance", a.form(a.authed(a.buyInsurance)))
	mux.HandleFunc("POST /app/insurance/claims", a.form(a.authed(a.fileClaim)))
}

type insuranceData struct {
	Policies []wallet.Policy
	Claims   []wallet.Claim
	Insured  bool
	Claim    string // a bill to claim for, from the bill page
	Premium  int64
	Cover    int64
}

func (a *App) insuranceView(w http.ResponseWriter, r *http.Request) (*view, error) {
	ps, cs, err := a.w.Insurance(r.Context(), userOf(r))
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "insurance.title")
	v.Nav = "me"
	d := insuranceData{Policies: ps, Claims: cs, Claim: clip(r.URL.Query().Get("claim"), 64), Premium: wallet.InsurancePremium, Cover: wallet.InsuranceCover}
	for _, p := range ps {
		d.Insured = d.Insured || p.Status == wallet.PolicyActive
	}
	if v.Form == nil {
		v.Form = url.Values{}
	}
	if d.Claim != "" && v.Form.Get("transfer_id") == "" {
		v.Form.Set("transfer_id", d.Claim)
	}
	v.D = d
	return v, nil
}

func (a *App) insurancePage(w http.ResponseWriter, r *http.Request) {
	v, err := a.insuranceView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	a.render(w, r, http.StatusOK, "insurance", v)
}

func (a *App) buyInsurance(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.BuyInsurance(r.Context(), userOf(r), r.PostFormValue("pin")); err != nil {
		v, verr := a.insuranceView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "insurance", v, err)
		return
	}
	http.Redirect(w, r, "/app/insurance?done=1", http.StatusSeeOther)
}

func (a *App) fileClaim(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.FileClaim(r.Context(), userOf(r), r.PostFormValue("transfer_id"), clip(r.PostFormValue("description"), 1000)); err != nil {
		v, verr := a.insuranceView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "insurance", v, err)
		return
	}
	http.Redirect(w, r, "/app/insurance?done=1", http.StatusSeeOther)
}
