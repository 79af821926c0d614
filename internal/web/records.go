package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Bills, statements, notifications and settings.

func (a *App) routesRecords(get, post func(string, http.HandlerFunc)) {
	get("/app/bills", a.billsPage)
	get("/app/bills/{id}", a.billPage)
	get("/app/statement", a.statement)
	get("/app/notifications", a.notificationsPage)
	get("/app/settings", a.settingsPage)
	get("/app/settings/pin", a.pinPage)
	post("/app/settings/pin", a.setPIN)
	post("/app/settings/password-free", a.setPasswordFree)
	post("/app/settings/sessions/{id}/revoke", a.revokeSession)
	post("/app/settings/devices/{device}/revoke", a.revokeDevice)
	post("/app/settings/report-fraud", a.reportFraud)
}

func svgDataURL(svg []byte) template.URL {
	return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
}

type billsData struct {
	Bills      []wallet.Bill
	Types      []string
	Currencies []string
	Next       string // the next page's query
	Months     []time.Time
}

func (a *App) billsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := a.newView(w, r, "bills.title")
	v.Nav = "bills"
	v.Form = url.Values{"type": {q.Get("type")}, "currency": {q.Get("currency")}, "month": {q.Get("month")}}
	f := wallet.BillFilter{Type: q.Get("type"), Currency: q.Get("currency"), Cursor: q.Get("cursor"), Limit: billsPerPage}
	if m := q.Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, a.zone)
		if err != nil {
			v.Error = v.T("err.month")
		} else {
			f.From, f.To = t, t.AddDate(0, 1, 0)
		}
	}
	d := billsData{Types: wallet.BillTypes, Currencies: a.w.SupportedCurrencies()}
	now := time.Now().In(a.zone)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, a.zone)
	for i := range 12 {
		d.Months = append(d.Months, first.AddDate(0, -i, 0))
	}
	page, err := a.w.Bills(r.Context(), userOf(r).ID, f)
	if err != nil {
		v.D = d
		a.formError(w, r, "bills", v, err)
		return
	}
	d.Bills = page.Bills
	if page.Next != "" && len(page.Bills) == billsPerPage {
		nq := url.Values{}
		for k, vs := range v.Form {
			if vs[0] != "" {
				nq.Set(k, vs[0])
			}
		}
		nq.Set("cursor", page.Next)
		d.Next = nq.Encode()
	}
	v.D = d
	a.render(w, r, http.StatusOK, "bills", v)
}

func (a *App) billPage(w http.ResponseWriter, r *http.Request) {
	b, err := a.w.Bill(r.Context(), userOf(r).ID, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "bill.title")
	v.Nav = "bills"
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("bill.done")
	}
	if r.URL.Query().Get("reported") != "" {
		v.Notice = v.T("payee.reported_done")
	}
	v.D = billDetail{Bill: b, Log: a.leafOf(r.Context(), b.ID)}
	a.render(w, r, http.StatusOK, "bill", v)
}

// billDetail is a bill with its place in the transparency log.
type billDetail struct {
	wallet.Bill
	Log *billLeaf // nil: the server keeps no log
}

type billLeaf struct {
	Logged    bool
	Index     uint64
	Hash      string // hex
	Inclusion string // the proof's URL
}

// leafOf looks up a transfer's leaf in the transparency log; a failed
// look-up is logged and shows as not logged yet (the bill is still shown).
func (a *App) leafOf(ctx context.Context, transferID string) *billLeaf {
	if a.tlog == nil {
		return nil
	}
	l := &billLeaf{Inclusion: "/v1/log/inclusion?transfer_id=" + url.QueryEscape(transferID)}
	id, err := ledger.ParseID(transferID)
	if err != nil {
		return l
	}
	leaf, err := a.tlog.LeafOf(ctx, id)
	if err != nil {
		if !errors.Is(err, ledgerlog.ErrNotLogged) && !errors.Is(err, ledgerlog.ErrUnknownTransfer) {
			a.log.Warn("bill: transparency log look-up", "transfer", transferID, "err", err)
		}
		return l
	}
	l.Logged, l.Index, l.Hash = true, leaf.Index, hex.EncodeToString(leaf.Hash)
	return l
}

// statement sends a month's bills as CSV.
func (a *App) statement(w http.ResponseWriter, r *http.Request) {
	t, err := time.Parse("2006-01", r.URL.Query().Get("month"))
	if err != nil {
		a.renderError(w, r, http.StatusUnprocessableEntity, "err.month")
		return
	}
	var buf bytes.Buffer
	if err := a.w.Statement(r.Context(), userOf(r).ID, t.Year(), t.Month(), &buf); err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="shiliantong-%s.csv"`, t.Format("2006-01")))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

type noteRow struct {
	wallet.Notification
	Title string // translated when the kind is known
}

func (a *App) notificationsPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ns, err := a.w.Notifications(r.Context(), u.ID, time.Time{}, 50)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "notifications.title")
	v.Nav = "me"
	rows := make([]noteRow, len(ns))
	for i, n := range ns {
		rows[i] = noteRow{Notification: n, Title: n.Title}
		if key := "notify." + n.Kind; a.cat.Has(key) {
			rows[i].Title = v.T(key)
		}
	}
	v.D = rows
	if len(ns) > 0 {
		// Seen now: read up to the newest shown.
		_ = a.w.MarkNotificationsRead(r.Context(), u.ID, ns[0].CreatedAt)
	}
	a.render(w, r, http.StatusOK, "notifications", v)
}

type settingsData struct {
	Sessions          []wallet.Session
	Current           string
	PINSet            bool
	NoPINPerTx, Daily int64
	Lang              string
	Tier              int
	RealName          string
	Devices           []wallet.PaycodeDevice
	Passkeys          []wallet.Passkey
	Frozen            bool
}

func (a *App) settingsView(w http.ResponseWriter, r *http.Request) (*view, error) {
	u := userOf(r)
	ss, err := a.w.Sessions(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	ds, err := a.w.PaycodeDevices(r.Context(), u)
	if err != nil {
		return nil, err
	}
	pks, err := a.w.Passkeys(r.Context(), u)
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "settings.title")
	v.Nav = "me"
	v.Scripts = []string{"app.js", "passkey.js"}
	v.D = settingsData{Passkeys: pks, Sessions: ss, Current: sessionOf(r).ID, PINSet: u.PINHash != "", NoPINPerTx: u.NoPINPerTx, Daily: u.NoPINDaily,
		Lang: v.L.Code(), Tier: int(u.Tier), RealName: u.RealName, Devices: ds, Frozen: u.Frozen()}
	if v.Form == nil {
		v.Form = url.Values{}
	}
	if v.Form.Get("per_tx") == "" && u.NoPINPerTx > 0 {
		v.Form.Set("per_tx", v.L.Plain(u.NoPINPerTx, "CNY"))
		v.Form.Set("daily", v.L.Plain(u.NoPINDaily, "CNY"))
	}
	return v, nil
}

func (a *App) settingsPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.settingsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	a.render(w, r, http.StatusOK, "settings", v)
}

func (a *App) pinPage(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "pin.title")
	v.Nav = "me"
	v.D = r.URL.Query().Get("new") != ""
	a.render(w, r, http.StatusOK, "pin", v)
}

func (a *App) setPIN(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "pin.title")
	v.Nav = "me"
	v.D = r.PostFormValue("new") != ""
	if r.PostFormValue("pin") != r.PostFormValue("pin2") {
		a.invalid(w, r, "pin", v, "err.pins_differ")
		return
	}
	if err := a.w.SetPIN(r.Context(), userOf(r), r.PostFormValue("password"), r.PostFormValue("pin")); err != nil {
		a.formError(w, r, "pin", v, err)
		return
	}
	if r.PostFormValue("new") != "" {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1", http.StatusSeeOther)
}

func (a *App) setPasswordFree(w http.ResponseWriter, r *http.Request) {
	v, err := a.settingsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var perTx, daily int64
	if r.PostFormValue("off") == "" {
		var ok1, ok2 bool
		perTx, ok1 = amountOf(r.PostFormValue("per_tx"), "CNY")
		daily, ok2 = amountOf(r.PostFormValue("daily"), "CNY")
		if !ok1 || !ok2 {
			a.invalid(w, r, "settings", v, "err.amount")
			return
		}
	}
	if err := a.w.SetNoPIN(r.Context(), userOf(r), r.PostFormValue("password"), perTx, daily); err != nil {
		a.formError(w, r, "settings", v, err)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1", http.StatusSeeOther)
}

func (a *App) revokeSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.w.RevokeSession(r.Context(), userOf(r).ID, id); err != nil {
		v, verr := a.settingsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "settings", v, err)
		return
	}
	if id == sessionOf(r).ID {
		clearSessionCookie(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1", http.StatusSeeOther)
}

// revokeDevice revokes a phone's payment codes on the server (the phone
// may be lost: clearing its storage is not enough).
func (a *App) revokeDevice(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseUint(r.PathValue("device"), 10, 64)
	if err == nil {
		err = a.w.RevokePaycode(r.Context(), userOf(r), n)
	}
	if err != nil {
		v, verr := a.settingsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		if _, ok := wallet.AsError(err); !ok && errors.Is(err, strconv.ErrSyntax) {
			a.invalid(w, r, "settings", v, "err.bad_form")
			return
		}
		a.formError(w, r, "settings", v, err)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1", http.StatusSeeOther)
}

// reportFraud freezes the user's own outflows at once.
func (a *App) reportFraud(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.ReportFraud(r.Context(), userOf(r), clip(r.PostFormValue("what"), 1000)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/settings?done=1", http.StatusSeeOther)
}
