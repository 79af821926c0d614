package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The operator console, for operators only: users created with
// `slt admin create` (role operator) log in on the same login page as
// everyone and land here. The operator token of the API is not accepted:
// the console is used by people, each with their own session (logged out,
// listed, rate-limited like any login). Everyone else gets 403.

func (a *App) routesConsole(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(a.operator(h))) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(a.operator(h)))) }
	get("/console", a.consoleHome)
	get("/console/users", a.consoleUsers)
	get("/console/users/{id}", a.consoleUser)
	post("/console/users/{id}/freeze", a.consoleFreeze)
	get("/console/merchants", a.consoleMerchants)
	get("/console/merchants/{id}", a.consoleMerchant)
	post("/console/merchants/{id}/approve", a.consoleApprove)
	get("/console/ledger", a.ledgerHome)
	get("/console/ledger/accounts/{id}", a.ledgerAccount)
	get("/console/ledger/transfers/{id}", a.ledgerTransfer)
	get("/console/ledger/check", a.ledgerCheck)
	get("/console/health", a.healthPage)
}

// operator lets operators through; everyone else is refused.
func (a *App) operator(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if userOf(r).Role != wallet.RoleOperator {
			a.renderError(w, r, http.StatusForbidden, "err.operators_only")
			return
		}
		h(w, r)
	}
}

func (a *App) consoleView(w http.ResponseWriter, r *http.Request, title, section string) *view {
	v := a.newView(w, r, title)
	v.Context = v.T("console.title")
	for _, it := range []struct{ href, label, key string }{{"/console", "console.home", "home"}, {"/console/users", "console.users", "users"},
		{"/console/merchants", "console.merchants", "merchants"}, {"/console/ledger", "console.ledger", "ledger"}, {"/console/disputes", "console.disputes", "disputes"}, {"/console/claims", "console.claims", "claims"}, {"/console/cases", "console.cases", "cases"}, {"/console/audit", "console.audit", "audit"},
		{"/console/health", "console.health", "health"}} {
		v.Menu = append(v.Menu, menuItem{Href: it.href, Label: it.label, Current: it.key == section})
	}
	return v
}

type consoleHomeData struct {
	Pending []wallet.Merchant
	Health  health
}

func (a *App) consoleHome(w http.ResponseWriter, r *http.Request) {
	ms, err := a.w.SearchMerchants(r.Context(), "", "pending")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.consoleView(w, r, "console.title", "home")
	v.D = consoleHomeData{Pending: ms, Health: a.health()}
	a.render(w, r, http.StatusOK, "console", v)
}

func (a *App) consoleUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	v := a.consoleView(w, r, "console.users", "users")
	v.Form = url.Values{"q": {q}}
	us, err := a.w.SearchUsers(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.D = us
	a.render(w, r, http.StatusOK, "console_users", v)
}

type consoleUserData struct {
	U         wallet.User
	Balances  []wallet.Balance
	Merchants []wallet.Membership
	Devices   []wallet.Device
	Logins    []wallet.LoginEvent
}

func (a *App) consoleUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.w.UserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	bs, err := a.w.Wallets(r.Context(), u.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ms, err := a.w.UserMerchants(r.Context(), u.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ds, err := a.w.Devices(r.Context(), u)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ls, err := a.w.LoginHistory(r.Context(), u.ID, 50)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.consoleView(w, r, "console.user", "users")
	switch r.URL.Query().Get("done") {
	case "frozen":
		v.Notice = v.T("console.frozen_done")
	case "unfrozen":
		v.Notice = v.T("console.unfrozen_done")
	}
	v.D = consoleUserData{U: u, Balances: bs, Merchants: ms, Devices: ds, Logins: ls}
	a.render(w, r, http.StatusOK, "console_user", v)
}

func (a *App) consoleFreeze(w http.ResponseWriter, r *http.Request) {
	freeze := r.PostFormValue("freeze") == "1"
	u, err := a.w.FreezeUser(r.Context(), r.PathValue("id"), freeze)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info("web: operator froze a user", "operator", userOf(r).ID, "user", u.ID, "frozen", freeze)
	done := "unfrozen"
	if freeze {
		done = "frozen"
	}
	http.Redirect(w, r, "/console/users/"+u.ID+"?done="+done, http.StatusSeeOther)
}

type consoleMerchantsData struct {
	Merchants []wallet.Merchant
	Statuses  []string
}

func (a *App) consoleMerchants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := a.consoleView(w, r, "console.merchants", "merchants")
	v.Form = url.Values{"q": {q.Get("q")}, "status": {q.Get("status")}}
	status := q.Get("status")
	if status != "" && status != "pending" && status != "approved" {
		status = ""
	}
	ms, err := a.w.SearchMerchants(r.Context(), q.Get("q"), status)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.D = consoleMerchantsData{Merchants: ms, Statuses: []string{"pending", "approved"}}
	a.render(w, r, http.StatusOK, "console_merchants", v)
}

type consoleMerchantData struct {
	M       wallet.Merchant
	Owner   wallet.User
	Account *ledger.Account
}

func (a *App) consoleMerchant(w http.ResponseWriter, r *http.Request) {
	m, err := a.w.MerchantByID(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	owner, err := a.w.UserByID(r.Context(), m.OwnerID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := consoleMerchantData{M: m, Owner: owner}
	if id, err := ledger.ParseID(m.AccountID); err == nil && a.ledger != nil {
		if acct, err := a.ledger.LookupAccount(r.Context(), id); err == nil {
			d.Account = &acct
		}
	}
	v := a.consoleView(w, r, "console.merchant", "merchants")
	if r.URL.Query().Get("approved") != "" {
		v.Notice = v.T("console.approved_done")
	}
	v.D = d
	a.render(w, r, http.StatusOK, "console_merchant", v)
}

func (a *App) consoleApprove(w http.ResponseWriter, r *http.Request) {
	m, err := a.w.ApproveMerchant(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.Info("web: operator approved a merchant", "operator", userOf(r).ID, "merchant", m.ID)
	http.Redirect(w, r, "/console/merchants/"+m.ID+"?approved=1", http.StatusSeeOther)
}

// The ledger explorer.

// ledgerHome is the explorer's search: an account or a transfer by id.
func (a *App) ledgerHome(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := a.consoleView(w, r, "console.ledger", "ledger")
	v.Form = url.Values{"account": {q.Get("account")}, "transfer": {q.Get("transfer")}}
	for _, k := range []string{"account", "transfer"} {
		s := strings.TrimSpace(q.Get(k))
		if s == "" {
			continue
		}
		if _, err := ledger.ParseID(s); err != nil {
			v.Error = v.T("err.ledger_id")
			break
		}
		http.Redirect(w, r, "/console/ledger/"+k+"s/"+s, http.StatusSeeOther)
		return
	}
	a.render(w, r, http.StatusOK, "ledger", v)
}

// accountRow is an account's transfer as the explorer lists it.
type accountRow struct {
	T      ledger.Transfer
	Amount int64 // signed, for the account
	Other  ledger.ID
}

type ledgerAccountData struct {
	A     ledger.Account
	Owner string // who the wallet says the account is
	Rows  []accountRow
	Next  string
}

func (a *App) ledgerAccount(w http.ResponseWriter, r *http.Request) {
	if a.ledger == nil {
		a.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	id, err := ledger.ParseID(r.PathValue("id"))
	if err != nil {
		a.renderError(w, r, http.StatusNotFound, "err.ledger_id")
		return
	}
	acct, err := a.ledger.LookupAccount(r.Context(), id)
	if err != nil {
		a.ledgerErr(w, r, err)
		return
	}
	page, err := a.ledger.AccountTransfers(r.Context(), id, ledger.TransferFilter{Cursor: r.URL.Query().Get("cursor"), Limit: 50})
	if err != nil {
		a.ledgerErr(w, r, err)
		return
	}
	d := ledgerAccountData{A: acct, Owner: acct.Owner, Next: page.Next}
	for _, t := range page.Transfers {
		row := accountRow{T: t, Amount: t.Amount, Other: t.DebitAccountID}
		if t.DebitAccountID == id {
			row.Amount, row.Other = -t.Amount, t.CreditAccountID
		}
		d.Rows = append(d.Rows, row)
	}
	v := a.consoleView(w, r, "console.account", "ledger")
	v.D = d
	a.render(w, r, http.StatusOK, "ledger_account", v)
}

func (a *App) ledgerTransfer(w http.ResponseWriter, r *http.Request) {
	if a.ledger == nil {
		a.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	id, err := ledger.ParseID(r.PathValue("id"))
	if err != nil {
		a.renderError(w, r, http.StatusNotFound, "err.ledger_id")
		return
	}
	t, err := a.ledger.LookupTransfer(r.Context(), id)
	if err != nil {
		a.ledgerErr(w, r, err)
		return
	}
	v := a.consoleView(w, r, "console.transfer", "ledger")
	v.D = t
	a.render(w, r, http.StatusOK, "ledger_transfer", v)
}

func (a *App) ledgerErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ledger.ErrNotFound) {
		a.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	if errors.Is(err, ledger.ErrBadCursor) {
		a.renderError(w, r, http.StatusBadRequest, "err.bad_form")
		return
	}
	a.fail(w, r, err)
}

type checkData struct {
	R    ledger.CheckReport
	OK   bool
	Took time.Duration
}

// ledgerCheck runs the invariant check (ledger.Check): every balance
// recomputed from the transfers. It reads the whole ledger, so one runs at
// a time and only when asked.
func (a *App) ledgerCheck(w http.ResponseWriter, r *http.Request) {
	if a.check == nil {
		a.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	v := a.consoleView(w, r, "console.check", "ledger")
	if !a.checkMu.TryLock() {
		v.Error = v.T("console.check_busy")
		a.render(w, r, http.StatusServiceUnavailable, "ledger_check", v)
		return
	}
	start := time.Now()
	rep, err := a.check(r.Context())
	a.checkMu.Unlock()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.D = checkData{R: rep, OK: rep.OK(), Took: time.Since(start).Round(time.Millisecond)}
	a.render(w, r, http.StatusOK, "ledger_check", v)
}

// System health, read from the server's Prometheus registry (the one
// /metrics serves): nothing is measured twice.

type health struct {
	Known       bool
	QueueDepth  float64
	Commits     uint64  // committed batches
	CommitMean  float64 // ms
	CommitP50   float64 // ms (upper bound of the bucket)
	CommitP99   float64
	Transfers   float64 // transfers committed
	Requests    uint64  // HTTP requests answered
	RequestP99  float64 // ms
	Goroutines  float64
	HeapMiB     float64
	ResidentMiB float64
}

// healthCache keeps the last health snapshot for a second: gathering
// every metric reads /proc and walks each histogram, and the overview and
// health pages are viewed by many operators at once.
type healthCache struct {
	mu sync.Mutex
	at time.Time
	h  health
}

const healthTTL = time.Second

func (a *App) health() health {
	if a.metrics == nil {
		return health{}
	}
	c := &a.healthC
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); c.at.IsZero() || now.Sub(c.at) >= healthTTL {
		c.h, c.at = a.gatherHealth(), now
	}
	return c.h
}

// gatherHealth reads the figures the console shows from the registry.
func (a *App) gatherHealth() health {
	var h health
	fams, err := a.metrics.Gather()
	if err != nil {
		a.log.Warn("web: gather metrics", "err", err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	h.Known = len(byName) > 0
	gauge := func(name string) float64 {
		if f := byName[name]; f != nil && len(f.Metric) > 0 {
			if g := f.Metric[0].GetGauge(); g != nil {
				return g.GetValue()
			}
			if c := f.Metric[0].GetCounter(); c != nil {
				return c.GetValue()
			}
		}
		return 0
	}
	h.QueueDepth = gauge("slt_ledger_queue_depth")
	h.Transfers = gauge("slt_ledger_transfers_created_total")
	h.Goroutines = gauge("go_goroutines")
	h.HeapMiB = gauge("go_memstats_heap_alloc_bytes") / (1 << 20)
	h.ResidentMiB = gauge("process_resident_memory_bytes") / (1 << 20)
	if f := byName["slt_ledger_commit_duration_seconds"]; f != nil && len(f.Metric) > 0 {
		hist := f.Metric[0].GetHistogram()
		h.Commits = hist.GetSampleCount()
		if h.Commits > 0 {
			h.CommitMean = hist.GetSampleSum() / float64(h.Commits) * 1000
		}
		h.CommitP50, h.CommitP99 = quantile(hist, 0.5)*1000, quantile(hist, 0.99)*1000
	}
	if f := byName["slt_http_request_duration_seconds"]; f != nil {
		h.Requests, h.RequestP99 = mergedQuantile(f, 0.99)
		h.RequestP99 *= 1000
	}
	return h
}

// quantile is the upper bound of the bucket that holds the q-quantile of
// a Prometheus histogram (+Inf: the largest finite bound).
func quantile(h *dto.Histogram, q float64) float64 {
	return bucketQuantile(h.GetSampleCount(), h.GetBucket(), q)
}

func bucketQuantile(count uint64, buckets []*dto.Bucket, q float64) float64 {
	if count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(count)))
	last := 0.0
	for _, b := range buckets {
		if math.IsInf(b.GetUpperBound(), 1) {
			break
		}
		last = b.GetUpperBound()
		if b.GetCumulativeCount() >= rank {
			return last
		}
	}
	return last
}

// mergedQuantile merges a histogram family's series (every route and
// status) and returns the count and the q-quantile.
func mergedQuantile(f *dto.MetricFamily, q float64) (uint64, float64) {
	cum := map[float64]uint64{}
	var count uint64
	for _, m := range f.Metric {
		hist := m.GetHistogram()
		if hist == nil {
			continue
		}
		count += hist.GetSampleCount()
		for _, b := range hist.GetBucket() {
			cum[b.GetUpperBound()] += b.GetCumulativeCount()
		}
	}
	bounds := make([]float64, 0, len(cum))
	for b := range cum {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	buckets := make([]*dto.Bucket, len(bounds))
	for i, b := range bounds {
		ub, c := b, cum[b]
		buckets[i] = &dto.Bucket{UpperBound: &ub, CumulativeCount: &c}
	}
	return count, bucketQuantile(count, buckets, q)
}

func (a *App) healthPage(w http.ResponseWriter, r *http.Request) {
	v := a.consoleView(w, r, "console.health", "health")
	v.Refresh = 10
	v.D = a.health()
	a.render(w, r, http.StatusOK, "health", v)
}

// Stamp is a ledger timestamp (Unix nanoseconds) in the wallet's zone, to
// the millisecond.
func (v *view) Stamp(ns int64) string {
	return time.Unix(0, ns).In(v.app.zone).Format("2006-01-02 15:04:05.000")
}

// TransferKind names a ledger transfer code the wallet uses.
func (v *view) TransferKind(code uint16) string { return v.kind("ledger.transfer.", code) }

// AccountKind names a ledger account code the wallet uses.
func (v *view) AccountKind(code uint16) string { return v.kind("ledger.account.", code) }

func (v *view) kind(prefix string, code uint16) string {
	key := prefix + strconv.Itoa(int(code))
	if v.app.cat.Has(key) {
		return v.T(key) + " (" + strconv.Itoa(int(code)) + ")"
	}
	return strconv.Itoa(int(code))
}
