package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The merchant portal, for a user who owns a merchant or works for one.
// The owner has every section; a cashier sees today's takings and the
// orders, and may not refund, make keys, change the webhook or the
// settlement card, or manage staff. The wallet service checks the same
// rules again (staffMerchant, ownMerchant): the portal only hides what it
// would refuse.

func (a *App) routesMerchant(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(h)) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(h))) }
	staff := func(h portalHandler) http.HandlerFunc { return a.inMerchant(false, h) }
	owner := func(h portalHandler) http.HandlerFunc { return a.inMerchant(true, h) }

	get("/merchant", a.merchantsPage)
	get("/merchant/apply", a.applyPage)
	post("/merchant/apply", a.apply)
	get("/merchant/{id}", staff(a.takingsPage))
	get("/merchant/{id}/orders", staff(a.ordersPage))
	get("/merchant/{id}/orders/{no}", staff(a.orderPage))
	post("/merchant/{id}/orders/{no}/refund", owner(a.refund))
	get("/merchant/{id}/qr", owner(a.qrPage))
	get("/merchant/{id}/qr.svg", owner(a.qrImage("svg")))
	get("/merchant/{id}/qr.png", owner(a.qrImage("png")))
	get("/merchant/{id}/keys", owner(a.keysPage))
	post("/merchant/{id}/keys", owner(a.newKey))
	post("/merchant/{id}/keys/{key}/rotate", owner(a.rotateKey))
	post("/merchant/{id}/keys/{key}/revoke", owner(a.revokeKey))
	get("/merchant/{id}/webhook", owner(a.webhookPage))
	post("/merchant/{id}/webhook", owner(a.setWebhook))
	post("/merchant/{id}/webhook/events/{event}/replay", owner(a.replayEvent))
	get("/merchant/{id}/settlements", owner(a.settlementsPage))
	post("/merchant/{id}/settlements/card", owner(a.setSettlementCard))
	get("/merchant/{id}/bill", owner(a.dailyBill))
	get("/merchant/{id}/staff", owner(a.staffPage))
	post("/merchant/{id}/staff", owner(a.addStaff))
	post("/merchant/{id}/staff/{user}/remove", owner(a.removeStaff))
}

// portal is the merchant a portal page is about, and the user's role.
type portal struct {
	M    wallet.Merchant
	Role string
}

// Owner reports whether the user owns the merchant.
func (p portal) Owner() bool { return p.Role == wallet.StaffOwner }

// Approved reports whether the merchant may take money.
func (p portal) Approved() bool { return p.M.Status == "approved" }

type portalHandler func(w http.ResponseWriter, r *http.Request, p portal)

// inMerchant loads the merchant of the path for its owner or staff; with
// ownerOnly, a cashier is refused (403) before the handler runs.
func (a *App) inMerchant(ownerOnly bool, h portalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, role, err := a.w.PortalMerchant(r.Context(), userOf(r), r.PathValue("id"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if ownerOnly && role != wallet.StaffOwner {
			a.renderError(w, r, http.StatusForbidden, "err.owner_only")
			return
		}
		h(w, r, portal{M: m, Role: role})
	}
}

// portalView starts a portal page: the section menu for the user's role.
func (a *App) portalView(w http.ResponseWriter, r *http.Request, p portal, title, section string) *view {
	v := a.newView(w, r, title)
	v.Context = p.M.DisplayName
	v.Portal = &p
	base := "/merchant/" + p.M.ID
	items := []struct{ path, label, key string }{{"", "portal.takings", "takings"}, {"/orders", "portal.orders", "orders"}, {"/disputes", "portal.disputes", "disputes"}}
	if p.Owner() {
		items = append(items, []struct{ path, label, key string }{{"/qr", "portal.qr", "qr"}, {"/keys", "portal.keys", "keys"},
			{"/webhook", "portal.webhook", "webhook"}, {"/settlements", "portal.settlements", "settlements"}, {"/staff", "portal.staff", "staff"}}...)
	}
	for _, it := range items {
		v.Menu = append(v.Menu, menuItem{Href: base + it.path, Label: it.label, Current: it.key == section})
	}
	return v
}

// merchantsPage lists the user's merchants, with the way to apply.
func (a *App) merchantsPage(w http.ResponseWriter, r *http.Request) {
	ms, err := a.w.MyMerchants(r.Context(), userOf(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "portal.title")
	v.Nav = "me"
	v.D = ms
	a.render(w, r, http.StatusOK, "merchants", v)
}

type applyData struct {
	Cards    []wallet.BankCard
	Verified bool
	MCCs     []string
}

// mccs are common merchant category codes (ISO 18245) the form offers;
// any four digits are accepted.
var mccs = []string{"5411", "5812", "5814", "5499", "5311", "5912", "5942", "7230", "4121", "5999"}

func (a *App) applyView(w http.ResponseWriter, r *http.Request) (*view, error) {
	u := userOf(r)
	cs, err := a.w.Cards(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	var ok []wallet.BankCard
	for _, c := range cs {
		if c.Status == "verified" && c.Type != "credit" {
			ok = append(ok, c)
		}
	}
	v := a.newView(w, r, "apply.title")
	v.Nav = "me"
	v.D = applyData{Cards: ok, Verified: u.Tier >= wallet.Tier1, MCCs: mccs}
	return v, nil
}

func (a *App) applyPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.applyView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v.Form = url.Values{"country": {"CN"}, "mcc": {"5411"}}
	a.render(w, r, http.StatusOK, "apply", v)
}

func (a *App) apply(w http.ResponseWriter, r *http.Request) {
	v, err := a.applyView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	u := userOf(r)
	m, err := a.w.ApplyMerchant(r.Context(), u, wallet.MerchantApplication{Name: r.PostFormValue("name"), DisplayName: r.PostFormValue("display_name"),
		MCC: strings.TrimSpace(r.PostFormValue("mcc")), Country: strings.ToUpper(strings.TrimSpace(r.PostFormValue("country"))), City: r.PostFormValue("city")})
	if err != nil {
		a.formError(w, r, "apply", v, err)
		return
	}
	if card := r.PostFormValue("card"); card != "" {
		if err := a.w.SetSettlementCard(r.Context(), u, m.ID, card); err != nil {
			a.log.Warn("web: settlement card at application", "merchant", m.ID, "err", err)
		}
	}
	http.Redirect(w, r, "/merchant/"+m.ID+"?applied=1", http.StatusSeeOther)
}

// takingsData is the portal's home: today's takings.
type takingsData struct {
	Bill     wallet.DailyBill
	Payments int // how many
	Chart    chart
	Balance  int64
	Recent   []wallet.MerchantOrder
}

func (a *App) takingsPage(w http.ResponseWriter, r *http.Request, p portal) {
	v := a.portalView(w, r, p, "portal.takings", "takings")
	if r.URL.Query().Get("applied") != "" {
		v.Notice = v.T("portal.applied")
	}
	d := takingsData{}
	if p.Approved() {
		today := time.Now().In(a.zone).Format("2006-01-02")
		b, err := a.w.StaffDailyBill(r.Context(), userOf(r), p.M.ID, today)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		d.Bill = b
		var hours [24]int64
		for _, row := range b.Rows {
			if row.Type == "payment" {
				d.Payments++
				hours[row.Time.In(a.zone).Hour()] += row.Amount
			}
		}
		d.Chart = hourChart(v.L, hours)
		if p.Owner() {
			if d.Balance, err = a.w.MerchantBalance(r.Context(), userOf(r), p.M.ID); err != nil {
				a.fail(w, r, err)
				return
			}
		}
		if d.Recent, err = a.w.MerchantOrders(r.Context(), userOf(r), p.M.ID, wallet.OrderQuery{Limit: 5}); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	v.D = d
	a.render(w, r, http.StatusOK, "takings", v)
}

// chart is a bar chart drawn on the server as SVG: no script, no inline
// style (the bars' geometry is in attributes, their colours in app.css).
type chart struct {
	Bars        []bar
	Width       int
	Height      int
	Max         string // the tallest bar's amount, formatted
	Label       string // what the chart shows, for screen readers
	Empty       bool
	BaseY, TopY int
}

type bar struct {
	X, Y, W, H int
	Title      string // the hour and its amount (a tooltip, and read out)
	Tick       string // the hour's label, every third hour
	TickX      int
}

const (
	chartH   = 160 // the bars' area
	chartTop = 16
	barW     = 18
	barGap   = 6
)

// hourChart draws a day's takings per hour (CNY minor units).
func hourChart(l Locale, hours [24]int64) chart {
	c := chart{Width: 24 * (barW + barGap), Height: chartTop + chartH + 22, BaseY: chartTop + chartH, TopY: chartTop}
	var top int64
	for _, h := range hours {
		top = max(top, h)
	}
	c.Empty = top == 0
	c.Max = l.Money(top, "CNY")
	c.Label = l.T("portal.chart_label", c.Max)
	for i, h := range hours {
		b := bar{X: i*(barW+barGap) + barGap/2, W: barW, Title: l.T("portal.chart_bar", i, i+1, l.Money(h, "CNY"))}
		if top > 0 && h > 0 {
			b.H = max(int(h*chartH/top), 2)
		}
		b.Y = chartTop + chartH - b.H
		if i%3 == 0 {
			b.Tick, b.TickX = fmt.Sprintf("%02d", i), b.X+barW/2
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// orderStatuses are the statuses the order search offers.
var orderStatuses = []string{"NOTPAY", "USERPAYING", "SUCCESS", "REFUND", "CLOSED", "REVERSED"}

type ordersData struct {
	Orders   []wallet.MerchantOrder
	Statuses []string
}

func (a *App) ordersPage(w http.ResponseWriter, r *http.Request, p portal) {
	q := r.URL.Query()
	v := a.portalView(w, r, p, "portal.orders", "orders")
	v.Form = url.Values{"no": {q.Get("no")}, "status": {q.Get("status")}, "date": {q.Get("date")}}
	oq := wallet.OrderQuery{OutTradeNo: q.Get("no"), Status: q.Get("status"), Limit: 100}
	if d := q.Get("date"); d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, a.zone)
		if err != nil {
			v.Error = v.T("err.date")
		} else {
			oq.From, oq.To = t, t.AddDate(0, 0, 1)
		}
	}
	d := ordersData{Statuses: orderStatuses}
	if p.Approved() && v.Error == "" {
		os, err := a.w.MerchantOrders(r.Context(), userOf(r), p.M.ID, oq)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		d.Orders = os
	}
	v.D = d
	a.render(w, r, http.StatusOK, "orders", v)
}

type orderData struct {
	Order      wallet.MerchantOrder
	Refunds    []wallet.MerchantRefund
	Refundable int64
	Payer      string
	Base       string // the order's page
	// The refund's confirmation step.
	Confirm  bool
	Amount   int64
	RefundNo string
}

func (a *App) orderView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	o, refunds, err := a.w.MerchantOrderDetail(r.Context(), userOf(r), p.M.ID, r.PathValue("no"))
	if err != nil {
		return nil, err
	}
	v := a.portalView(w, r, p, "portal.order", "orders")
	d := orderData{Order: o, Refunds: refunds, Base: "/merchant/" + p.M.ID + "/orders/" + url.PathEscape(o.OutTradeNo)}
	if o.Status == wallet.OrderSuccess || o.Status == "REFUND" {
		d.Refundable = o.Amount - o.Refunded
	}
	if o.PayerID != "" {
		d.Payer = a.w.UserName(r.Context(), o.PayerID)
	}
	v.D = d
	return v, nil
}

func (a *App) orderPage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.orderView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("refunded") != "" {
		v.Notice = v.T("portal.refunded")
	}
	d := v.D.(orderData)
	if d.Refundable > 0 {
		v.Form = url.Values{"amount": {v.L.Plain(d.Refundable, d.Order.Currency)}}
	}
	a.render(w, r, http.StatusOK, "order_detail", v)
}

// refund is two steps: the form's amount and reason come back as a page
// that says what will happen, with the refund's number fixed in it; only
// that page's button (confirm=1) refunds. The number makes a double
// submit one refund.
func (a *App) refund(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.orderView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(orderData)
	amount, ok := amountOf(r.PostFormValue("amount"), d.Order.Currency)
	if !ok {
		a.invalid(w, r, "order_detail", v, "err.amount")
		return
	}
	if amount > d.Refundable {
		a.invalid(w, r, "order_detail", v, "err.refund_exceeds_paid")
		return
	}
	if r.PostFormValue("confirm") == "" {
		d.Confirm, d.Amount, d.RefundNo = true, amount, newRefundNo()
		v.D = d
		v.Title = "portal.refund_confirm"
		a.render(w, r, http.StatusOK, "order_detail", v)
		return
	}
	_, err = a.w.TillRefund(r.Context(), userOf(r), p.M.ID, wallet.RefundRequest{OutTradeNo: d.Order.OutTradeNo,
		OutRefundNo: r.PostFormValue("refund_no"), Amount: amount, Reason: clip(strings.TrimSpace(r.PostFormValue("reason")), 200)})
	if err != nil {
		a.formError(w, r, "order_detail", v, err)
		return
	}
	http.Redirect(w, r, d.Base+"?refunded=1", http.StatusSeeOther)
}

// newRefundNo is a refund number for the portal's refunds ("W" and 24 hex
// digits: within the merchant API's 32 characters).
func newRefundNo() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "W" + hex.EncodeToString(b[:])
}

type qrData struct {
	Payload string
	QR      template.URL
}

func (a *App) qrPage(w http.ResponseWriter, r *http.Request, p portal) {
	v := a.portalView(w, r, p, "portal.qr", "qr")
	v.Scripts = []string{"app.js"}
	d := qrData{}
	if p.Approved() {
		payload, err := a.w.StoreQR(r.Context(), userOf(r), p.M.ID)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		qr, err := a.qrURL(payload)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		d.Payload, d.QR = payload, qr
	}
	v.D = d
	a.render(w, r, http.StatusOK, "qr", v)
}

// qrImage sends the store code as a file to download and print.
func (a *App) qrImage(ext string) portalHandler {
	return func(w http.ResponseWriter, r *http.Request, p portal) {
		payload, err := a.w.StoreQR(r.Context(), userOf(r), p.M.ID)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		var img []byte
		ctype := "image/svg+xml"
		if ext == "png" {
			img, err = receivecode.PNG(payload, 1024)
			ctype = "image/png"
		} else {
			img, err = receivecode.SVG(payload)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="store-qr-%s.%s"`, p.M.ID[:8], ext))
		w.Header().Set("Cache-Control", "private, no-store")
		_, _ = w.Write(img)
	}
}

type keysData struct {
	Keys []wallet.MerchantKey
	// NewID and NewSecret: the key just made; the secret is shown this once.
	NewID, NewSecret string
}

func (a *App) keysView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	ks, err := a.w.MerchantKeys(r.Context(), userOf(r), p.M.ID)
	if err != nil {
		return nil, err
	}
	v := a.portalView(w, r, p, "portal.keys", "keys")
	v.D = keysData{Keys: ks}
	return v, nil
}

func (a *App) keysPage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.keysView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("revoked") != "" {
		v.Notice = v.T("keys.revoked")
	}
	a.render(w, r, http.StatusOK, "keys", v)
}

// showKey renders the keys page with a key just made: not a redirect, so
// that the secret is in this one answer only (pages are not cached).
func (a *App) showKey(w http.ResponseWriter, r *http.Request, p portal, id, secret, notice string) {
	v, err := a.keysView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(keysData)
	d.NewID, d.NewSecret = id, secret
	v.D = d
	v.Notice = v.T(notice)
	a.render(w, r, http.StatusOK, "keys", v)
}

func (a *App) newKey(w http.ResponseWriter, r *http.Request, p portal) {
	id, secret, err := a.w.NewMerchantKey(r.Context(), userOf(r), p.M.ID, strings.TrimSpace(r.PostFormValue("ed25519_public_key")))
	if err != nil {
		v, verr := a.keysView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "keys", v, err)
		return
	}
	a.showKey(w, r, p, id, secret, "keys.created")
}

// rotateKey makes a new HMAC key and revokes the old one at once: the
// merchant's server must switch to the new secret now (to switch without
// a gap, create a key, deploy it, then revoke the old one).
func (a *App) rotateKey(w http.ResponseWriter, r *http.Request, p portal) {
	fail := func(err error) {
		v, verr := a.keysView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "keys", v, err)
	}
	id, secret, err := a.w.NewMerchantKey(r.Context(), userOf(r), p.M.ID, "")
	if err != nil {
		fail(err)
		return
	}
	if err := a.w.RevokeMerchantKey(r.Context(), userOf(r), p.M.ID, r.PathValue("key")); err != nil {
		fail(err)
		return
	}
	a.showKey(w, r, p, id, secret, "keys.rotated")
}

func (a *App) revokeKey(w http.ResponseWriter, r *http.Request, p portal) {
	if err := a.w.RevokeMerchantKey(r.Context(), userOf(r), p.M.ID, r.PathValue("key")); err != nil {
		v, verr := a.keysView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "keys", v, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+p.M.ID+"/keys?revoked=1", http.StatusSeeOther)
}

type webhookData struct {
	URL    string
	Secret string // shown once, after setting the URL
	Events []wallet.WebhookEvent
}

func (a *App) webhookView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	u := userOf(r)
	hook, err := a.w.MerchantWebhook(r.Context(), u, p.M.ID)
	if err != nil {
		return nil, err
	}
	evs, err := a.w.WebhookEvents(r.Context(), u, p.M.ID)
	if err != nil {
		return nil, err
	}
	v := a.portalView(w, r, p, "portal.webhook", "webhook")
	v.D = webhookData{URL: hook, Events: evs}
	if v.Form == nil {
		v.Form = url.Values{"url": {hook}}
	}
	return v, nil
}

func (a *App) webhookPage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.webhookView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("replayed") != "" {
		v.Notice = v.T("webhook.replayed")
	}
	a.render(w, r, http.StatusOK, "webhook", v)
}

func (a *App) setWebhook(w http.ResponseWriter, r *http.Request, p portal) {
	secret, err := a.w.SetWebhook(r.Context(), userOf(r), p.M.ID, strings.TrimSpace(r.PostFormValue("url")))
	v, verr := a.webhookView(w, r, p)
	if verr != nil {
		a.fail(w, r, verr)
		return
	}
	if err != nil {
		a.formError(w, r, "webhook", v, err)
		return
	}
	d := v.D.(webhookData)
	d.Secret = secret
	v.D = d
	v.Notice = v.T("webhook.saved")
	a.render(w, r, http.StatusOK, "webhook", v)
}

func (a *App) replayEvent(w http.ResponseWriter, r *http.Request, p portal) {
	if err := a.w.ReplayWebhookEvent(r.Context(), userOf(r), p.M.ID, r.PathValue("event")); err != nil {
		v, verr := a.webhookView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "webhook", v, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+p.M.ID+"/webhook?replayed=1", http.StatusSeeOther)
}

type settlementsData struct {
	Orders    []wallet.BankOrder
	Cards     []wallet.BankCard
	Card      string // the settlement card's id
	Yesterday string
}

func (a *App) settlementsView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	u := userOf(r)
	os, err := a.w.MerchantSettlements(r.Context(), u, p.M.ID)
	if err != nil {
		return nil, err
	}
	cs, err := a.w.Cards(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	d := settlementsData{Orders: os, Card: p.M.SettlementCard, Yesterday: time.Now().In(a.zone).AddDate(0, 0, -1).Format("2006-01-02")}
	for _, c := range cs {
		if c.Status == "verified" && c.Type != "credit" {
			d.Cards = append(d.Cards, c)
		}
	}
	v := a.portalView(w, r, p, "portal.settlements", "settlements")
	v.D = d
	return v, nil
}

func (a *App) settlementsPage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.settlementsView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	a.render(w, r, http.StatusOK, "settlements", v)
}

func (a *App) setSettlementCard(w http.ResponseWriter, r *http.Request, p portal) {
	if err := a.w.SetSettlementCard(r.Context(), userOf(r), p.M.ID, r.PostFormValue("card")); err != nil {
		v, verr := a.settlementsView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "settlements", v, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+p.M.ID+"/settlements?done=1", http.StatusSeeOther)
}

// dailyBill sends a day's bill (对账单) as CSV.
func (a *App) dailyBill(w http.ResponseWriter, r *http.Request, p portal) {
	date := r.URL.Query().Get("date")
	if _, err := time.Parse("2006-01-02", date); err != nil {
		a.renderError(w, r, http.StatusUnprocessableEntity, "err.date")
		return
	}
	var b wallet.DailyBill
	if p.Approved() {
		var err error
		if b, err = a.w.OwnerDailyBill(r.Context(), userOf(r), p.M.ID, date); err != nil {
			a.fail(w, r, err)
			return
		}
	} else {
		b.Date = date
	}
	var buf bytes.Buffer
	if err := b.WriteCSV(&buf, a.zone); err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="daily-bill-%s.csv"`, date))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (a *App) staffView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	st, err := a.w.MerchantStaff(r.Context(), userOf(r), p.M.ID)
	if err != nil {
		return nil, err
	}
	v := a.portalView(w, r, p, "portal.staff", "staff")
	v.D = st
	return v, nil
}

func (a *App) staffPage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.staffView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	a.render(w, r, http.StatusOK, "staff", v)
}

func (a *App) addStaff(w http.ResponseWriter, r *http.Request, p portal) {
	a.staffChange(w, r, p, func(ctx context.Context) error {
		return a.w.AddStaff(ctx, userOf(r), p.M.ID, r.PostFormValue("phone"), wallet.StaffCashier)
	})
}

func (a *App) removeStaff(w http.ResponseWriter, r *http.Request, p portal) {
	a.staffChange(w, r, p, func(ctx context.Context) error {
		return a.w.RemoveStaff(ctx, userOf(r), p.M.ID, r.PathValue("user"))
	})
}

func (a *App) staffChange(w http.ResponseWriter, r *http.Request, p portal, change func(context.Context) error) {
	if err := change(r.Context()); err != nil {
		v, verr := a.staffView(w, r, p)
		if verr != nil {
			a.fail(w, r, verr)
			return
		}
		a.formError(w, r, "staff", v, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+p.M.ID+"/staff?done=1", http.StatusSeeOther)
}
