package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const tillTag = "Till (merchant staff)"

// registerTill serves the till app: merchant staff with their own
// sessions, instead of the merchant's signed server API.
func registerTill(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "addStaff", Method: http.MethodPost, Path: "/v1/merchants/{id}/staff", Tags: []string{merchantTag},
		Summary: "Make a registered user a cashier (owners)", Security: sessionOnly, DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Phone string `json:"phone" maxLength:"32"`
			Role  string `json:"role" enum:"cashier"`
		}
	}) (*struct{}, error) {
		return nil, w.AddStaff(ctx, userFrom(ctx), in.ID, in.Body.Phone, in.Body.Role)
	}))
	huma.Register(a, huma.Operation{
		OperationID: "createStore", Method: http.MethodPost, Path: "/v1/merchants/{id}/stores", Tags: []string{merchantTag},
		Summary: "Add a store (owners)", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Name string `json:"name" maxLength:"128" example:"Nanjing Road"`
		}
	}) (*struct{ Body idNameView }, error) {
		st, err := w.CreateStore(ctx, userFrom(ctx), in.ID, in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &struct{ Body idNameView }{Body: idNameView{ID: st.ID, Name: st.Name}}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "createTerminal", Method: http.MethodPost, Path: "/v1/merchants/{id}/stores/{store}/terminals", Tags: []string{merchantTag},
		Summary: "Add a till to a store (owners)", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID    string `path:"id" maxLength:"64"`
		Store string `path:"store" maxLength:"64"`
		Body  struct {
			Name string `json:"name" maxLength:"128" example:"Till 2"`
		}
	}) (*struct{ Body idNameView }, error) {
		t, err := w.CreateTerminal(ctx, userFrom(ctx), in.ID, in.Store, in.Body.Name)
		if err != nil {
			return nil, err
		}
		return &struct{ Body idNameView }{Body: idNameView{ID: t.ID, Name: t.Name}}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "tillMicropay", Method: http.MethodPost, Path: "/v1/merchants/{id}/till/micropay", Tags: []string{tillTag},
		Summary: "Charge a customer's payment code from the till app (owner or cashier)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			AuthCode    string `json:"auth_code" maxLength:"32"`
			OutTradeNo  string `json:"out_trade_no" maxLength:"32"`
			Amount      int64  `json:"amount" minimum:"1"`
			Currency    string `json:"currency" pattern:"^[A-Z]{3}$"`
			Description string `json:"description,omitempty" maxLength:"512"`
			TerminalID  string `json:"terminal_id,omitempty" maxLength:"64"`
		}
	}) (*morderOutput, error) {
		o, err := w.TillMicropay(ctx, userFrom(ctx), in.ID, in.Body.AuthCode, wallet.OrderRequest{OutTradeNo: in.Body.OutTradeNo,
			Amount: in.Body.Amount, Currency: in.Body.Currency, Description: in.Body.Description, TerminalID: in.Body.TerminalID})
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: plainOrderView(o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "tillOrder", Method: http.MethodGet, Path: "/v1/merchants/{id}/till/orders/{out_trade_no}", Tags: []string{tillTag},
		Summary: "Look an order up (owner or cashier)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
		No string `path:"out_trade_no" maxLength:"32"`
	}) (*morderOutput, error) {
		o, err := w.TillOrder(ctx, userFrom(ctx), in.ID, in.No)
		if err != nil {
			return nil, err
		}
		return &morderOutput{Status: http.StatusOK, Body: plainOrderView(o)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "tillRefund", Method: http.MethodPost, Path: "/v1/merchants/{id}/till/refunds", Tags: []string{tillTag},
		Summary: "Refund from the till app (owners only)", Security: sessionOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			OutTradeNo  string `json:"out_trade_no" maxLength:"32"`
			OutRefundNo string `json:"out_refund_no" maxLength:"32"`
			Amount      int64  `json:"amount" minimum:"1"`
			Reason      string `json:"reason,omitempty" maxLength:"400"`
		}
	}) (*struct{ Body RefundView }, error) {
		r, err := w.TillRefund(ctx, userFrom(ctx), in.ID, wallet.RefundRequest{OutTradeNo: in.Body.OutTradeNo, OutRefundNo: in.Body.OutRefundNo,
			Amount: in.Body.Amount, Reason: in.Body.Reason})
		if err != nil {
			return nil, err
		}
		return &struct{ Body RefundView }{Body: refundView(r)}, nil
	}))
}

// idNameView is a store or a till.
type idNameView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
