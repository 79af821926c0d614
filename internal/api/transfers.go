package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

const maxTransfersBody = 8 << 20 // 8,000 transfers of about 400 bytes, and room

// registerCreateTransfers serves POST /v1/ledger/transfers with a plain
// handler and adds its description to the API document.
func registerCreateTransfers(a huma.API, mux *http.ServeMux, eng *ledger.Engine, isOperator func(context.Context, string) bool) {
	reg := a.OpenAPI().Components.Schemas
	problemSchema := reg.Schema(reflect.TypeOf(Problem{}), true, "Problem")
	problemResponse := func(desc string) *huma.Response {
		return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{
			"application/problem+json": {Schema: problemSchema},
		}}
	}
	a.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "createLedgerTransfers", Method: http.MethodPost, Path: "/v1/ledger/transfers", Tags: []string{ledgerTag},
		Summary: "Create transfers (1 to 8,000)",
		Description: "Commits the transfers in order, in one batch with other clients' transfers. The answer has one status per transfer: " +
			"created, exists (the same transfer was created before: retries are safe), or the reason it was refused. " +
			"A malformed request is refused whole (400/422) and changes nothing.",
		Security: operatorOnly,
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
			"application/json": {Schema: reg.Schema(reflect.TypeOf(TransfersRequest{}), true, "TransfersRequest")},
		}},
		Responses: map[string]*huma.Response{
			"200": {Description: "One result per transfer", Content: map[string]*huma.MediaType{
				"application/json": {Schema: reg.Schema(reflect.TypeOf(TransfersResponse{}), true, "TransfersResponse")},
			}},
			"400": problemResponse("Malformed JSON"),
			"401": problemResponse("No valid operator token"),
			"413": problemResponse("Body larger than 8 MiB"),
			"415": problemResponse("Not JSON"),
			"422": problemResponse("A field is missing or invalid"),
			"503": problemResponse("The ledger can not answer now; retry with the same ids"),
		},
	})
	mux.HandleFunc("POST /v1/ledger/transfers", func(w http.ResponseWriter, r *http.Request) {
		if !isOperator(r.Context(), r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="shiliantong"`)
			writeProblem(w, problem(http.StatusUnauthorized, CodeUnauthorized, "a valid operator token is required (Authorization: Bearer …)"))
			return
		}
		out, err := createTransfers(r.Context(), eng, w, r)
		if err != nil {
			writeProblem(w, asProblem(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}

func createTransfers(ctx context.Context, eng *ledger.Engine, w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && mt != "application/problem+json") {
			return nil, problem(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "send the body as application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTransfersBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, problem(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxTransfersBody))
	case err != nil:
		return nil, problem(http.StatusBadRequest, CodeMalformedRequest, "the body could not be read")
	}
	var req TransfersRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	switch n := len(req.Transfers); {
	case n == 0:
		return nil, invalid("body.transfers", "transfers must hold 1 to %d transfers", ledger.MaxTransfersPerRequest)
	case n > ledger.MaxTransfersPerRequest:
		return nil, invalid("body.transfers", "%d transfers in one request; at most %d", n, ledger.MaxTransfersPerRequest)
	}
	ts := make([]ledger.Transfer, len(req.Transfers))
	for i := range req.Transfers {
		t, err := transferFromRequest(&req.Transfers[i], "body.transfers["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	res, err := eng.CreateTransfers(ctx, ts)
	if err != nil {
		return nil, engineError(err)
	}
	// {"results":[{"id":"…","status":"…"},…]}: ids and statuses need no
	// escaping (UUIDs and fixed names).
	out := make([]byte, 0, 16+len(res)*72)
	out = append(out, `{"results":[`...)
	for i, x := range res {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"id":"`...)
		out = append(out, ts[i].ID.String()...)
		out = append(out, `","status":"`...)
		out = append(out, x.String()...)
		out = append(out, `"}`...)
	}
	return append(out, "]}\n"...), nil
}

// asProblem turns any error into a problem; errors that are not problems
// are internal and are not described to the client.
func asProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if se, ok := newHumaError(http.StatusInternalServerError, "", err).(*Problem); ok {
		return se
	}
	return problem(http.StatusInternalServerError, CodeInternal, "an unexpected error occurred")
}
