package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const casesTag = "Compliance review"

// CaseView is an item of the compliance review queue.
type CaseView struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind" enum:"screening,aml,risk"`
	SubjectKind string          `json:"subject_kind" enum:"user,merchant"`
	SubjectID   string          `json:"subject_id"`
	SubjectName string          `json:"subject_name"`
	Score       int             `json:"score" doc:"0..1000: how strongly the evidence points at the subject."`
	Summary     string          `json:"summary"`
	Evidence    json.RawMessage `json:"evidence" doc:"The case's evidence; for screening: the name screened, the list entry, the matched tokens and the reason."`
	Status      string          `json:"status" enum:"open,cleared,confirmed"`
	CreatedAt   time.Time       `json:"created_at"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
	DecidedBy   string          `json:"decided_by,omitempty"`
	Note        string          `json:"note,omitempty"`
}

func reviewCaseView(c wallet.Case) CaseView {
	v := CaseView{ID: c.ID, Kind: c.Kind, SubjectKind: c.SubjectKind, SubjectID: c.SubjectID, SubjectName: c.SubjectName, Score: c.Score,
		Summary: c.Summary, Evidence: json.RawMessage(c.Evidence), Status: c.Status, CreatedAt: c.CreatedAt, DecidedBy: c.DecidedBy, Note: c.Note}
	if !json.Valid(v.Evidence) {
		v.Evidence = json.RawMessage("{}")
	}
	if !c.DecidedAt.IsZero() {
		v.DecidedAt = &c.DecidedAt
	}
	return v
}

// ScreeningHitView is a list entry a name matches.
type ScreeningHitView struct {
	Source     string   `json:"source" enum:"ofac-sdn,un-consolidated"`
	Ref        string   `json:"ref"`
	Kind       string   `json:"kind"`
	ListedName string   `json:"listed_name"`
	Names      []string `json:"names"`
	Programs   string   `json:"programs,omitempty"`
	Score      float64  `json:"score"`
	Reason     string   `json:"reason"`
}

// ScreeningListView is a loaded list.
type ScreeningListView struct {
	Source   string    `json:"source"`
	Entries  int       `json:"entries"`
	SHA256   string    `json:"sha256" doc:"Of the files loaded."`
	LoadedAt time.Time `json:"loaded_at"`
}

// Outputs of the review queue's operations.
type (
	casesOutput struct {
		Body struct {
			Cases []CaseView `json:"cases"`
		}
	}
	reviewCaseOutput struct{ Body CaseView }
	listsOutput      struct {
		Body struct {
			Lists []ScreeningListView `json:"lists"`
		}
	}
	hitsOutput struct {
		Body struct {
			Hits []ScreeningHitView `json:"hits"`
		}
	}
)

func registerCases(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "listCases", Method: http.MethodGet, Path: "/v1/operator/cases", Tags: []string{casesTag},
		Summary: "The compliance review queue, open cases first (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Status string `query:"status" enum:"open,cleared,confirmed"`
		Kind   string `query:"kind" enum:"screening,aml,risk"`
	}) (*casesOutput, error) {
		cs, err := w.Cases(ctx, wallet.CaseFilter{Status: in.Status, Kind: in.Kind})
		if err != nil {
			return nil, err
		}
		out := &casesOutput{}
		out.Body.Cases = make([]CaseView, len(cs))
		for i, c := range cs {
			out.Body.Cases[i] = reviewCaseView(c)
		}
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "getCase", Method: http.MethodGet, Path: "/v1/operator/cases/{id}", Tags: []string{casesTag},
		Summary: "A case with its evidence (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64"`
	}) (*reviewCaseOutput, error) {
		c, err := w.CaseByID(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &reviewCaseOutput{Body: reviewCaseView(c)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "decideCase", Method: http.MethodPost, Path: "/v1/operator/cases/{id}/decide", Tags: []string{casesTag},
		Summary:  "Clear (a false positive: the hold is released), confirm (the hold stays) or refund a case, with a note (operators)",
		Security: operatorOnly,
		Errors:   []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Decision string `json:"decision" enum:"clear,confirm,refund" doc:"refund (AML cases): send back what came into the subject's wallet from other users by the case's transfers, confirm, freeze."`
			Note     string `json:"note" maxLength:"1000" doc:"Why: the record a regulator reads."`
		}
	}) (*reviewCaseOutput, error) {
		c, err := w.Decide(ctx, in.ID, in.Body.Decision, in.Body.Note)
		if err != nil {
			return nil, err
		}
		return &reviewCaseOutput{Body: reviewCaseView(c)}, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "listScreeningLists", Method: http.MethodGet, Path: "/v1/operator/screening/lists", Tags: []string{casesTag},
		Summary: "The sanctions lists loaded (operators)", Security: operatorOnly, Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*listsOutput, error) {
		ls, err := w.ScreeningLists(ctx)
		if err != nil {
			return nil, err
		}
		out := &listsOutput{}
		out.Body.Lists = make([]ScreeningListView, len(ls))
		for i, l := range ls {
			out.Body.Lists[i] = ScreeningListView(l)
		}
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "screenName", Method: http.MethodPost, Path: "/v1/operator/screening/check", Tags: []string{casesTag},
		Summary: "Screen a name against the loaded lists; nothing is recorded (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Body struct {
			Name string `json:"name" minLength:"1" maxLength:"200"`
		}
	}) (*hitsOutput, error) {
		hits, err := w.ScreenName(ctx, in.Body.Name)
		if err != nil {
			return nil, err
		}
		out := &hitsOutput{}
		out.Body.Hits = make([]ScreeningHitView, len(hits))
		for i, h := range hits {
			out.Body.Hits[i] = ScreeningHitView{Source: h.Entry.Source, Ref: h.Entry.Ref, Kind: h.Entry.Kind, ListedName: h.Name,
				Names: h.Entry.Names, Programs: h.Entry.Programs, Score: h.Score, Reason: h.Reason}
		}
		return out, nil
	}))
}

// csvOutput is a CSV download.
type csvOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// period is a report's days: [from, to).
type period struct {
	From string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-11-01" doc:"The first day (UTC)."`
	To   string `query:"to" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-12-01" doc:"The day after the last (UTC)."`
}

// csvReport answers a report of a period as a CSV download named name-from-to.csv.
func csvReport(p period, name string, write func(from, to time.Time, w io.Writer) error) (*csvOutput, error) {
	from, err1 := time.Parse(time.DateOnly, p.From)
	to, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil || !from.Before(to) {
		return nil, invalid("query.from", "from and to are dates, YYYY-MM-DD, from before to")
	}
	var buf bytes.Buffer
	if err := write(from, to, &buf); err != nil {
		return nil, err
	}
	return &csvOutput{"text/csv; charset=utf-8", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, name, p.From, p.To), buf.Bytes()}, nil
}

func registerAMLReports(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "amlReport", Method: http.MethodGet, Path: "/v1/operator/aml/reports/{kind}", Tags: []string{casesTag},
		Summary: "AML reports for the regulator as CSV: every large-value alert, or the suspicious activity operators confirmed (operators)",
		Description: "One row per case opened in [from, to): the subject's verified identity (masked document number), the amount, " +
			"the ledger transfers behind it, and the operator's decision.",
		Security: operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *struct {
		Kind string `path:"kind" enum:"large-value,suspicious"`
		From string `query:"from" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-11-01" doc:"The first day (UTC)."`
		To   string `query:"to" required:"true" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-12-01" doc:"The day after the last (UTC)."`
	}) (*csvOutput, error) {
		return csvReport(period{From: in.From, To: in.To}, "aml-"+in.Kind, func(from, to time.Time, out io.Writer) error {
			return w.AMLReport(ctx, in.Kind, from, to, out)
		})
	}))
}

func registerRiskExports(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "riskTransactions", Method: http.MethodGet, Path: "/v1/operator/risk/transactions", Tags: []string{casesTag},
		Summary: "The money-outs risk decided in a period, as the fraud model's transactions file (operators)",
		Description: "The columns of `slt risk train` and `slt risk replay` (docs/risk-evaluation.md); txn_id is the decision's id. " +
			"With /v1/operator/risk/labels it is the next training's data.",
		Security: operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *period) (*csvOutput, error) {
		return csvReport(*in, "risk-transactions", func(from, to time.Time, out io.Writer) error {
			return w.RiskTransactions(ctx, from, to, out)
		})
	}))
	huma.Register(a, huma.Operation{
		OperationID: "riskLabels", Method: http.MethodGet, Path: "/v1/operator/risk/labels", Tags: []string{casesTag},
		Summary:     "Labels from the operators' work: decided risk holds, AML cases and insurance claims (operators)",
		Description: "txn_id,is_fraud,typology: a confirmed hold or AML case or a paid claim is fraud; a cleared one or a rejected claim is not.",
		Security:    operatorOnly, Errors: []int{http.StatusUnauthorized, http.StatusUnprocessableEntity},
	}, wrap(func(ctx context.Context, in *period) (*csvOutput, error) {
		return csvReport(*in, "risk-labels", func(from, to time.Time, out io.Writer) error {
			return w.RiskLabels(ctx, from, to, out)
		})
	}))
}
