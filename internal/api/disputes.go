package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const disputeTag = "Disputes"

// DisputeView is a ticket on a bill.
type DisputeView struct {
	ID              string    `json:"id"`
	UserID          string    `json:"user_id"`
	TransferID      string    `json:"transfer_id" doc:"The disputed bill (its ledger transfer)."`
	Kind            string    `json:"kind" enum:"transfer,payment"`
	MerchantID      string    `json:"merchant_id,omitempty"`
	OrderID         string    `json:"order_id,omitempty"`
	Amount          int64     `json:"amount" doc:"What the bill paid, minor units."`
	Currency        string    `json:"currency"`
	Reason          string    `json:"reason" enum:"unauthorised,not_received,wrong_amount,refund_not_arrived"`
	Description     string    `json:"description,omitempty"`
	Status          string    `json:"status" enum:"awaiting_merchant,awaiting_operator,resolved,rejected,closed"`
	DueAt           time.Time `json:"due_at,omitzero" doc:"When the party the ticket waits for must have acted."`
	Overdue         bool      `json:"overdue" doc:"The operators let the deadline pass."`
	MerchantOverdue bool      `json:"merchant_overdue" doc:"The merchant did not answer in time: the ticket was escalated."`
	Decision        string    `json:"decision,omitempty" enum:"refund,insurance,reject,"`
	DecisionNote    string    `json:"decision_note,omitempty"`
	Paid            int64     `json:"paid" doc:"What the decision paid back, minor units."`
	ClaimID         string    `json:"claim_id,omitempty"`
	Attachments     int       `json:"attachments"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	DecidedAt       time.Time `json:"decided_at,omitzero"`
}

// AttachmentView is an image on a timeline entry.
type AttachmentView struct {
	ID          string `json:"id"`
	ContentType string `json:"content_type" enum:"image/png,image/jpeg,image/webp"`
	Size        int    `json:"size"`
	URL         string `json:"url" doc:"Where the image is served (to the ticket's parties, with the same credentials)."`
}

// EntryView is one entry of a ticket's timeline.
type EntryView struct {
	ID          string           `json:"id"`
	Author      string           `json:"author" enum:"user,merchant,operator,system"`
	Kind        string           `json:"kind" enum:"opened,message,reminded,escalated,overdue,decided,withdrawn"`
	Body        string           `json:"body,omitempty"`
	Attachments []AttachmentView `json:"attachments"`
	CreatedAt   time.Time        `json:"created_at"`
}

// DisputeCaseView is a ticket with its timeline.
type DisputeCaseView struct {
	DisputeView
	Timeline   []EntryView `json:"timeline"`
	Refundable int64       `json:"refundable,omitempty" doc:"Payments: what of the order is not refunded yet."`
}

func disputeView(d wallet.Dispute) DisputeView {
	return DisputeView{ID: d.ID, UserID: d.UserID, TransferID: d.TransferID, Kind: d.Kind, MerchantID: d.MerchantID, OrderID: d.OrderID,
		Amount: d.Amount, Currency: d.Currency, Reason: d.Reason, Description: d.Description, Status: d.Status, DueAt: d.DueAt,
		Overdue: d.Overdue, MerchantOverdue: d.MerchantOverdue, Decision: d.Decision, DecisionNote: d.DecisionNote, Paid: d.Paid,
		ClaimID: d.ClaimID, Attachments: d.Attachments, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, DecidedAt: d.DecidedAt}
}

func disputeViews(ds []wallet.Dispute) []DisputeView {
	out := make([]DisputeView, 0, len(ds))
	for _, d := range ds {
		out = append(out, disputeView(d))
	}
	return out
}

// caseView is a ticket as one party sees it; base is where that party
// reads the ticket (its images are under it).
func caseView(c wallet.DisputeCase, base string) DisputeCaseView {
	v := DisputeCaseView{DisputeView: disputeView(c.Dispute), Refundable: c.Refundable, Timeline: make([]EntryView, 0, len(c.Entries))}
	for _, e := range c.Entries {
		ev := EntryView{ID: e.ID, Author: e.Author, Kind: e.Kind, Body: e.Body, CreatedAt: e.CreatedAt, Attachments: []AttachmentView{}}
		for _, a := range e.Attachments {
			ev.Attachments = append(ev.Attachments, AttachmentView{ID: a.ID, ContentType: a.ContentType, Size: a.Size,
				URL: base + "/" + c.Dispute.ID + "/attachments/" + a.ID})
		}
		v.Timeline = append(v.Timeline, ev)
	}
	return v
}

type disputeOutput struct{ Body DisputeView }

type caseOutput struct{ Body DisputeCaseView }

type disputesOutput struct {
	Body struct {
		Disputes []DisputeView `json:"disputes"`
	}
}

func listOutput(ds []wallet.Dispute) *disputesOutput {
	out := &disputesOutput{}
	out.Body.Disputes = disputeViews(ds)
	return out
}

// messageBody is a message on a ticket: text and/or images, each image
// base64 in the JSON.
type messageBody struct {
	Text   string   `json:"text,omitempty" maxLength:"2000"`
	Images [][]byte `json:"images,omitempty" maxItems:"6" doc:"PNG, JPEG or WebP images (base64), at most 2 MiB each and 6 per ticket; told by their bytes."`
}

func (m messageBody) message() wallet.DisputeMessage {
	return wallet.DisputeMessage{Text: m.Text, Images: m.Images}
}

type idInput struct {
	ID string `path:"id" maxLength:"64"`
}

type messageInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body messageBody
}

type statusQuery struct {
	Status string `query:"status" enum:"open,awaiting_merchant,awaiting_operator,resolved,rejected,closed," doc:"open: waiting for the merchant or the operators."`
}

type attachmentInput struct {
	ID         string `path:"id" maxLength:"64"`
	Attachment string `path:"attachment" maxLength:"64"`
}

// attachmentOutput is an image, served as what its bytes are, never
// sniffed as anything else, and not kept by shared caches.
type attachmentOutput struct {
	ContentType  string `header:"Content-Type"`
	Disposition  string `header:"Content-Disposition"`
	NoSniff      string `header:"X-Content-Type-Options"`
	CacheControl string `header:"Cache-Control"`
	CSP          string `header:"Content-Security-Policy"`
	Body         []byte
}

// AttachmentHeaders are the headers an image of a ticket is served with.
func AttachmentHeaders(a wallet.DisputeAttachment) map[string]string {
	ext := strings.TrimPrefix(a.ContentType, "image/")
	if ext == "jpeg" {
		ext = "jpg"
	}
	return map[string]string{
		"Content-Type":            a.ContentType,
		"Content-Disposition":     `inline; filename="dispute-image-` + a.ID + "." + ext + `"`,
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "private, no-store",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	}
}

func attachmentOut(a wallet.DisputeAttachment) *attachmentOutput {
	h := AttachmentHeaders(a)
	return &attachmentOutput{ContentType: h["Content-Type"], Disposition: h["Content-Disposition"], NoSniff: h["X-Content-Type-Options"],
		CacheControl: h["Cache-Control"], CSP: h["Content-Security-Policy"], Body: a.Data}
}

var attachmentResponses = map[string]*huma.Response{
	"200": {Description: "The image.", Content: map[string]*huma.MediaType{"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
}

func registerDisputes(a huma.API, w *wallet.Service) {
	maxImages, maxBytes := w.DisputeLimits()
	// A message's body: its images in base64 (4/3 of their size) and text.
	bodyLimit := int64(maxImages)*int64(maxBytes)*4/3 + 64<<10
	registerUserDisputes(a, w, bodyLimit)
	registerMerchantDisputes(a, w)
	registerOperatorDisputes(a, w, bodyLimit)
}

func registerUserDisputes(a huma.API, w *wallet.Service, bodyLimit int64) {
	const base = "/v1/me/disputes"
	errs := []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity}
	huma.Register(a, huma.Operation{
		OperationID: "openDispute", Method: http.MethodPost, Path: base, Tags: []string{disputeTag},
		Summary: "Open a ticket (售后) on one of my bills", Security: sessionOnly, DefaultStatus: http.StatusCreated, MaxBodyBytes: bodyLimit,
		Description: "A transfer or a merchant payment I paid, for a reason from the list. A bill has one open ticket at a time (409 dispute_open). " +
			"Images are PNG, JPEG or WebP, base64 in the JSON.",
		Errors: errs,
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			TransferID  string   `json:"transfer_id" maxLength:"64" doc:"The bill's id (its ledger transfer)."`
			Reason      string   `json:"reason" enum:"unauthorised,not_received,wrong_amount,refund_not_arrived"`
			Description string   `json:"description,omitempty" maxLength:"2000"`
			Images      [][]byte `json:"images,omitempty" maxItems:"6" doc:"PNG, JPEG or WebP images (base64), at most 2 MiB each."`
		}
	}) (*disputeOutput, error) {
		d, err := w.OpenDispute(ctx, userFrom(ctx), wallet.DisputeRequest{TransferID: in.Body.TransferID, Reason: in.Body.Reason,
			Description: in.Body.Description, Images: in.Body.Images})
		if err != nil {
			return nil, err
		}
		return &disputeOutput{Body: disputeView(d)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "myDisputes", Method: http.MethodGet, Path: base, Tags: []string{disputeTag},
		Summary: "My tickets, newest first", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *statusQuery) (*disputesOutput, error) {
		ds, err := w.MyDisputes(ctx, userFrom(ctx), in.Status)
		if err != nil {
			return nil, err
		}
		return listOutput(ds), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "myDispute", Method: http.MethodGet, Path: base + "/{id}", Tags: []string{disputeTag},
		Summary: "One of my tickets with its timeline", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *idInput) (*caseOutput, error) {
		c, err := w.MyDispute(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "addDisputeMessage", Method: http.MethodPost, Path: base + "/{id}/messages", Tags: []string{disputeTag},
		Summary: "Add a message (and images) to my open ticket", Security: sessionOnly, DefaultStatus: http.StatusCreated, MaxBodyBytes: bodyLimit,
		Errors: errs,
	}, wrap(func(ctx context.Context, in *messageInput) (*caseOutput, error) {
		c, err := w.UserDisputeMessage(ctx, userFrom(ctx), in.ID, in.Body.message())
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "withdrawDispute", Method: http.MethodPost, Path: base + "/{id}/withdraw", Tags: []string{disputeTag},
		Summary: "Withdraw my open ticket", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *idInput) (*disputeOutput, error) {
		d, err := w.WithdrawDispute(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &disputeOutput{Body: disputeView(d)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "myDisputeAttachment", Method: http.MethodGet, Path: base + "/{id}/attachments/{attachment}", Tags: []string{disputeTag},
		Summary: "An image of one of my tickets", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
		Responses: attachmentResponses,
	}, wrap(func(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
		att, err := w.UserDisputeAttachment(ctx, userFrom(ctx), in.ID, in.Attachment)
		if err != nil {
			return nil, err
		}
		return attachmentOut(att), nil
	}))
}

func registerMerchantDisputes(a huma.API, w *wallet.Service) {
	const base = "/v1/merchant/disputes"
	huma.Register(a, huma.Operation{
		OperationID: "merchantDisputes", Method: http.MethodGet, Path: base, Tags: []string{merchantAPITag, disputeTag},
		Summary: "Tickets on the merchant's payments, newest first", Security: signedOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *statusQuery) (*disputesOutput, error) {
		ds, err := w.MerchantDisputes(ctx, merchantFrom(ctx), in.Status)
		if err != nil {
			return nil, err
		}
		return listOutput(ds), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "merchantDispute", Method: http.MethodGet, Path: base + "/{id}", Tags: []string{merchantAPITag, disputeTag},
		Summary: "A ticket on one of the merchant's payments, with its timeline", Security: signedOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *idInput) (*caseOutput, error) {
		c, err := w.MerchantDispute(ctx, merchantFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "answerDispute", Method: http.MethodPost, Path: base + "/{id}/messages", Tags: []string{merchantAPITag, disputeTag},
		Summary: "Answer a ticket (the first answer passes it to the operators)", Security: signedOnly, DefaultStatus: http.StatusCreated,
		Description: "Signed bodies are at most 1 MiB, images included; larger images are sent from the merchant portal.",
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *messageInput) (*caseOutput, error) {
		c, err := w.MerchantDisputeMessage(ctx, merchantFrom(ctx), in.ID, in.Body.message())
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "merchantDisputeAttachment", Method: http.MethodGet, Path: base + "/{id}/attachments/{attachment}", Tags: []string{merchantAPITag, disputeTag},
		Summary: "An image of a ticket on one of the merchant's payments", Security: signedOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound}, Responses: attachmentResponses,
	}, wrap(func(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
		att, err := w.MerchantDisputeAttachment(ctx, merchantFrom(ctx), in.ID, in.Attachment)
		if err != nil {
			return nil, err
		}
		return attachmentOut(att), nil
	}))
}

func registerOperatorDisputes(a huma.API, w *wallet.Service, bodyLimit int64) {
	const base = "/v1/operator/disputes"
	huma.Register(a, huma.Operation{
		OperationID: "operatorDisputes", Method: http.MethodGet, Path: base, Tags: []string{disputeTag},
		Summary: "The tickets' queue: overdue first, then by deadline (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *statusQuery) (*disputesOutput, error) {
		ds, err := w.OperatorDisputes(ctx, in.Status)
		if err != nil {
			return nil, err
		}
		return listOutput(ds), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "operatorDispute", Method: http.MethodGet, Path: base + "/{id}", Tags: []string{disputeTag},
		Summary: "A ticket with its timeline (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *idInput) (*caseOutput, error) {
		c, err := w.OperatorDispute(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "operatorDisputeMessage", Method: http.MethodPost, Path: base + "/{id}/messages", Tags: []string{disputeTag},
		Summary: "Write on a ticket's timeline (operators)", Security: operatorOnly, DefaultStatus: http.StatusCreated, MaxBodyBytes: bodyLimit,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *messageInput) (*caseOutput, error) {
		c, err := w.OperatorDisputeMessage(ctx, in.ID, in.Body.message())
		if err != nil {
			return nil, err
		}
		return &caseOutput{Body: caseView(c, base)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "decideDispute", Method: http.MethodPost, Path: base + "/{id}/decide", Tags: []string{disputeTag},
		Summary: "Decide a ticket: a refund from the merchant, an insurance claim, or a rejection with reasons (operators)", Security: operatorOnly,
		Description: "refund: merchant payments only, at most what is not refunded yet (amount 0: all of it), paid once however often it is decided. " +
			"insurance: unauthorised money-outs covered by the user's account-security insurance (422 not_insured otherwise). reject: reason required.",
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Decision string `json:"decision" enum:"refund,insurance,reject"`
			Amount   int64  `json:"amount,omitempty" minimum:"0" doc:"refund: minor units; 0 or absent refunds all that is left."`
			Reason   string `json:"reason,omitempty" maxLength:"1000" doc:"Required to reject; a note otherwise."`
		}
	}) (*disputeOutput, error) {
		d, err := w.DecideDispute(ctx, in.ID, wallet.DisputeDecision{Decision: in.Body.Decision, Amount: in.Body.Amount, Reason: in.Body.Reason})
		if err != nil {
			return nil, err
		}
		return &disputeOutput{Body: disputeView(d)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "operatorDisputeAttachment", Method: http.MethodGet, Path: base + "/{id}/attachments/{attachment}", Tags: []string{disputeTag},
		Summary: "An image of a ticket (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
		Responses: attachmentResponses,
	}, wrap(func(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
		att, err := w.OperatorDisputeAttachment(ctx, in.ID, in.Attachment)
		if err != nil {
			return nil, err
		}
		return attachmentOut(att), nil
	}))
}
