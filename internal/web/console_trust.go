package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The console's trust pages: the audit trail (searchable, its chain
// checked on demand) and the insurance claims to review.

func (a *App) routesConsoleTrust(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(a.operator(h))) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(a.operator(h)))) }
	get("/console/audit", a.consoleAudit)
	get("/console/claims", a.consoleClaims)
	post("/console/claims/{id}/decide", a.consoleDecideClaim)
}

type consoleAuditData struct {
	Entries  []wallet.AuditEntry
	Checked  bool
	Verified int64
	Problem  string
	Older    int64 // the seq to page back from, 0 if none
}

func (a *App) consoleAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := a.consoleView(w, r, "console.audit", "audit")
	v.Form = url.Values{"actor": {q.Get("actor")}, "action": {q.Get("action")}}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	es, err := a.w.AuditLog(r.Context(), wallet.AuditFilter{Actor: clip(q.Get("actor"), 80), Action: clip(q.Get("action"), 64), Before: before, Limit: 100})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := consoleAuditData{Entries: es}
	if len(es) == 100 {
		d.Older = es[len(es)-1].Seq
	}
	if q.Get("verify") != "" {
		n, err := a.w.VerifyAudit(r.Context())
		d.Checked, d.Verified = true, n
		if err != nil {
			d.Problem = err.Error()
		}
	}
	v.D = d
	a.render(w, r, http.StatusOK, "console_audit", v)
}

func (a *App) consoleClaims(w http.ResponseWriter, r *http.Request) {
	v := a.consoleView(w, r, "console.claims", "claims")
	cs, err := a.w.Claims(r.Context(), wallet.ClaimFilter{Status: wallet.ClaimSubmitted})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var evs []wallet.ClaimEvidence
	for _, c := range cs {
		ev, err := a.w.Evidence(r.Context(), c.ID)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if len(ev.Security) > 10 {
			ev.Security = ev.Security[:10]
		}
		evs = append(evs, ev)
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	v.D = evs
	a.render(w, r, http.StatusOK, "console_claims", v)
}

func (a *App) consoleDecideClaim(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.DecideClaim(r.Context(), r.PathValue("id"), r.PostFormValue("approve") == "1", clip(r.PostFormValue("reason"), 500)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/claims?done=1", http.StatusSeeOther)
}
