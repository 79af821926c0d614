package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const bankTag = "Bank cards"

// CardView is a linked card, masked.
type CardView struct {
	ID          string    `json:"id"`
	Masked      string    `json:"masked" example:"6222 **** **** 1234"`
	Issuer      string    `json:"issuer" example:"Industrial and Commercial Bank of China"`
	Network     string    `json:"network" example:"UnionPay"`
	Type        string    `json:"type" enum:"debit,credit,unknown"`
	HolderName  string    `json:"holder_name"`
	Status      string    `json:"status" enum:"pending,verified"`
	CreatedAt   time.Time `json:"created_at"`
	SandboxCode string    `json:"sandbox_code,omitempty" doc:"Only with the sandbox bank: the code it 'texted', so that a demo can finish linking."`
}

func cardView(c wallet.BankCard, code string) CardView {
	return CardView{ID: c.ID, Masked: c.Masked, Issuer: c.Issuer, Network: c.Network, Type: c.Type, HolderName: c.HolderName,
		Status: c.Status, CreatedAt: c.CreatedAt, SandboxCode: code}
}

// OrderView is a top-up or a withdrawal.
type OrderView struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind" enum:"top_up,withdrawal,settlement"`
	CardID    string    `json:"card_id"`
	Amount    int64     `json:"amount"`
	Fee       int64     `json:"fee"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status" enum:"processing,succeeded,failed" doc:"processing: the bank has not answered yet; the money is reserved (withdrawals) and the order completes by itself."`
	Reason    string    `json:"reason,omitempty" doc:"Why it failed, e.g. insufficient_funds."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func orderView(o wallet.BankOrder) OrderView {
	return OrderView{ID: o.ID, Kind: o.Kind, CardID: o.CardID, Amount: o.Amount, Fee: o.Fee, Currency: o.Currency, Status: o.Status,
		Reason: o.Reason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type orderOutput struct {
	Status int
	Body   OrderView
}

// OrderBody asks for a top-up or a withdrawal.
type OrderBody struct {
	CardID   string `json:"card_id" maxLength:"64"`
	Amount   int64  `json:"amount" minimum:"1" doc:"Minor units."`
	Currency string `json:"currency" pattern:"^[A-Z]{3}$" example:"CNY"`
	PIN      string `json:"pin" maxLength:"16"`
}

func registerBank(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "verifyIdentity", Method: http.MethodPost, Path: "/v1/me/identity", Tags: []string{accountTag},
		Summary:     "Verify my real name (tier 1)",
		Description: "A mainland resident identity card (18 characters, ISO 7064 MOD 11-2 check character) or a passport, checked with the identity provider.",
		Security:    sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Name         string `json:"name" maxLength:"128" example:"王小明"`
			DocumentType string `json:"document_type" enum:"resident_id,passport"`
			Country      string `json:"country,omitempty" maxLength:"3" doc:"Passports: ISO 3166-1 alpha-3 code of the issuing country."`
			Number       string `json:"number" maxLength:"32"`
		}
	}) (*userOutput, error) {
		u, err := w.VerifyIdentity(ctx, userFrom(ctx), wallet.IdentityRequest{Name: in.Body.Name, Type: in.Body.DocumentType,
			Country: in.Body.Country, Number: in.Body.Number})
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: userView(u)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "linkCard", Method: http.MethodPost, Path: "/v1/me/bank-cards", Tags: []string{bankTag},
		Summary:     "Link a bank card: the bank texts a code to verify",
		Description: "The card must be in your verified name. Then POST /v1/me/bank-cards/{id}/verify with the code.",
		Security:    sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Number     string `json:"number" maxLength:"32" example:"6222020200112233445"`
			HolderName string `json:"holder_name" maxLength:"128"`
		}
	}) (*struct{ Body CardView }, error) {
		c, err := w.LinkCard(ctx, userFrom(ctx), in.Body.Number, in.Body.HolderName)
		if err != nil {
			return nil, err
		}
		return &struct{ Body CardView }{Body: cardView(c.BankCard, c.SandboxCode)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "verifyCard", Method: http.MethodPost, Path: "/v1/me/bank-cards/{id}/verify", Tags: []string{bankTag},
		Summary: "Verify a card with the bank's code (tier 2)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Code string `json:"code" maxLength:"12"`
		}
	}) (*struct{ Body CardView }, error) {
		c, err := w.VerifyCard(ctx, userFrom(ctx), in.ID, in.Body.Code)
		if err != nil {
			return nil, err
		}
		return &struct{ Body CardView }{Body: cardView(c, "")}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listCards", Method: http.MethodGet, Path: "/v1/me/bank-cards", Tags: []string{bankTag},
		Summary: "My linked cards", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*cardsOutput, error) {
		cs, err := w.Cards(ctx, userFrom(ctx).ID)
		if err != nil {
			return nil, err
		}
		out := &cardsOutput{}
		out.Body.Cards = mapSlice(cs, func(c wallet.BankCard) CardView { return cardView(c, "") })
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "removeCard", Method: http.MethodDelete, Path: "/v1/me/bank-cards/{id}", Tags: []string{bankTag},
		Summary: "Unlink a card", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*struct{}, error) {
		return nil, w.RemoveCard(ctx, userFrom(ctx), in.ID)
	}))
	for _, op := range []struct{ id, path, summary, desc string }{
		{"topUp", "/v1/me/topups", "Top up the wallet from a card",
			"The bank debits the card; the wallet is credited when the bank confirms. 201 with status succeeded, failed, or processing (the bank answers later; the order completes by itself)."},
		{"withdraw", "/v1/me/withdrawals", "Withdraw to a debit card",
			"Reserves the amount and the tier's fee at once, then the bank pays the card: on success the reservation is booked, on failure it is released. A bank that times out leaves it processing until the bank's final answer."},
	} {
		huma.Register(a, huma.Operation{
			OperationID: op.id, Method: http.MethodPost, Path: op.path, Tags: []string{bankTag},
			Summary: op.summary, Description: op.desc, Security: sessionOnly, DefaultStatus: http.StatusCreated,
			Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusLocked, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
		}, wrap(func(ctx context.Context, in *struct {
			Key  string `header:"Idempotency-Key" maxLength:"255" doc:"The same key and body make one order; retries answer with it."`
			Body OrderBody
		}) (*orderOutput, error) {
			if err := checkKey(in.Key); err != nil {
				return nil, err
			}
			req := wallet.BankOrderRequest{CardID: in.Body.CardID, Amount: in.Body.Amount, Currency: in.Body.Currency, PIN: in.Body.PIN, IdempotencyKey: in.Key}
			do := w.TopUp
			if op.id == "withdraw" {
				do = w.Withdraw
			}
			o, err := do(ctx, userFrom(ctx), req)
			if err != nil {
				return nil, err
			}
			return &orderOutput{Status: http.StatusCreated, Body: orderView(o)}, nil
		}))
	}
	huma.Register(a, huma.Operation{
		OperationID: "getOrder", Method: http.MethodGet, Path: "/v1/me/bank-orders/{id}", Tags: []string{bankTag},
		Summary: "A top-up or withdrawal", Security: sessionOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*orderOutput, error) {
		o, err := w.Order(ctx, userFrom(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &orderOutput{Status: http.StatusOK, Body: orderView(o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listOrders", Method: http.MethodGet, Path: "/v1/me/bank-orders", Tags: []string{bankTag},
		Summary: "My top-ups and withdrawals", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*ordersOutput, error) {
		os, err := w.Orders(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &ordersOutput{}
		out.Body.Orders = mapSlice(os, func(o wallet.BankOrder) OrderView { return orderView(o) })
		return out, nil
	}))
}
