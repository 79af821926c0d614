package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// LogRef is where a bill's transfer stands in the transparency log: the
// receipt a user keeps to prove, later and with only the log's public
// key, that the payment is in the ledger everyone else sees.
type LogRef struct {
	Status    string  `json:"status" enum:"logged,pending" doc:"pending: committed, appended to the log within a second."`
	LeafIndex *uint64 `json:"leaf_index,omitempty" doc:"The transfer's leaf index in the log (logged only)."`
	LeafHash  []byte  `json:"leaf_hash,omitempty" doc:"The RFC 6962 leaf hash, base64 (logged only)."`
	Inclusion string  `json:"inclusion" doc:"Where the inclusion proof against the newest checkpoint is (docs/log.md)."`
}

// BillDetailView is one bill with its place in the transparency log.
type BillDetailView struct {
	BillView
	Log *LogRef `json:"log,omitempty" doc:"Absent when the server keeps no log."`
}

// logRef looks up a transfer's leaf; nil if the server keeps no log.
func logRef(ctx context.Context, l *ledgerlog.Log, transferID string) (*LogRef, error) {
	if l == nil {
		return nil, nil
	}
	ref := &LogRef{Status: "pending", Inclusion: "/v1/log/inclusion?transfer_id=" + url.QueryEscape(transferID)}
	id, err := ledger.ParseID(transferID)
	if err != nil {
		return ref, nil
	}
	leaf, err := l.LeafOf(ctx, id)
	switch {
	case errors.Is(err, ledgerlog.ErrNotLogged) || errors.Is(err, ledgerlog.ErrUnknownTransfer):
		return ref, nil
	case err != nil:
		return nil, err
	}
	ref.Status, ref.LeafIndex, ref.LeafHash = "logged", &leaf.Index, leaf.Hash
	return ref, nil
}

func registerBill(a huma.API, w *wallet.Service, l *ledgerlog.Log) {
	huma.Register(a, huma.Operation{
		OperationID: "getBill", Method: http.MethodGet, Path: "/v1/me/bills/{id}", Tags: []string{walletTag},
		Summary: "One of my bills, with its leaf in the transparency log", Security: sessionOnly,
		Description: "The receipt to keep: the bill and, once the transfer is appended (within a second of its commit), " +
			"its leaf index and hash in the transparency log, which `slt verify` checks against a signed checkpoint.",
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound},
	}, wrap(func(ctx context.Context, in *struct {
		ID string `path:"id" maxLength:"64" doc:"The bill's id (its ledger transfer)."`
	}) (*struct{ Body BillDetailView }, error) {
		b, err := w.Bill(ctx, userFrom(ctx).ID, in.ID)
		if err != nil {
			return nil, err
		}
		ref, err := logRef(ctx, l, b.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body BillDetailView }{Body: BillDetailView{BillView: billView(b), Log: ref}}, nil
	}))
}

func billView(b wallet.Bill) BillView {
	return BillView{ID: b.ID, Type: b.Type, Amount: b.Amount, Currency: b.Currency, Counterparty: b.Counterparty,
		Status: b.Status, Note: b.Note, Time: b.Time}
}
