package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The console's compliance review queue: screening hits (and, later, AML
// alerts and risk holds), each with its evidence and a decision.

func (a *App) routesConsoleCases(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(a.operator(h))) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(a.operator(h)))) }
	get("/console/cases", a.consoleCases)
	get("/console/cases/{id}", a.consoleCase)
	post("/console/cases/{id}/decide", a.consoleDecideCase)
	get("/console/aml/report", a.consoleAMLReport)
}

// consoleAMLReport sends an AML report as CSV (the form on the cases page).
func (a *App) consoleAMLReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err1 := time.Parse(time.DateOnly, q.Get("from"))
	to, err2 := time.Parse(time.DateOnly, q.Get("to"))
	if err1 != nil || err2 != nil {
		a.renderError(w, r, http.StatusUnprocessableEntity, "err.dates")
		return
	}
	var buf bytes.Buffer
	if err := a.w.AMLReport(r.Context(), q.Get("kind"), from, to, &buf); err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="aml-%s-%s-%s.csv"`, clip(q.Get("kind"), 20), from.Format(time.DateOnly), to.Format(time.DateOnly)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

type caseRow struct {
	wallet.Case
	Reason   string // screening: the matcher's explanation
	Listed   string
	Programs string
	Context  string
}

type consoleCasesData struct {
	Lists  []wallet.ScreeningList
	Cases  []caseRow
	Status string
}

func (a *App) consoleCases(w http.ResponseWriter, r *http.Request) {
	v := a.consoleView(w, r, "console.cases", "cases")
	status := r.URL.Query().Get("status")
	switch status {
	case "", wallet.CaseOpen, wallet.CaseCleared, wallet.CaseConfirmed:
	default:
		status = ""
	}
	if r.URL.Query().Get("all") == "" && status == "" {
		status = wallet.CaseOpen
	}
	cs, err := a.w.Cases(r.Context(), wallet.CaseFilter{Status: status, Limit: 200})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	lists, err := a.w.ScreeningLists(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := consoleCasesData{Lists: lists, Status: status}
	for _, c := range cs {
		d.Cases = append(d.Cases, newCaseRow(c))
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	v.D = d
	a.render(w, r, http.StatusOK, "console_cases", v)
}

// newCaseRow reads what the page shows of a case's evidence.
func newCaseRow(c wallet.Case) caseRow {
	row := caseRow{Case: c}
	var ev struct {
		Reason     string `json:"reason"`
		ListedName string `json:"listed_name"`
		Context    string `json:"context"`
		Entry      struct {
			Programs string `json:"programs"`
		} `json:"entry"`
	}
	if json.Unmarshal([]byte(c.Evidence), &ev) == nil {
		row.Reason, row.Listed, row.Programs, row.Context = ev.Reason, ev.ListedName, ev.Entry.Programs, ev.Context
	}
	var rk struct {
		Reasons []string `json:"reasons"`
		Summary string   `json:"summary"`
	}
	if json.Unmarshal([]byte(c.Evidence), &rk) == nil && row.Reason == "" {
		row.Reason = strings.Join(rk.Reasons, "; ")
		if row.Reason == "" {
			row.Reason = rk.Summary
		}
	}
	return row
}

type consoleCaseData struct {
	caseRow
	Context wallet.CaseContext
}

// consoleCase is one case with what a reviewer weighs: for a user, the
// account, its devices, recent logins and the accounts sharing a device.
func (a *App) consoleCase(w http.ResponseWriter, r *http.Request) {
	c, err := a.w.CaseByID(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cc, err := a.w.CaseEvidence(r.Context(), c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.consoleView(w, r, "console.cases", "cases")
	v.D = consoleCaseData{caseRow: newCaseRow(c), Context: cc}
	a.render(w, r, http.StatusOK, "console_case", v)
}

func (a *App) consoleDecideCase(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.Decide(r.Context(), r.PathValue("id"), r.PostFormValue("decision"), clip(r.PostFormValue("note"), 1000)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/cases?done=1", http.StatusSeeOther)
}
