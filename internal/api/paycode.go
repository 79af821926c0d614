package api

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

func registerPaycode(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "enrollPaycode", Method: http.MethodPost, Path: "/v1/me/paycode/enroll", Tags: []string{payTag},
		Summary:     "Enrol this device for payment codes (付款码)",
		Description: "The payment PIN confirms it; revoking the session's device (DELETE /v1/me/devices/{id}) revokes it. The answer's secret is shown once: the app keeps it and derives a new 18-digit code every minute, offline (RFC 6238 time steps, see pkg/paycode).",
		Security:    sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusLocked, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			PIN string `json:"pin" maxLength:"16"`
		}
	}) (*enrolmentOutput, error) {
		sess, _ := ctx.Value(sessionKey).(wallet.Session)
		e, err := w.EnrollPaycode(ctx, userFrom(ctx), sess.DeviceID, in.Body.PIN)
		if err != nil {
			return nil, err
		}
		out := &enrolmentOutput{}
		out.Body.Device, out.Body.Secret = e.Device, e.Secret
		out.Body.Prefix, out.Body.StepSeconds = wallet.PaycodeConfig.Prefix, int(w.PaycodeStep()/time.Second)
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listPaycodeDevices", Method: http.MethodGet, Path: "/v1/me/paycode", Tags: []string{payTag},
		Summary: "My devices enrolled for payment codes", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*paycodeDevicesOutput, error) {
		ds, err := w.PaycodeDevices(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &paycodeDevicesOutput{}
		out.Body.Devices = make([]PaycodeDeviceView, 0, len(ds))
		for _, d := range ds {
			out.Body.Devices = append(out.Body.Devices, PaycodeDeviceView{Device: d.Number, EnrolledAt: d.CreatedAt})
		}
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "revokePaycode", Method: http.MethodDelete, Path: "/v1/me/paycode/{device}", Tags: []string{payTag},
		Summary: "Revoke a device's payment codes", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		Device uint64 `path:"device"`
	}) (*struct{}, error) {
		return nil, w.RevokePaycode(ctx, userFrom(ctx), in.Device)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "confirmPayment", Method: http.MethodPost, Path: "/v1/payments/{id}/confirm", Tags: []string{payTag},
		Summary: "Confirm with the PIN or a passkey a payment a shop started with my payment code", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64" doc:"The order id (from the notification)."`
		Body struct {
			PIN     string             `json:"pin,omitempty" maxLength:"16"`
			Passkey *PasskeyCredential `json:"passkey,omitempty" doc:"A passkey assertion in place of the PIN (POST /v1/payments/passkey/begin with this order_id)."`
		}
	}) (*struct{ Body MerchantOrderView }, error) {
		var r wallet.MerchantReceipt
		var err error
		if in.Body.Passkey != nil {
			r, err = w.ConfirmPaymentPasskey(ctx, userFrom(ctx), in.ID, in.Body.Passkey.raw())
		} else {
			r, err = w.ConfirmPayment(ctx, userFrom(ctx), in.ID, in.Body.PIN)
		}
		if err != nil {
			return nil, err
		}
		return &struct{ Body MerchantOrderView }{Body: morderView(r.Merchant, r.Order)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "micropay", Method: http.MethodPost, Path: "/v1/merchant/micropay", Tags: []string{merchantAPITag},
		Summary:     "Charge a customer's payment code read at the till",
		Description: "SUCCESS when the payment is within the customer's password-free limits; USERPAYING when the customer must confirm in the wallet: poll GET /v1/merchant/orders/{out_trade_no}. Retrying with the same out_trade_no answers the order as it stands and never charges twice.",
		Security:    signedOnly,
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			AuthCode    string `json:"auth_code" maxLength:"32" doc:"The 18 digits the scanner read." example:"770841298284111985"`
			OutTradeNo  string `json:"out_trade_no" maxLength:"32"`
			Amount      int64  `json:"amount" minimum:"1"`
			Currency    string `json:"currency" pattern:"^[A-Z]{3}$"`
			Description string `json:"description,omitempty" maxLength:"512"`
			TerminalID  string `json:"terminal_id,omitempty" maxLength:"64"`
		}
	}) (*morderOutput, error) {
		m := merchantFrom(ctx)
		o, err := w.Micropay(ctx, m, in.Body.AuthCode, wallet.OrderRequest{OutTradeNo: in.Body.OutTradeNo, Amount: in.Body.Amount,
			Currency: in.Body.Currency, Description: in.Body.Description, TerminalID: in.Body.TerminalID})
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: morderView(m, o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "reverseOrder", Method: http.MethodPost, Path: "/v1/merchant/orders/{out_trade_no}/reverse", Tags: []string{merchantAPITag},
		Summary: "Reverse (撤销) a payment the till gave up on: close it, or pay it back in full", Security: signedOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		No string `path:"out_trade_no" maxLength:"32"`
	}) (*morderOutput, error) {
		m := merchantFrom(ctx)
		o, err := w.Reverse(ctx, m, in.No)
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: morderView(m, o)}, nil
	}))
}

// RefundView is a refund.
type RefundView struct {
	ID          string    `json:"id"`
	OutRefundNo string    `json:"out_refund_no"`
	Amount      int64     `json:"amount"`
	FeeBack     int64     `json:"fee_back" doc:"The part of the order's fee given back to the merchant."`
	Status      string    `json:"status" enum:"processing,success,failed"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

func refundView(r wallet.MerchantRefund) RefundView {
	return RefundView{ID: r.ID, OutRefundNo: r.OutRefundNo, Amount: r.Amount, FeeBack: r.FeeBack, Status: r.Status, Reason: r.Reason, CreatedAt: r.CreatedAt}
}

func registerRefunds(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "refund", Method: http.MethodPost, Path: "/v1/merchant/refunds", Tags: []string{merchantAPITag},
		Summary:     "Refund (part of) a paid order",
		Description: "Full, partial and repeated refunds up to the amount paid, from the merchant's balance. out_refund_no is the idempotency key.",
		Security:    signedOnly,
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			OutTradeNo  string `json:"out_trade_no" maxLength:"32"`
			OutRefundNo string `json:"out_refund_no" maxLength:"32"`
			Amount      int64  `json:"amount" minimum:"1"`
			Reason      string `json:"reason,omitempty" maxLength:"400"`
		}
	}) (*struct{ Body RefundView }, error) {
		r, err := w.Refund(ctx, merchantFrom(ctx), wallet.RefundRequest{OutTradeNo: in.Body.OutTradeNo, OutRefundNo: in.Body.OutRefundNo,
			Amount: in.Body.Amount, Reason: in.Body.Reason})
		if err != nil {
			return nil, err
		}
		return &struct{ Body RefundView }{Body: refundView(r)}, nil
	}))
}

func registerDailyBill(a huma.API, w *wallet.Service, day *time.Location) {
	huma.Register(a, huma.Operation{
		OperationID: "dailyBill", Method: http.MethodGet, Path: "/v1/merchant/bills/{date}", Tags: []string{merchantAPITag},
		Summary:     "The daily bill (对账单) as CSV",
		Description: "Every payment, refund, fee and fee given back on the day (China time), read from the merchant's ledger account, then the totals; the net total is the change of the balance over the day.",
		Security:    signedOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Date string `path:"date" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-11-25"`
	}) (*struct {
		ContentType string `header:"Content-Type"`
		Body        []byte
	}, error) {
		b, err := w.MerchantDailyBill(ctx, merchantFrom(ctx), in.Date)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := b.WriteCSV(&buf, day); err != nil {
			return nil, err
		}
		return &struct {
			ContentType string `header:"Content-Type"`
			Body        []byte
		}{"text/csv; charset=utf-8", buf.Bytes()}, nil
	}))
}

// WebhookEventView is an event in a merchant's outbox.
type WebhookEventView struct {
	ID          string    `json:"id"`
	Type        string    `json:"type" enum:"payment.succeeded,refund.succeeded"`
	Status      string    `json:"status" enum:"pending,delivered,failed"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	Payload     string    `json:"payload" doc:"The JSON body sent."`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

func registerWebhooks(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "setWebhook", Method: http.MethodPut, Path: "/v1/merchants/{id}/webhook", Tags: []string{merchantTag},
		Summary:     "Set where events go; the signing secret is returned once",
		Description: "Events (payment.succeeded, refund.succeeded) are POSTed signed like merchant requests (SLT-Event-Id, SLT-Timestamp, SLT-Nonce = the event id, SLT-Signature under this secret), retried with exponential back-off for 24 hours until a 2xx answer. Deduplicate by the event id.",
		Security:    sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			URL string `json:"url" maxLength:"500" example:"https://shop.example/slt/events"`
		}
	}) (*webhookSecretOutput, error) {
		secret, err := w.SetWebhook(ctx, userFrom(ctx), in.ID, in.Body.URL)
		if err != nil {
			return nil, err
		}
		out := &webhookSecretOutput{}
		out.Body.Secret = secret
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listWebhookEvents", Method: http.MethodGet, Path: "/v1/merchants/{id}/webhook-events", Tags: []string{merchantTag},
		Summary: "The merchant's events and their delivery", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*eventsOutput, error) {
		evs, err := w.WebhookEvents(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		out := &eventsOutput{}
		out.Body.Events = mapSlice(evs, func(e wallet.WebhookEvent) WebhookEventView {
			return WebhookEventView{ID: e.ID, Type: e.Type, Status: e.Status, Attempts: e.Attempts, LastError: e.LastError, Payload: e.Payload,
				CreatedAt: e.CreatedAt, DeliveredAt: e.DeliveredAt}
		})
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "replayWebhookEvent", Method: http.MethodPost, Path: "/v1/merchants/{id}/webhook-events/{event}/replay", Tags: []string{merchantTag},
		Summary: "Send an event again", Security: sessionOnly, DefaultStatus: http.StatusAccepted,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID    string `path:"id" maxLength:"64"`
		Event string `path:"event" maxLength:"64"`
	}) (*struct{}, error) {
		return nil, w.ReplayWebhookEvent(ctx, userFrom(ctx), in.ID, in.Event)
	}))
}

func registerSettlement(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "setSettlementCard", Method: http.MethodPut, Path: "/v1/merchants/{id}/settlement", Tags: []string{merchantTag},
		Summary: "Set the card the merchant's balance is paid to every day (T+1)", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			CardID string `json:"card_id" maxLength:"64" doc:"One of the owner's verified debit cards."`
		}
	}) (*struct{}, error) {
		return nil, w.SetSettlementCard(ctx, userFrom(ctx), in.ID, in.Body.CardID)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "settle", Method: http.MethodPost, Path: "/v1/operator/settlements/{date}", Tags: []string{merchantTag},
		Summary:     "Settle a day (operators; the server also does it every hour for the day before)",
		Description: "Pays every approved merchant's balance at the end of the day (China time) to its settlement card, once per merchant and day. The answer is the settlement report: one payout order per merchant.",
		Security:    operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Date string `path:"date" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"`
	}) (*struct {
		Body struct {
			Payouts []OrderView `json:"payouts"`
		}
	}, error) {
		os, err := w.Settle(ctx, in.Date)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Payouts []OrderView `json:"payouts"`
			}
		}{}
		out.Body.Payouts = mapSlice(os, orderView)
		return out, nil
	}))
}

// PaycodeDeviceView is a device enrolled for payment codes.
type PaycodeDeviceView struct {
	Device     uint64    `json:"device"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

type paycodeDevicesOutput struct {
	Body struct {
		Devices []PaycodeDeviceView `json:"devices"`
	}
}
