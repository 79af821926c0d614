package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const (
	merchantTag    = "Merchants"
	merchantAPITag = "Merchant API (signed)"
	payTag         = "Pay a merchant"
	signedScheme   = "merchantSignature"
	maxSignedBody  = 1 << 20
)

var signedOnly = []map[string][]string{{signedScheme: {}}}

const merchantKey ctxKey = 10

// merchantFrom returns the merchant that signed the request.
func merchantFrom(ctx context.Context) wallet.Merchant {
	m, _ := ctx.Value(merchantKey).(wallet.Merchant)
	return m
}

// requireSignature checks the signature of every request under
// /v1/merchant/ before the handlers (which need the body) see it.
func requireSignature(w *wallet.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/merchant/") {
			next.ServeHTTP(rw, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody+1))
		if err != nil || len(body) > maxSignedBody {
			writeProblem(rw, problem(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body must be at most 1 MiB"))
			return
		}
		m, err := w.AuthenticateMerchant(r.Context(), wallet.SignedRequest{
			KeyID: r.Header.Get("SLT-Key-Id"), Timestamp: r.Header.Get("SLT-Timestamp"), Nonce: r.Header.Get("SLT-Nonce"),
			Signature: r.Header.Get("SLT-Signature"), Method: r.Method, Path: r.URL.RequestURI(), Body: body,
		})
		if err != nil {
			writeProblem(rw, walletProblem(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		signed := r.WithContext(context.WithValue(r.Context(), merchantKey, m))
		next.ServeHTTP(rw, signed)
		r.Pattern = signed.Pattern // for the metrics around this handler
	})
}

// MerchantView is a merchant.
type MerchantView struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	MCC         string    `json:"mcc"`
	Country     string    `json:"country"`
	City        string    `json:"city"`
	FeeBPS      int       `json:"fee_bps" doc:"The fee on each payment, in basis points (60 = 0.6 %)."`
	Status      string    `json:"status" enum:"pending,approved,suspended"`
	CreatedAt   time.Time `json:"created_at"`
}

func merchantView(m wallet.Merchant) MerchantView {
	return MerchantView{ID: m.ID, Name: m.Name, DisplayName: m.DisplayName, MCC: m.MCC, Country: m.Country, City: m.City,
		FeeBPS: m.FeeBPS, Status: m.Status, CreatedAt: m.CreatedAt}
}

// MerchantOrderView is a merchant order.
type MerchantOrderView struct {
	OutTradeNo  string    `json:"out_trade_no"`
	ID          string    `json:"id"`
	Amount      int64     `json:"amount"`
	Fee         int64     `json:"fee"`
	Currency    string    `json:"currency"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status" enum:"NOTPAY,USERPAYING,SUCCESS,CLOSED,REVERSED,REFUND"`
	TerminalID  string    `json:"terminal_id,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
	CreatedAt   time.Time `json:"created_at"`
	QR          string    `json:"qr,omitempty" doc:"The EMVCo merchant-presented payload of the order's dynamic QR code."`
}

// plainOrderView is an order without its QR code.
func plainOrderView(o wallet.MerchantOrder) MerchantOrderView {
	return MerchantOrderView{OutTradeNo: o.OutTradeNo, ID: o.ID, Amount: o.Amount, Fee: o.Fee, Currency: o.Currency, Description: o.Description,
		Status: o.Status, TerminalID: o.TerminalID, ExpiresAt: o.ExpiresAt, CreatedAt: o.CreatedAt}
}

func morderView(m wallet.Merchant, o wallet.MerchantOrder) MerchantOrderView {
	v := plainOrderView(o)
	if o.Status == wallet.OrderNotPay {
		v.QR, _ = wallet.MerchantQR(m, &o)
	}
	return v
}

type merchantOutput struct{ Body MerchantView }

type morderOutput struct {
	Status int
	Body   MerchantOrderView
}

func registerMerchants(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "applyMerchant", Method: http.MethodPost, Path: "/v1/merchants", Tags: []string{merchantTag},
		Summary: "Open a merchant (an operator approves it)", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Name        string `json:"name" maxLength:"256" example:"上海小笼包有限公司"`
			DisplayName string `json:"display_name" maxLength:"100" example:"Xiaolongbao Shop"`
			MCC         string `json:"mcc" pattern:"^[0-9]{4}$" example:"5814"`
			Country     string `json:"country" pattern:"^[A-Z]{2}$" example:"CN"`
			City        string `json:"city" maxLength:"60" example:"Shanghai"`
		}
	}) (*merchantOutput, error) {
		m, err := w.ApplyMerchant(ctx, userFrom(ctx), wallet.MerchantApplication{Name: in.Body.Name, DisplayName: in.Body.DisplayName,
			MCC: in.Body.MCC, Country: in.Body.Country, City: in.Body.City})
		if err != nil {
			return nil, err
		}
		return &merchantOutput{Body: merchantView(m)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "approveMerchant", Method: http.MethodPost, Path: "/v1/operator/merchants/{id}/approve", Tags: []string{merchantTag},
		Summary: "Approve a merchant (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*merchantOutput, error) {
		m, err := w.ApproveMerchant(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &merchantOutput{Body: merchantView(m)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "newMerchantKey", Method: http.MethodPost, Path: "/v1/merchants/{id}/keys", Tags: []string{merchantTag},
		Summary:     "Make an API key (an HMAC secret shown once, or your Ed25519 public key)",
		Description: "Without a body: an HMAC-SHA256 key; its secret is in the answer, once. With ed25519_public_key: requests are signed with the matching private key (base64 of the Ed25519 signature of the same string), and no secret is returned.",
		Security:    sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body *struct {
			Ed25519PublicKey string `json:"ed25519_public_key,omitempty" maxLength:"64" doc:"Base64 of the 32-byte Ed25519 public key."`
		} `required:"false"`
	}) (*merchantKeyOutput, error) {
		pub := ""
		if in.Body != nil {
			pub = in.Body.Ed25519PublicKey
		}
		id, secret, err := w.NewMerchantKey(ctx, userFrom(ctx), in.ID, pub)
		if err != nil {
			return nil, err
		}
		out := &merchantKeyOutput{}
		out.Body.KeyID, out.Body.Secret = id, secret
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "revokeMerchantKey", Method: http.MethodDelete, Path: "/v1/merchants/{id}/keys/{key}", Tags: []string{merchantTag},
		Summary: "Revoke an API key", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID  string `path:"id" maxLength:"64"`
		Key string `path:"key" maxLength:"80"`
	}) (*struct{}, error) {
		return nil, w.RevokeMerchantKey(ctx, userFrom(ctx), in.ID, in.Key)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "storeQR", Method: http.MethodGet, Path: "/v1/merchants/{id}/qr", Tags: []string{merchantTag},
		Summary: "The merchant's static store QR code (the payer enters the amount)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*storeQROutput, error) {
		p, err := w.StoreQR(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		bal, err := w.MerchantBalance(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		out := &storeQROutput{}
		out.Body.Payload, out.Body.Balance = p, bal
		return out, nil
	}))
	registerMerchantAPI(a, w)
	registerPay(a, w)
	registerPaycode(a, w)
	registerAudit(a, w)
	registerInsurance(a, w)
	registerDisputes(a, w)
	registerRefunds(a, w)
	registerWebhooks(a, w)
	registerSettlement(a, w)
	registerStoreQRImages(a, w)
	registerTill(a, w)
	registerDailyBill(a, w, w.DayZone())
}

func registerMerchantAPI(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "createOrder", Method: http.MethodPost, Path: "/v1/merchant/orders", Tags: []string{merchantAPITag},
		Summary:     "Create an order (its dynamic QR code is in the answer)",
		Description: "out_trade_no is the merchant's number and the idempotency key: the same number and order answer 200 with the existing order; the same number for another order is 409.",
		Security:    signedOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			OutTradeNo     string `json:"out_trade_no" maxLength:"32" example:"20261125-0042"`
			Amount         int64  `json:"amount" minimum:"1" doc:"Minor units." example:"3550"`
			Currency       string `json:"currency" pattern:"^[A-Z]{3}$" example:"CNY"`
			Description    string `json:"description,omitempty" maxLength:"512" example:"两笼小笼包"`
			ExpiresSeconds int    `json:"expires_in_seconds,omitempty" minimum:"0" maximum:"604800" doc:"Default 7,200."`
			TerminalID     string `json:"terminal_id,omitempty" maxLength:"64" doc:"The till, as registered by the owner."`
		}
	}) (*morderOutput, error) {
		m := merchantFrom(ctx)
		o, created, err := w.CreateMerchantOrder(ctx, m, wallet.OrderRequest{OutTradeNo: in.Body.OutTradeNo, Amount: in.Body.Amount,
			Currency: in.Body.Currency, Description: in.Body.Description, ExpiresIn: time.Duration(in.Body.ExpiresSeconds) * time.Second,
			TerminalID: in.Body.TerminalID})
		if err != nil {
			return nil, err
		}
		st := http.StatusOK
		if created {
			st = http.StatusCreated
		}
		return &morderOutput{Status: st, Body: morderView(m, o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "queryOrder", Method: http.MethodGet, Path: "/v1/merchant/orders/{out_trade_no}", Tags: []string{merchantAPITag},
		Summary: "Query an order", Security: signedOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		No string `path:"out_trade_no" maxLength:"32"`
	}) (*morderOutput, error) {
		m := merchantFrom(ctx)
		o, err := w.MerchantOrderByNo(ctx, m, in.No)
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: morderView(m, o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "closeOrder", Method: http.MethodPost, Path: "/v1/merchant/orders/{out_trade_no}/close", Tags: []string{merchantAPITag},
		Summary: "Close an unpaid order", Security: signedOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, wrap(func(ctx context.Context, in *struct {
		No string `path:"out_trade_no" maxLength:"32"`
	}) (*morderOutput, error) {
		m := merchantFrom(ctx)
		o, err := w.CloseMerchantOrder(ctx, m, in.No)
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: morderView(m, o)}, nil
	}))
}

// ScanView says who a scanned code pays.
type ScanView struct {
	MerchantID  string `json:"merchant_id"`
	Merchant    string `json:"merchant" doc:"The verified display name."`
	City        string `json:"city"`
	Amount      int64  `json:"amount,omitempty" doc:"Fixed by a dynamic (order) code; absent for a store code: the payer enters it."`
	Currency    string `json:"currency"`
	Description string `json:"description,omitempty"`
	OrderStatus string `json:"order_status,omitempty"`
}

func registerPay(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "scan", Method: http.MethodPost, Path: "/v1/scan", Tags: []string{payTag},
		Summary: "Read a scanned merchant QR code: who will be paid, how much", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Payload string `json:"payload" maxLength:"512"`
		}
	}) (*struct{ Body ScanView }, error) {
		sc, err := w.Scan(ctx, in.Body.Payload)
		if err != nil {
			return nil, err
		}
		v := ScanView{MerchantID: sc.Merchant.ID, Merchant: sc.Merchant.DisplayName, City: sc.Merchant.City, Currency: "CNY"}
		if sc.Order != nil {
			v.Amount, v.Description, v.OrderStatus = sc.Order.Amount, sc.Order.Description, sc.Order.Status
		}
		return &struct{ Body ScanView }{Body: v}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "pay", Method: http.MethodPost, Path: "/v1/payments", Tags: []string{payTag},
		Summary: "Pay a scanned merchant code", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Description: "With the payment PIN, a passkey, or password-free within your limits. A dynamic code's order is paid at most once; for a store code send the amount and an Idempotency-Key.",
		Errors:      []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Key  string `header:"Idempotency-Key" maxLength:"255"`
		Body struct {
			Payload string             `json:"payload" maxLength:"512"`
			Amount  int64              `json:"amount,omitempty" minimum:"0" doc:"Minor units; for store codes."`
			PIN     string             `json:"pin,omitempty" maxLength:"16"`
			Passkey *PasskeyCredential `json:"passkey,omitempty" doc:"A passkey assertion in place of the PIN (POST /v1/payments/passkey/begin with this scan and Idempotency-Key)."`
		}
	}) (*struct {
		Status int
		Body   struct {
			TransferID   string            `json:"transfer_id"`
			Status       string            `json:"status"`
			Merchant     string            `json:"merchant"`
			Order        MerchantOrderView `json:"order"`
			PasswordFree bool              `json:"password_free"`
		}
	}, error) {
		if err := checkKey(in.Key); err != nil {
			return nil, err
		}
		sess, _ := ctx.Value(sessionKey).(wallet.Session)
		r, err := w.PayMerchant(ctx, userFrom(ctx), wallet.ScanPayment{Payload: in.Body.Payload, Amount: in.Body.Amount, PIN: in.Body.PIN, Passkey: in.Body.Passkey.raw(),
			IdempotencyKey: in.Key, SessionStarted: sess.CreatedAt, Device: sess.DeviceID})
		if err != nil {
			return nil, err
		}
		out := &struct {
			Status int
			Body   struct {
				TransferID   string            `json:"transfer_id"`
				Status       string            `json:"status"`
				Merchant     string            `json:"merchant"`
				Order        MerchantOrderView `json:"order"`
				PasswordFree bool              `json:"password_free"`
			}
		}{Status: http.StatusCreated}
		if r.Replayed {
			out.Status = http.StatusOK
		}
		out.Body.TransferID, out.Body.Status, out.Body.Merchant = r.TransferID, "completed", r.Merchant.DisplayName
		out.Body.Order, out.Body.PasswordFree = morderView(r.Merchant, r.Order), r.PasswordFree
		return out, nil
	}))
}

func registerStoreQRImages(a huma.API, w *wallet.Service) {
	registerQRImages(a, huma.Operation{
		OperationID: "storeQR", Path: "/v1/merchants/{id}/qr", Tags: []string{merchantTag},
		Summary: "The merchant's static store QR code as an image, to print", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict},
	}, func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (string, error) {
		return w.StoreQR(ctx, userFrom(ctx), in.ID)
	})
}
