package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const auditTag = "Audit"

// AuditEntryView is one entry of the audit trail.
type AuditEntryView struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor" doc:"A user id, or operator-token."`
	Action   string    `json:"action" example:"merchant_approved"`
	Target   string    `json:"target"`
	IP       string    `json:"ip,omitempty"`
	Client   string    `json:"client,omitempty"`
	Details  string    `json:"details,omitempty"`
	PrevHash string    `json:"prev_hash" doc:"The previous entry's hash (hex); empty for the first."`
	Hash     string    `json:"hash" doc:"SHA-256 (hex) over the previous hash and this entry's fields; see docs/audit.md."`
}

func registerAudit(a huma.API, w *wallet.Service) {
	huma.Register(a, huma.Operation{
		OperationID: "auditLog", Method: http.MethodGet, Path: "/v1/operator/audit", Tags: []string{auditTag},
		Summary: "Search the audit trail, newest first (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, in *struct {
		Actor  string `query:"actor" maxLength:"80"`
		Action string `query:"action" maxLength:"64"`
		Before int64  `query:"before" minimum:"0" doc:"Entries before this seq (paging)."`
		Limit  int    `query:"limit" minimum:"0" maximum:"500"`
	}) (*struct {
		Body struct {
			Entries []AuditEntryView `json:"entries"`
		}
	}, error) {
		es, err := w.AuditLog(ctx, wallet.AuditFilter{Actor: in.Actor, Action: in.Action, Before: in.Before, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Entries []AuditEntryView `json:"entries"`
			}
		}{}
		out.Body.Entries = make([]AuditEntryView, 0, len(es))
		for _, e := range es {
			out.Body.Entries = append(out.Body.Entries, AuditEntryView(e))
		}
		return out, nil
	}))
	huma.Register(a, huma.Operation{
		OperationID: "verifyAudit", Method: http.MethodGet, Path: "/v1/operator/audit/verify", Tags: []string{auditTag},
		Summary: "Check the audit trail's hash chain (operators)", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized},
	}, wrap(func(ctx context.Context, _ *struct{}) (*struct {
		Body struct {
			Entries int64  `json:"entries"`
			OK      bool   `json:"ok"`
			Problem string `json:"problem,omitempty"`
		}
	}, error) {
		n, err := w.VerifyAudit(ctx)
		if err != nil && !errors.Is(err, wallet.ErrAuditBroken) {
			return nil, err
		}
		out := &struct {
			Body struct {
				Entries int64  `json:"entries"`
				OK      bool   `json:"ok"`
				Problem string `json:"problem,omitempty"`
			}
		}{}
		out.Body.Entries, out.Body.OK = n, err == nil
		if err != nil {
			out.Body.Problem = err.Error()
		}
		return out, nil
	}))
}
