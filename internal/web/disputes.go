package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/shiliantong/shiliantong/internal/api"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Disputes (售后): the user reports a problem with a bill and follows the
// ticket; the merchant portal answers the tickets on its payments; the
// operator console works the queue (overdue first) and decides. Images
// are uploaded with the forms (multipart) and served back only to the
// ticket's parties, as what their bytes are.

func (a *App) routesDisputes(mux *http.ServeMux) {
	get := func(p string, h http.HandlerFunc) { mux.HandleFunc("GET "+p, a.authed(h)) }
	post := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.form(a.authed(h))) }
	upload := func(p string, h http.HandlerFunc) { mux.HandleFunc("POST "+p, a.upload(a.authed(h))) }
	staff := func(h portalHandler) http.HandlerFunc { return a.inMerchant(false, h) }

	get("/app/disputes", a.myDisputesPage)
	get("/app/disputes/new", a.newDisputePage)
	upload("/app/disputes", a.openDispute)
	get("/app/disputes/{d}", a.myDisputePage)
	upload("/app/disputes/{d}/messages", a.myDisputeMessage)
	post("/app/disputes/{d}/withdraw", a.withdrawDispute)
	get("/app/disputes/{d}/images/{img}", a.myDisputeImage)

	get("/merchant/{id}/disputes", staff(a.portalDisputesPage))
	get("/merchant/{id}/disputes/{d}", staff(a.portalDisputePage))
	upload("/merchant/{id}/disputes/{d}/messages", staff(a.portalDisputeMessage))
	get("/merchant/{id}/disputes/{d}/images/{img}", staff(a.portalDisputeImage))

	get("/console/disputes", a.operator(a.consoleDisputesPage))
	get("/console/disputes/{d}", a.operator(a.consoleDisputePage))
	post("/console/disputes/{d}/decide", a.operator(a.consoleDecideDispute))
	upload("/console/disputes/{d}/messages", a.operator(a.consoleDisputeMessage))
	get("/console/disputes/{d}/images/{img}", a.operator(a.consoleDisputeImage))
}

// disputeListData is a list of tickets and where each one is read.
type disputeListData struct {
	Disputes []wallet.Dispute
	Base     string
}

// disputeData is a ticket's page.
type disputeData struct {
	Case   wallet.DisputeCase
	Base   string // the ticket's own path: its images and forms are under it
	Viewer string // user, merchant, operator
	// What the forms say of images.
	MaxImages, MaxKiB int
}

// disputeNewData is the form that opens a ticket.
type disputeNewData struct {
	Bill              wallet.Bill
	Reasons           []string
	MaxImages, MaxKiB int
}

func (a *App) imageLimits() (int, int) {
	n, b := a.w.DisputeLimits()
	return n, b >> 10
}

// formImages reads the images of a multipart form (field "images"), at
// most max of them, each read to at most limit+1 bytes (the wallet
// refuses what is larger, by its bytes).
func formImages(r *http.Request, limit, max int) ([][]byte, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out [][]byte
	for i, fh := range r.MultipartForm.File["images"] {
		if i >= max+1 { // one more than allowed, for the wallet to refuse
			break
		}
		if fh.Size == 0 {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (a *App) message(r *http.Request) (wallet.DisputeMessage, error) {
	n, b := a.w.DisputeLimits()
	imgs, err := formImages(r, b, n)
	return wallet.DisputeMessage{Text: clip(r.PostFormValue("text"), 2000), Images: imgs}, err
}

// serveImage sends a ticket's image with the API's headers.
func serveImage(w http.ResponseWriter, img wallet.DisputeAttachment) {
	for k, v := range api.AttachmentHeaders(img) {
		w.Header().Set(k, v)
	}
	_, _ = w.Write(img.Data)
}

// The wallet's pages.

func (a *App) myDisputesPage(w http.ResponseWriter, r *http.Request) {
	ds, err := a.w.MyDisputes(r.Context(), userOf(r), "")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.newView(w, r, "disputes.title")
	v.Nav = "me"
	v.D = disputeListData{Disputes: ds, Base: "/app/disputes"}
	a.render(w, r, http.StatusOK, "disputes", v)
}

func (a *App) newDisputeView(w http.ResponseWriter, r *http.Request, bill string) (*view, error) {
	b, err := a.w.Bill(r.Context(), userOf(r).ID, bill)
	if err != nil {
		return nil, err
	}
	v := a.newView(w, r, "dispute.new")
	v.Nav = "bills"
	n, kib := a.imageLimits()
	v.D = disputeNewData{Bill: b, Reasons: wallet.DisputeReasons, MaxImages: n, MaxKiB: kib}
	if v.Form == nil {
		v.Form = url.Values{}
	}
	return v, nil
}

func (a *App) newDisputePage(w http.ResponseWriter, r *http.Request) {
	v, err := a.newDisputeView(w, r, clip(r.URL.Query().Get("bill"), 64))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dispute_new", v)
}

func (a *App) openDispute(w http.ResponseWriter, r *http.Request) {
	bill := clip(r.PostFormValue("bill"), 64)
	v, err := a.newDisputeView(w, r, bill)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msg, err := a.message(r)
	if err != nil {
		a.invalid(w, r, "dispute_new", v, "err.bad_form")
		return
	}
	d, err := a.w.OpenDispute(r.Context(), userOf(r), wallet.DisputeRequest{TransferID: bill, Reason: r.PostFormValue("reason"),
		Description: clip(r.PostFormValue("description"), 2000), Images: msg.Images})
	if err != nil {
		a.formError(w, r, "dispute_new", v, err)
		return
	}
	http.Redirect(w, r, "/app/disputes/"+d.ID+"?done=1", http.StatusSeeOther)
}

func (a *App) disputeView(w http.ResponseWriter, r *http.Request, title string, c wallet.DisputeCase, base, viewer string) *view {
	v := a.newView(w, r, title)
	n, kib := a.imageLimits()
	v.D = disputeData{Case: c, Base: base, Viewer: viewer, MaxImages: n, MaxKiB: kib}
	if r.URL.Query().Get("done") != "" {
		v.Notice = v.T("settings.saved")
	}
	return v
}

func (a *App) myDisputeView(w http.ResponseWriter, r *http.Request) (*view, error) {
	c, err := a.w.MyDispute(r.Context(), userOf(r), r.PathValue("d"))
	if err != nil {
		return nil, err
	}
	v := a.disputeView(w, r, "dispute.title", c, "/app/disputes/"+c.Dispute.ID, wallet.AuthorUser)
	v.Nav = "me"
	return v, nil
}

func (a *App) myDisputePage(w http.ResponseWriter, r *http.Request) {
	v, err := a.myDisputeView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dispute", v)
}

func (a *App) myDisputeMessage(w http.ResponseWriter, r *http.Request) {
	v, err := a.myDisputeView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msg, err := a.message(r)
	if err == nil {
		_, err = a.w.UserDisputeMessage(r.Context(), userOf(r), r.PathValue("d"), msg)
	}
	if err != nil {
		a.formError(w, r, "dispute", v, err)
		return
	}
	http.Redirect(w, r, "/app/disputes/"+r.PathValue("d")+"?done=1", http.StatusSeeOther)
}

func (a *App) withdrawDispute(w http.ResponseWriter, r *http.Request) {
	if _, err := a.w.WithdrawDispute(r.Context(), userOf(r), r.PathValue("d")); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/app/disputes/"+r.PathValue("d")+"?done=1", http.StatusSeeOther)
}

func (a *App) myDisputeImage(w http.ResponseWriter, r *http.Request) {
	img, err := a.w.UserDisputeAttachment(r.Context(), userOf(r), r.PathValue("d"), r.PathValue("img"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	serveImage(w, img)
}

// The merchant portal's pages.

func (a *App) portalDisputesPage(w http.ResponseWriter, r *http.Request, p portal) {
	ds, err := a.w.MerchantDisputes(r.Context(), p.M, "")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.portalView(w, r, p, "portal.disputes", "disputes")
	v.D = disputeListData{Disputes: ds, Base: "/merchant/" + p.M.ID + "/disputes"}
	a.render(w, r, http.StatusOK, "disputes", v)
}

func (a *App) portalDisputeView(w http.ResponseWriter, r *http.Request, p portal) (*view, error) {
	c, err := a.w.MerchantDispute(r.Context(), p.M, r.PathValue("d"))
	if err != nil {
		return nil, err
	}
	d := a.disputeView(w, r, "dispute.title", c, "/merchant/"+p.M.ID+"/disputes/"+c.Dispute.ID, wallet.AuthorMerchant)
	v := a.portalView(w, r, p, "dispute.title", "disputes")
	v.D, v.Notice = d.D, d.Notice
	return v, nil
}

func (a *App) portalDisputePage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.portalDisputeView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dispute", v)
}

func (a *App) portalDisputeMessage(w http.ResponseWriter, r *http.Request, p portal) {
	v, err := a.portalDisputeView(w, r, p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msg, err := a.message(r)
	if err == nil {
		_, err = a.w.MerchantDisputeMessage(r.Context(), p.M, r.PathValue("d"), msg)
	}
	if err != nil {
		a.formError(w, r, "dispute", v, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+p.M.ID+"/disputes/"+r.PathValue("d")+"?done=1", http.StatusSeeOther)
}

func (a *App) portalDisputeImage(w http.ResponseWriter, r *http.Request, p portal) {
	img, err := a.w.MerchantDisputeAttachment(r.Context(), p.M, r.PathValue("d"), r.PathValue("img"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	serveImage(w, img)
}

// The operator console's pages.

func (a *App) consoleDisputesPage(w http.ResponseWriter, r *http.Request) {
	status := clip(r.URL.Query().Get("status"), 20)
	ds, err := a.w.OperatorDisputes(r.Context(), status)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v := a.consoleView(w, r, "console.disputes", "disputes")
	v.Form = url.Values{"status": {status}}
	v.D = disputeListData{Disputes: ds, Base: "/console/disputes"}
	a.render(w, r, http.StatusOK, "disputes", v)
}

func (a *App) consoleDisputeView(w http.ResponseWriter, r *http.Request) (*view, error) {
	c, err := a.w.OperatorDispute(r.Context(), r.PathValue("d"))
	if err != nil {
		return nil, err
	}
	d := a.disputeView(w, r, "dispute.title", c, "/console/disputes/"+c.Dispute.ID, wallet.AuthorOperator)
	v := a.consoleView(w, r, "dispute.title", "disputes")
	v.D, v.Notice = d.D, d.Notice
	return v, nil
}

func (a *App) consoleDisputePage(w http.ResponseWriter, r *http.Request) {
	v, err := a.consoleDisputeView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dispute", v)
}

func (a *App) consoleDecideDispute(w http.ResponseWriter, r *http.Request) {
	v, err := a.consoleDisputeView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := v.D.(disputeData)
	var amount int64
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" {
		var ok bool
		if amount, ok = amountOf(s, d.Case.Dispute.Currency); !ok || amount <= 0 {
			a.invalid(w, r, "dispute", v, "err.amount")
			return
		}
	}
	_, err = a.w.DecideDispute(r.Context(), d.Case.Dispute.ID, wallet.DisputeDecision{Decision: r.PostFormValue("decision"), Amount: amount,
		Reason: clip(r.PostFormValue("reason"), 1000)})
	if err != nil {
		a.formError(w, r, "dispute", v, err)
		return
	}
	http.Redirect(w, r, "/console/disputes/"+d.Case.Dispute.ID+"?done=1", http.StatusSeeOther)
}

func (a *App) consoleDisputeMessage(w http.ResponseWriter, r *http.Request) {
	v, err := a.consoleDisputeView(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	msg, err := a.message(r)
	if err == nil {
		_, err = a.w.OperatorDisputeMessage(r.Context(), r.PathValue("d"), msg)
	}
	if err != nil {
		a.formError(w, r, "dispute", v, err)
		return
	}
	http.Redirect(w, r, "/console/disputes/"+r.PathValue("d")+"?done=1", http.StatusSeeOther)
}

func (a *App) consoleDisputeImage(w http.ResponseWriter, r *http.Request) {
	img, err := a.w.OperatorDisputeAttachment(r.Context(), r.PathValue("d"), r.PathValue("img"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	serveImage(w, img)
}
