package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/money"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The wallet for people: home, transfers, receive code, payment requests,
// cards, top-ups and withdrawals, identity. Bills, notifications and
// settings are in records.go; paying merchants in pay.go and paycode.go.

func (a *App) routesWallet(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(h)) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(h))) }
	get("/app", a.home)
	get("/app/transfer", a.transferPage)
	post("/app/transfer", a.transfer)
	get("/app/receive", a.receivePage)
	mux.HandleFunc("GET /r/{token}", a.receiveCodeLink)
	get("/app/requests", a.requestsPage)
	post("/app/requests", a.createRequest)
	post("/app/requests/{id}/pay", a.payRequest)
	post("/app/requests/{id}/decline", a.declineRequest)
	get("/app/cards", a.cardsPage)
	post("/app/cards", a.linkCard)
	post("/app/cards/{id}/verify", a.verifyCard)
	post("/app/cards/{id}/remove", a.removeCard)
	get("/app/identity", a.identityPage)
	post("/app/identity", a.verifyIdentity)
	get("/app/topup", a.bankPage("topup"))
	post("/app/topup", a.bankOrder("topup"))
	get("/app/withdraw", a.bankPage("withdraw"))
	post("/app/withdraw", a.bankOrder("withdraw"))
	get("/app/bank-orders/{id}", a.bankOrderPage)
	post("/app/payees/report", a.reportPayee)
	get("/app/security", a.securityPage)
	a.routesRecords(get, post)
	a.routesPay(get, post)
	a.routesUpload(mux)
}

// newKey is a fresh idempotency key for a form that moves money: the form
// carries it, so that a double submit moves the money once.
func newKey() string { return ledger.NewID().String() }

// amountOf parses a form's amount in a currency's major units ("35.50")
// into minor units, never through a float.
func amountOf(s, cur string) (int64, bool) {
	c, err := money.Lookup(cur)
	if err != nil {
		return 0, false
	}
	n, err := money.ParseAmount(strings.TrimSpace(strings.ReplaceAll(s, ",", "")), c)
	return n, err == nil && n > 0
}

type homeData struct {
	Balances []wallet.Balance
	Bills    []wallet.Bill
	Unread   int
	PINSet   bool
	Tier     int
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	bal, err := a.w.Wallets(r.Context(), u.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	bills, err := a.w.Bills(r.Context(), u.ID, wallet.BillFilter{Limit: 3})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "home.title")
	v.Nav = "home"
	v.D = homeData{Balances: bal, Bills: bills.Bills, PINSet: u.PINHash != "", Tier: int(u.Tier)}
	a.render(w, r, http.StatusOK, "home", v)
}

// transferData is the transfer form.
type transferData struct {
	Key        string
	Currencies []string
	To         string // a receive code's payee, when the form came from one
	Fixed      bool   // the receive code fixes the amount
	// Reported: other users reported the payee (the payer confirms).
	Reported int
}

func (a *App) transferView(w http.ResponseWriter, r *http.Request) *view {
	v := a.newView(w, r, "transfer.title")
	key := r.PostFormValue("key")
	if key == "" {
		key = newKey()
	}
	v.D = transferData{Key: key, Currencies: a.w.SupportedCurrencies()}
	v.Scripts = []string{"app.js", "passkey.js"}
	return v
}

func (a *App) transferPage(w http.ResponseWriter, r *http.Request) {
	v := a.transferView(w, r)
	q := r.URL.Query()
	v.Form = url.Values{"to": {q.Get("to")}, "currency": {"CNY"}, "note": {q.Get("note")}}
	if amt, cur := q.Get("amount"), q.Get("currency"); amt != "" && cur != "" {
		v.Form.Set("amount", amt)
		v.Form.Set("currency", cur)
	}
	a.render(w, r, http.StatusOK, "transfer", v)
}

func (a *App) transfer(w http.ResponseWriter, r *http.Request) {
	v := a.transferView(w, r)
	cur := r.PostFormValue("currency")
	amount, ok := amountOf(r.PostFormValue("amount"), cur)
	if !ok {
		a.invalid(w, r, "transfer", v, "err.amount")
		return
	}
	// A payee others reported: the payer is warned, and must say they
	// still want to pay.
	if pw, err := a.w.CheckPayee(r.Context(), userOf(r), r.PostFormValue("to")); err == nil && pw.Reports > 0 && r.PostFormValue("accept_risk") != "1" {
		d := v.D.(transferData)
		d.Reported = pw.Reports
		v.D = d
		v.Form = r.PostForm
		v.Error = v.T("payee.reported", pw.Reports)
		a.render(w, r, http.StatusConflict, "transfer", v)
		return
	}
	rc, err := a.w.Transfer(r.Context(), userOf(r), wallet.P2PRequest{To: strings.TrimSpace(r.PostFormValue("to")), Amount: amount, Currency: cur,
		PIN: r.PostFormValue("pin"), Passkey: []byte(r.PostFormValue("passkey")), Note: r.PostFormValue("note"), IdempotencyKey: r.PostFormValue("key"), SessionStarted: sessionOf(r).CreatedAt, Device: sessionOf(r).DeviceID})
	if err != nil {
		a.formError(w, r, "transfer", v, err)
		return
	}
	http.Redirect(w, r, "/app/bills/"+rc.TransferID+"?done=1", http.StatusSeeOther)
}

// receiveCodeLink is where a receive code's URL leads a phone's camera:
// the transfer form with the payee (and amount) filled in.
func (a *App) receiveCodeLink(w http.ResponseWriter, r *http.Request) {
	to := "/app/transfer?to=" + url.QueryEscape(r.PathValue("token"))
	if _, _, ok := a.session(r); !ok {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(to), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type receiveData struct {
	Payload string
	QR      template.URL // data: URL of the code's SVG
	Amount  int64
	Cur     string
	Note    string
}

func (a *App) receivePage(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "receive.title")
	v.Nav = "home"
	q := r.URL.Query()
	d := receiveData{Cur: "CNY"}
	if s := q.Get("amount"); s != "" {
		d.Cur = q.Get("currency")
		amt, ok := amountOf(s, d.Cur)
		if !ok {
			v.Error = v.T("err.amount")
		} else {
			d.Amount, d.Note = amt, q.Get("note")
		}
	}
	v.Form = url.Values{"amount": {q.Get("amount")}, "note": {q.Get("note")}}
	cur := d.Cur
	if d.Amount == 0 {
		cur = ""
	}
	p, err := a.w.ReceiveCode(r.Context(), userOf(r), d.Amount, cur, d.Note)
	if err != nil {
		v.Error = a.errText(v.L, err)
		if p, err = a.w.ReceiveCode(r.Context(), userOf(r), 0, "", ""); err != nil {
			a.fail(w, r, err)
			return
		}
		d.Amount = 0
	}
	d.Payload = p
	qr, err := a.qrURL(p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d.QR = qr
	v.D = d
	a.render(w, r, http.StatusOK, "receive", v)
}

type requestsData struct {
	Requests []requestRow
	Key      string
}

type requestRow struct {
	wallet.PaymentRequest
	Incoming bool   // the user is asked to pay
	Other    string // the other person's name
}

func (a *App) requestsView(w http.ResponseWriter, r *http.Request) (*view, error) {
	u := userOf(r)
	rs, err := a.w.PaymentRequests(r.Context(), u)
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "requests.title")
	d := requestsData{Key: newKey()}
	for _, x := range rs {
		row := requestRow{PaymentRequest: x, Incoming: x.PayerID == u.ID}
		other := x.PayerID
		if row.Incoming {
			other = x.RequesterID
		}
		row.Other = a.w.UserName(r.Context(), other)
		d.Requests = append(d.Requests, row)
	}
	v.D = d
	return v, nil
}

func (a *App) requestsPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.requestsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("requests.sent")
	}
	v.Form = url.Values{"currency": {"CNY"}}
	a.render(w, r, http.StatusOK, "requests", v)
}

func (a *App) createRequest(w http.ResponseWriter, r *http.Request) {
	v, err := a.requestsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cur := r.PostFormValue("currency")
	amount, ok := amountOf(r.PostFormValue("amount"), cur)
	if !ok {
		a.invalid(w, r, "requests", v, "err.amount")
		return
	}
	if _, err := a.w.RequestPayment(r.Context(), userOf(r), r.PostFormValue("from"), amount, cur, r.PostFormValue("note")); err != nil {
		a.formError(w, r, "requests", v, err)
		return
	}
	http.Redirect(w, r, "/app/requests?done=1", http.StatusSeeOther)
}

func (a *App) payRequest(w http.ResponseWriter, r *http.Request) {
	rc, err := a.w.PayRequest(r.Context(), userOf(r), r.PathValue("id"), r.PostFormValue("pin"))
	if err != nil {
		v, verr := a.requestsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "requests", v, err)
		return
	}
	http.Redirect(w, r, "/app/bills/"+rc.TransferID+"?done=1", http.StatusSeeOther)
}

func (a *App) declineRequest(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.DeclineRequest(r.Context(), userOf(r), r.PathValue("id")); err != nil {
		v, verr := a.requestsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "requests", v, err)
		return
	}
	http.Redirect(w, r, "/app/requests", http.StatusSeeOther)
}

type cardsData struct {
	Cards    []wallet.BankCard
	Verified bool // the user's real name is verified
	Name     string
	// Pending is the card just linked, waiting for its code; Sandbox is
	// the code the sandbox bank "texted".
	Pending, Sandbox string
}

func (a *App) cardsView(w http.ResponseWriter, r *http.Request) (*view, error) {
	u := userOf(r)
	cs, err := a.w.Cards(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "cards.title")
	v.D = cardsData{Cards: cs, Verified: u.RealName != "", Name: u.RealName}
	return v, nil
}

func (a *App) cardsPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.cardsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("verified") != "" {
		v.Notice = v.T("cards.verified")
	}
	a.render(w, r, http.StatusOK, "cards", v)
}

func (a *App) linkCard(w http.ResponseWriter, r *http.Request) {
	v, err := a.cardsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	u := userOf(r)
	holder := r.PostFormValue("holder")
	if holder == "" {
		holder = u.RealName
	}
	c, err := a.w.LinkCard(r.Context(), u, r.PostFormValue("number"), holder)
	if err != nil {
		a.formError(w, r, "cards", v, err)
		return
	}
	// Shown here, not redirected: the code's hint is for this page only.
	v, err = a.cardsView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(cardsData)
	d.Pending, d.Sandbox = c.ID, c.SandboxCode
	v.D = d
	v.Notice = v.T("cards.code_sent")
	a.render(w, r, http.StatusOK, "cards", v)
}

func (a *App) verifyCard(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.VerifyCard(r.Context(), userOf(r), r.PathValue("id"), strings.TrimSpace(r.PostFormValue("code"))); err != nil {
		v, verr := a.cardsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		d := v.D.(cardsData)
		d.Pending = r.PathValue("id")
		v.D = d
		a.formError(w, r, "cards", v, err)
		return
	}
	http.Redirect(w, r, "/app/cards?verified=1", http.StatusSeeOther)
}

func (a *App) removeCard(w http.ResponseWriter, r *http.Request) {
	if err := a.w.RemoveCard(r.Context(), userOf(r), r.PathValue("id")); err != nil {
		v, verr := a.cardsView(w, r)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "cards", v, err)
		return
	}
	http.Redirect(w, r, "/app/cards", http.StatusSeeOther)
}

func (a *App) identityPage(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "identity.title")
	v.Form = url.Values{"type": {"resident_id"}}
	a.render(w, r, http.StatusOK, "identity", v)
}

func (a *App) verifyIdentity(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "identity.title")
	_, err := a.w.VerifyIdentity(r.Context(), userOf(r), wallet.IdentityRequest{Name: r.PostFormValue("name"), Type: r.PostFormValue("type"),
		Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))), Number: r.PostFormValue("number")})
	if err != nil {
		a.formError(w, r, "identity", v, err)
		return
	}
	http.Redirect(w, r, "/app/cards", http.StatusSeeOther)
}

type bankData struct {
	Kind  string // topup, withdraw
	Cards []wallet.BankCard
	Key   string
	Fee   bool
}

func (a *App) bankView(w http.ResponseWriter, r *http.Request, kind string) (*view, error) {
	cs, err := a.w.Cards(r.Context(), userOf(r).ID)
	if err != nil {
		return nil, err
	}
	var ok []wallet.BankCard
	for _, c := range cs {
		if c.Status == "verified" && (kind == "topup" || c.Type != "credit") {
			ok = append(ok, c)
		}
	}
	v := a.newView(w, r, kind+".title")
	key := r.PostFormValue("key")
	if key == "" {
		key = newKey()
	}
	v.D = bankData{Kind: kind, Cards: ok, Key: key, Fee: kind == "withdraw"}
	return v, nil
}

func (a *App) bankPage(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := a.bankView(w, r, kind)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		a.render(w, r, http.StatusOK, "bank", v)
	}
}

func (a *App) bankOrder(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := a.bankView(w, r, kind)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		amount, ok := amountOf(r.PostFormValue("amount"), "CNY")
		if !ok {
			a.invalid(w, r, "bank", v, "err.amount")
			return
		}
		req := wallet.BankOrderRequest{CardID: r.PostFormValue("card"), Amount: amount, Currency: "CNY", PIN: r.PostFormValue("pin"),
			IdempotencyKey: r.PostFormValue("key")}
		var o wallet.BankOrder
		if kind == "topup" {
			o, err = a.w.TopUp(r.Context(), userOf(r), req)
		} else {
			o, err = a.w.Withdraw(r.Context(), userOf(r), req)
		}
		if err != nil {
			a.formError(w, r, "bank", v, err)
			return
		}
		http.Redirect(w, r, "/app/bank-orders/"+o.ID, http.StatusSeeOther)
	}
}

func (a *App) bankOrderPage(w http.ResponseWriter, r *http.Request) {
	o, err := a.w.Order(r.Context(), userOf(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "order.title")
	if o.Status == wallet.OrderProcessing {
		v.Refresh = 2
	}
	v.D = o
	a.render(w, r, http.StatusOK, "order", v)
}

// since parses a time in Unix milliseconds (a page's, for its poll).
func since(s string) time.Time {
	var ms int64
	for _, c := range s {
		if c < '0' || c > '9' || ms > 1<<50 {
			return time.Time{}
		}
		ms = ms*10 + int64(c-'0')
	}
	return time.UnixMilli(ms)
}

// reportPayee reports the payee of a transfer the user made.
func (a *App) reportPayee(w http.ResponseWriter, r *http.Request) {
	bill := clip(r.PostFormValue("bill"), 64)
	if err := a.w.ReportPayeeOfBill(r.Context(), userOf(r), bill, clip(r.PostFormValue("reason"), 300)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/bills/"+url.PathEscape(bill)+"?reported=1", http.StatusSeeOther)
}

// securityPage is the security centre: short lessons, and where to stop
// payments or report a fraudster.
func (a *App) securityPage(w http.ResponseWriter, r *http.Request) {
	v := a.newView(w, r, "security.title")
	v.Nav = "me"
	a.render(w, r, http.StatusOK, "security", v)
}
