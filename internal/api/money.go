package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// WalletView is one of my wallets with its balance.
type WalletView struct {
	Currency  string    `json:"currency" example:"CNY"`
	Available int64     `json:"available" doc:"Minor units that may be spent now."`
	Pending   int64     `json:"pending" doc:"Minor units on their way out (withdrawals waiting for the bank)."`
	Incoming  int64     `json:"incoming" doc:"Minor units on their way in."`
	AccountID string    `json:"account_id" doc:"The wallet's ledger account."`
	OpenedAt  time.Time `json:"opened_at"`
}

func walletView(b wallet.Balance) WalletView {
	return WalletView{Currency: b.Currency, Available: b.Available, Pending: b.Pending, Incoming: b.Incoming, AccountID: b.AccountID, OpenedAt: b.OpenedAt}
}

// BillView is one line of my bill list.
type BillView struct {
	ID           string    `json:"id"`
	Type         string    `json:"type" enum:"transfer,payment,refund,top_up,withdrawal,fee,other"`
	Amount       int64     `json:"amount" doc:"Signed minor units: + money in, - money out."`
	Currency     string    `json:"currency"`
	Counterparty string    `json:"counterparty"`
	Status       string    `json:"status" enum:"completed,processing,failed"`
	Note         string    `json:"note,omitempty"`
	Time         time.Time `json:"time"`
}

// TransferBody is the body of POST /v1/transfers.
type TransferBody struct {
	To       string             `json:"to" maxLength:"512" doc:"The payee: a mobile number (+86…), a user id, or the payload of their receive code." example:"+8613900139000"`
	Amount   int64              `json:"amount" minimum:"1" doc:"Minor units (1250 = 12.50 CNY)." example:"1250"`
	Currency string             `json:"currency" pattern:"^[A-Z]{3}$" example:"CNY"`
	PIN      string             `json:"pin,omitempty" maxLength:"16" doc:"The payment PIN; omit for a password-free payment within your limits."`
	Note     string             `json:"note,omitempty" maxLength:"160" doc:"At most 40 characters." example:"午饭"`
	Passkey  *PasskeyCredential `json:"passkey,omitempty" doc:"A passkey assertion in place of the PIN (POST /v1/payments/passkey/begin with this transfer and Idempotency-Key)."`
	TOTP     string             `json:"totp,omitempty" maxLength:"16" doc:"A code of the authenticator app in place of the PIN, for a payment risk control asks to confirm (otherwise totp_not_needed)."`
}

// ReceiptView is a completed transfer.
type ReceiptView struct {
	TransferID   string    `json:"transfer_id"`
	Status       string    `json:"status" enum:"completed"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	Note         string    `json:"note,omitempty"`
	Payee        PartyView `json:"payee"`
	PasswordFree bool      `json:"password_free"`
	CreatedAt    time.Time `json:"created_at"`
}

// PartyView is the other side of a payment.
type PartyView struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Phone  string `json:"phone" doc:"Masked."`
}

type receiptOutput struct {
	Status int
	Body   ReceiptView
}

func receiptView(r wallet.Receipt) *receiptOutput {
	status := http.StatusCreated
	if r.Replayed {
		status = http.StatusOK
	}
	return &receiptOutput{Status: status, Body: ReceiptView{TransferID: r.TransferID, Status: "completed", Amount: r.Amount, Currency: r.Currency,
		Note: r.Note, PasswordFree: r.PasswordFree, CreatedAt: r.CreatedAt,
		Payee: PartyView{UserID: r.Payee.UserID, Name: r.Payee.Name, Phone: r.Payee.Phone}}}
}

// PaymentRequestView is a request for money.
type PaymentRequestView struct {
	ID          string    `json:"id"`
	RequesterID string    `json:"requester_id"`
	PayerID     string    `json:"payer_id"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Note        string    `json:"note,omitempty"`
	Status      string    `json:"status" enum:"pending,paid,declined,cancelled"`
	TransferID  string    `json:"transfer_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func requestView(r wallet.PaymentRequest) PaymentRequestView {
	return PaymentRequestView{ID: r.ID, RequesterID: r.RequesterID, PayerID: r.PayerID, Amount: r.Amount, Currency: r.Currency,
		Note: r.Note, Status: r.Status, TransferID: r.TransferID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// NotificationView is one message of my inbox.
type NotificationView struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind" example:"received"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Read      bool      `json:"read"`
	CreatedAt time.Time `json:"created_at"`
}

// checkKey validates an Idempotency-Key header, if one was sent.
func checkKey(key string) error {
	if key == "" {
		return nil
	}
	return wallet.CheckIdempotencyKey(key)
}

func registerMoney(a huma.API, w *wallet.Service) {
	type walletsOutput struct {
		Body struct {
			Wallets []WalletView `json:"wallets"`
		}
	}
	huma.Register(a, huma.Operation{
		OperationID: "listWallets", Method: http.MethodGet, Path: "/v1/me/wallets", Tags: []string{walletTag},
		Summary: "My wallets and balances", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*walletsOutput, error) {
		bs, err := w.Wallets(ctx, userFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := &walletsOutput{}
		out.Body.Wallets = mapSlice(bs, func(b wallet.Balance) WalletView { return walletView(b) })
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "openWallet", Method: http.MethodPost, Path: "/v1/me/wallets", Tags: []string{walletTag},
		Summary: "Open a wallet in another currency", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Currency string `json:"currency" pattern:"^[A-Z]{3}$" example:"USD"`
		}
	}) (*struct{ Body WalletView }, error) {
		b, err := w.OpenWallet(ctx, userFrom(ctx).ID, in.Body.Currency)
		if err != nil {
			return nil, err
		}
		return &struct{ Body WalletView }{Body: walletView(b)}, nil
	}))
	type billsOutput struct {
		Body struct {
			Bills      []BillView `json:"bills" doc:"Newest first."`
			NextCursor string     `json:"next_cursor,omitempty"`
		}
	}
	huma.Register(a, huma.Operation{
		OperationID: "listBills", Method: http.MethodGet, Path: "/v1/me/bills", Tags: []string{walletTag},
		Summary: "My bill list (transaction history)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Type     string    `query:"type" enum:"transfer,payment,refund,top_up,withdrawal,fee" doc:"Only bills of this type."`
		Currency string    `query:"currency" pattern:"^[A-Z]{3}$"`
		From     time.Time `query:"from" doc:"At or after (RFC 3339)."`
		To       time.Time `query:"to" doc:"Before (RFC 3339)."`
		Limit    int       `query:"limit" minimum:"1" maximum:"100" default:"20"`
		Cursor   string    `query:"cursor" maxLength:"64"`
	}) (*billsOutput, error) {
		p, err := w.Bills(ctx, userFrom(ctx).ID, wallet.BillFilter{Type: in.Type, Currency: in.Currency, From: in.From, To: in.To, Limit: in.Limit, Cursor: in.Cursor})
		if err != nil {
			return nil, err
		}
		out := &billsOutput{}
		out.Body.Bills = make([]BillView, len(p.Bills))
		for i, b := range p.Bills {
			out.Body.Bills[i] = billView(b)
		}
		out.Body.NextCursor = p.Next
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "monthlyStatement", Method: http.MethodGet, Path: "/v1/me/statements/{month}", Tags: []string{walletTag},
		Summary: "A month's statement as CSV", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Month string `path:"month" pattern:"^[0-9]{4}-[0-9]{2}$" example:"2026-11"`
	}) (*struct {
		ContentType        string `header:"Content-Type"`
		ContentDisposition string `header:"Content-Disposition"`
		Body               []byte
	}, error) {
		m, err := time.Parse("2006-01", in.Month)
		if err != nil {
			return nil, invalid("path.month", "month must be YYYY-MM")
		}
		var buf bytes.Buffer
		if err := w.Statement(ctx, userFrom(ctx).ID, m.Year(), m.Month(), &buf); err != nil {
			return nil, err
		}
		return &struct {
			ContentType        string `header:"Content-Type"`
			ContentDisposition string `header:"Content-Disposition"`
			Body               []byte
		}{"text/csv; charset=utf-8", fmt.Sprintf(`attachment; filename="statement-%s.csv"`, in.Month), buf.Bytes()}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "transfer", Method: http.MethodPost, Path: "/v1/transfers", Tags: []string{walletTag},
		Summary: "Send money to another user", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Description: "Moves money at once, with the payment PIN, a passkey, or password-free within your limits. 201 when done now; 200 when the Idempotency-Key was used before for the same request (nothing moved again).",
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusLocked, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, wrap(func(ctx context.Context, in *struct {
		Key  string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to retry: the same key and body move money once and answer the same; the same key with another body is refused (idempotency_key_reused)."`
		Body TransferBody
	}) (*receiptOutput, error) {
		if err := checkKey(in.Key); err != nil {
			return nil, err
		}
		sess, _ := ctx.Value(sessionKey).(wallet.Session)
		r, err := w.Transfer(ctx, userFrom(ctx), wallet.P2PRequest{To: in.Body.To, Amount: in.Body.Amount, Currency: in.Body.Currency,
			PIN: in.Body.PIN, Passkey: in.Body.Passkey.raw(), TOTP: in.Body.TOTP, Note: in.Body.Note, IdempotencyKey: in.Key, SessionStarted: sess.CreatedAt, Device: sess.DeviceID})
		if err != nil {
			return nil, err
		}
		return receiptView(r), nil
	}))
	registerRequests(a, w)
	registerPayees(a, w)
	registerNotifications(a, w)
	registerReceiveCode(a, w)
}

func registerRequests(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "requestPayment", Method: http.MethodPost, Path: "/v1/payment-requests", Tags: []string{walletTag},
		Summary: "Ask another user for money (收款)", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			From     string `json:"from" maxLength:"512" doc:"Who should pay: mobile number or user id." example:"+8613900139000"`
			Amount   int64  `json:"amount" minimum:"1"`
			Currency string `json:"currency" pattern:"^[A-Z]{3}$"`
			Note     string `json:"note,omitempty" maxLength:"160"`
		}
	}) (*struct{ Body PaymentRequestView }, error) {
		r, err := w.RequestPayment(ctx, userFrom(ctx), in.Body.From, in.Body.Amount, in.Body.Currency, in.Body.Note)
		if err != nil {
			return nil, err
		}
		return &struct{ Body PaymentRequestView }{Body: requestView(r)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listPaymentRequests", Method: http.MethodGet, Path: "/v1/me/payment-requests", Tags: []string{walletTag},
		Summary: "Payment requests I made or received", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*requestsOutput, error) {
		rs, err := w.PaymentRequests(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &requestsOutput{}
		out.Body.Requests = mapSlice(rs, func(r wallet.PaymentRequest) PaymentRequestView { return requestView(r) })
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "payPaymentRequest", Method: http.MethodPost, Path: "/v1/payment-requests/{id}/pay", Tags: []string{walletTag},
		Summary: "Pay a payment request addressed to me", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			PIN string `json:"pin,omitempty" maxLength:"16"`
		}
	}) (*receiptOutput, error) {
		r, err := w.PayRequest(ctx, userFrom(ctx), in.ID, in.Body.PIN)
		if err != nil {
			return nil, err
		}
		return receiptView(r), nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "declinePaymentRequest", Method: http.MethodPost, Path: "/v1/payment-requests/{id}/decline", Tags: []string{walletTag},
		Summary: "Decline (payer) or cancel (requester) a payment request", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*struct{ Body PaymentRequestView }, error) {
		r, err := w.DeclineRequest(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body PaymentRequestView }{Body: requestView(r)}, nil
	}))
}

func registerNotifications(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "listNotifications", Method: http.MethodGet, Path: "/v1/me/notifications", Tags: []string{walletTag},
		Summary: "My inbox: money received, paid, top-ups, withdrawals, PIN locks, new logins", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Before time.Time `query:"before" doc:"Only notifications before this time: the created_at of the last one seen."`
		Limit  int       `query:"limit" minimum:"1" maximum:"100" default:"50"`
	}) (*notificationsOutput, error) {
		ns, err := w.Notifications(ctx, userFrom(ctx).ID, in.Before, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &notificationsOutput{}
		out.Body.Notifications = mapSlice(ns, func(n wallet.Notification) NotificationView {
			return NotificationView{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Read: n.Read, CreatedAt: n.CreatedAt}
		})
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "readNotifications", Method: http.MethodPost, Path: "/v1/me/notifications/read", Tags: []string{walletTag},
		Summary: "Mark my inbox read up to a time", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			UpTo time.Time `json:"up_to" doc:"created_at of the newest notification read."`
		}
	}) (*struct{}, error) {
		return nil, w.MarkNotificationsRead(ctx, userFrom(ctx).ID, in.Body.UpTo)
	}))
}

type receiveCodeInput struct {
	Amount   int64  `query:"amount" minimum:"0" doc:"Ask for this amount (minor units); 0: the payer enters it."`
	Currency string `query:"currency" pattern:"^[A-Z]{3}$"`
	Note     string `query:"note" maxLength:"160"`
}

type imageOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func registerReceiveCode(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "receiveCode", Method: http.MethodGet, Path: "/v1/me/receive-code", Tags: []string{walletTag},
		Summary: "My personal receive code (收款码)", Security: sessionOnly,
		Description: "payload is what the QR code holds: another user's app scans it and sends it as \"to\" of POST /v1/transfers. " +
			"The same query on /v1/me/receive-code.png or .svg returns the QR image.",
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *receiveCodeInput) (*struct {
		Body struct {
			Payload string `json:"payload"`
		}
	}, error) {
		p, err := w.ReceiveCode(ctx, userFrom(ctx), in.Amount, in.Currency, in.Note)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Payload string `json:"payload"`
			}
		}{}
		out.Body.Payload = p
		return out, nil
	}))
	registerQRImages(a, huma.Operation{
		OperationID: "receiveCode", Path: "/v1/me/receive-code", Tags: []string{walletTag},
		Summary: "My receive code as a QR image", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *receiveCodeInput) (string, error) {
		return w.ReceiveCode(ctx, userFrom(ctx), in.Amount, in.Currency, in.Note)
	})
}

// registerQRImages serves op as op.Path+".png" and op.Path+".svg": the
// payload that payload returns, as a QR code image.
func registerQRImages[I any](a huma.API, op huma.Operation, payload func(ctx context.Context, in *I) (string, error)) {
	for _, f := range []struct{ ext, mime string }{{"png", "image/png"}, {"svg", "image/svg+xml"}} {
		o := op
		o.OperationID, o.Method, o.Path = op.OperationID+strings.ToUpper(f.ext), http.MethodGet, op.Path+"."+f.ext
		o.Summary = op.Summary + " (" + f.ext + ")"
		huma.Register(a, o, wrap(func(ctx context.Context, in *I) (*imageOutput, error) {
			p, err := payload(ctx, in)
			if err != nil {
				return nil, err
			}
			img, err := qrImage(f.ext, p)
			if err != nil {
				return nil, err
			}
			return &imageOutput{ContentType: f.mime, CacheControl: "private, max-age=300", Body: img}, nil
		}))
	}
}

// qrImage renders a payload as a QR code: "png" (512 px) or "svg".
func qrImage(ext, payload string) ([]byte, error) {
	if ext == "png" {
		return receivecode.PNG(payload, 512)
	}
	return receivecode.SVG(payload)
}
