package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const insuranceTag = "Insurance"

// PolicyView is a term of account-security insurance.
type PolicyView struct {
	ID       string    `json:"id"`
	Status   string    `json:"status" enum:"active,expired"`
	Premium  int64     `json:"premium" doc:"CNY minor units."`
	Cover    int64     `json:"cover" doc:"What the term covers in all, CNY minor units."`
	PaidOut  int64     `json:"paid_out"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// ClaimView is a claim on one transaction.
type ClaimView struct {
	ID          string    `json:"id"`
	PolicyID    string    `json:"policy_id"`
	UserID      string    `json:"user_id"`
	TransferID  string    `json:"transfer_id"`
	Amount      int64     `json:"amount"`
	Description string    `json:"description,omitempty"`
	Status      string    `json:"status" enum:"submitted,paid,rejected"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

func policyView(p wallet.Policy) PolicyView {
	return PolicyView{ID: p.ID, Status: p.Status, Premium: p.Premium, Cover: p.Cover, PaidOut: p.PaidOut, StartsAt: p.StartsAt, EndsAt: p.EndsAt}
}

func claimView(c wallet.Claim) ClaimView {
	return ClaimView{ID: c.ID, PolicyID: c.PolicyID, UserID: c.UserID, TransferID: c.TransferID, Amount: c.Amount, Description: c.Description,
		Status: c.Status, Reason: c.Reason, CreatedAt: c.CreatedAt, DecidedAt: c.DecidedAt}
}

func claimViews(cs []wallet.Claim) []ClaimView {
	out := make([]ClaimView, 0, len(cs))
	for _, c := range cs {
		out = append(out, claimView(c))
	}
	return out
}

type insuranceOutput struct {
	Body struct {
		Policies []PolicyView `json:"policies"`
		Claims   []ClaimView  `json:"claims"`
	}
}

func registerInsurance(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "buyInsurance", Method: http.MethodPost, Path: "/v1/me/insurance", Tags: []string{insuranceTag},
		Summary: "Buy a term of account-security insurance (账户安全险)", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Description: "The premium (¥3.00) is paid from the CNY wallet, confirmed with the PIN; the term (30 days) covers up to ¥10,000 of money taken without consent.",
		Errors:      []int{http.StatusUnauthorized, http.StatusConflict, http.StatusLocked, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			PIN string `json:"pin" maxLength:"16"`
		}
	}) (*struct{ Body PolicyView }, error) {
		p, err := w.BuyInsurance(ctx, userFrom(ctx), in.Body.PIN)
		if err != nil {
			return nil, err
		}
		return &struct{ Body PolicyView }{Body: policyView(p)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "myInsurance", Method: http.MethodGet, Path: "/v1/me/insurance", Tags: []string{insuranceTag},
		Summary: "My policies and claims", Security: sessionOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*insuranceOutput, error) {
		ps, cs, err := w.Insurance(ctx, userFrom(ctx))
		if err != nil {
			return nil, err
		}
		out := &insuranceOutput{}
		out.Body.Policies = make([]PolicyView, 0, len(ps))
		for _, p := range ps {
			out.Body.Policies = append(out.Body.Policies, policyView(p))
		}
		out.Body.Claims = claimViews(cs)
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "fileClaim", Method: http.MethodPost, Path: "/v1/me/insurance/claims", Tags: []string{insuranceTag},
		Summary: "Claim for money taken out of my wallet without my consent", Security: sessionOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			TransferID  string `json:"transfer_id" maxLength:"64" doc:"The bill's id (its ledger transfer)."`
			Description string `json:"description,omitempty" maxLength:"1000"`
		}
	}) (*struct{ Body ClaimView }, error) {
		c, err := w.FileClaim(ctx, userFrom(ctx), in.Body.TransferID, in.Body.Description)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ClaimView }{Body: claimView(c)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listClaims", Method: http.MethodGet, Path: "/v1/operator/insurance/claims", Tags: []string{insuranceTag},
		Summary: "Claims to review (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Status string `query:"status" enum:"submitted,paid,rejected,"`
	}) (*struct {
		Body struct {
			Claims []ClaimView `json:"claims"`
		}
	}, error) {
		cs, err := w.Claims(ctx, wallet.ClaimFilter{Status: in.Status})
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Claims []ClaimView `json:"claims"`
			}
		}{}
		out.Body.Claims = claimViews(cs)
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "claimEvidence", Method: http.MethodGet, Path: "/v1/operator/insurance/claims/{id}", Tags: []string{insuranceTag},
		Summary: "A claim with its evidence: the policy, the transaction, the user's security actions (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*struct {
		Body struct {
			Claim    ClaimView        `json:"claim"`
			Policy   PolicyView       `json:"policy"`
			Transfer Transfer         `json:"transfer"`
			Security []AuditEntryView `json:"security"`
		}
	}, error) {
		ev, err := w.Evidence(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Claim    ClaimView        `json:"claim"`
				Policy   PolicyView       `json:"policy"`
				Transfer Transfer         `json:"transfer"`
				Security []AuditEntryView `json:"security"`
			}
		}{}
		out.Body.Claim, out.Body.Policy, out.Body.Transfer = claimView(ev.Claim), policyView(ev.Policy), transferView(&ev.Transfer)
		out.Body.Security = make([]AuditEntryView, 0, len(ev.Security))
		for _, e := range ev.Security {
			out.Body.Security = append(out.Body.Security, AuditEntryView(e))
		}
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "decideClaim", Method: http.MethodPost, Path: "/v1/operator/insurance/claims/{id}/decide", Tags: []string{insuranceTag},
		Summary: "Approve (the pool pays the claim into the wallet) or reject with a reason (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Approve bool   `json:"approve"`
			Reason  string `json:"reason,omitempty" maxLength:"500"`
		}
	}) (*struct{ Body ClaimView }, error) {
		c, err := w.DecideClaim(ctx, in.ID, in.Body.Approve, in.Body.Reason)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ClaimView }{Body: claimView(c)}, nil
	}))
}
