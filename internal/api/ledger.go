package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/money"
)

const (
	uuidPattern     = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	currencyPattern = `^[A-Z]{3}$`
	ledgerTag       = "Ledger"
)

var operatorOnly = []map[string][]string{{operatorScheme: {}}}

// AccountRequest creates a ledger account.
type AccountRequest struct {
	ID       string   `json:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"The account's 128-bit id, chosen by the client, as a UUID. Time-ordered ids (UUIDv7) keep the database fastest." example:"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"`
	Currency string   `json:"currency" pattern:"^[A-Z]{3}$" doc:"ISO 4217 alphabetic code of a currency with minor units." example:"CNY"`
	Code     int      `json:"code" minimum:"1" maximum:"65535" doc:"The kind of account, chosen by the application (e.g. 1 = user wallet)." example:"1"`
	Flags    []string `json:"flags,omitempty" enum:"debits_must_not_exceed_credits,credits_must_not_exceed_debits" doc:"Balance rules the account enforces on every transfer."`
	Owner    string   `json:"owner,omitempty" maxLength:"128" doc:"A reference to the owner, e.g. user:42." example:"user:42"`
}

// Account is a ledger account with its balances in minor units.
type Account struct {
	ID             string    `json:"id" example:"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"`
	Currency       string    `json:"currency" example:"CNY"`
	Code           int       `json:"code" example:"1"`
	Flags          []string  `json:"flags"`
	Owner          string    `json:"owner"`
	DebitsPending  int64     `json:"debits_pending" doc:"Reserved by pending transfers from this account."`
	DebitsPosted   int64     `json:"debits_posted"`
	CreditsPending int64     `json:"credits_pending" doc:"Reserved by pending transfers to this account."`
	CreditsPosted  int64     `json:"credits_posted"`
	CreatedAt      time.Time `json:"created_at"`
	Timestamp      int64     `json:"timestamp" doc:"Creation time in nanoseconds since the Unix epoch, unique in the ledger."`
}

// TransferRequest is one transfer of a request. For post_pending and
// void_pending, only id, flags and pending_id are needed: the others are
// taken from the pending transfer and, when given, must match it.
type TransferRequest struct {
	ID              string   `json:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"The transfer's 128-bit id, chosen by the client, as a UUID: submitting it again is safe (the answer is exists)."`
	DebitAccountID  *string  `json:"debit_account_id,omitempty" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"The account debited. Required unless post_pending or void_pending."`
	CreditAccountID *string  `json:"credit_account_id,omitempty" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"The account credited. Required unless post_pending or void_pending."`
	Amount          *int64   `json:"amount,omitempty" minimum:"0" doc:"Integer minor units (1250 = 12.50 CNY). Required unless post_pending or void_pending; for post_pending, omitted or 0 posts the whole pending amount."`
	Currency        *string  `json:"currency,omitempty" pattern:"^[A-Z]{3}$" doc:"ISO 4217 code; must be the accounts' currency. Required unless post_pending or void_pending."`
	Code            *int     `json:"code,omitempty" minimum:"0" maximum:"65535" doc:"The kind of transfer, chosen by the application. Required unless post_pending or void_pending."`
	Reference       string   `json:"reference,omitempty" maxLength:"128" doc:"A reference to the business object, e.g. order:7."`
	Flags           []string `json:"flags,omitempty" enum:"linked,pending,post_pending,void_pending" doc:"linked: this transfer and the next commit together or not at all. pending: reserve the amount (two-phase). post_pending / void_pending: complete or release the pending transfer pending_id."`
	PendingID       *string  `json:"pending_id,omitempty" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"For post_pending and void_pending: the pending transfer."`
	TimeoutSeconds  uint32   `json:"timeout_seconds,omitempty" maximum:"7776000" doc:"For pending transfers: seconds after which the ledger voids the transfer by itself; 0 = never."`
}

// Transfer is a committed transfer.
type Transfer struct {
	ID              string    `json:"id"`
	DebitAccountID  string    `json:"debit_account_id"`
	CreditAccountID string    `json:"credit_account_id"`
	Amount          int64     `json:"amount" doc:"Integer minor units."`
	Currency        string    `json:"currency"`
	Code            int       `json:"code"`
	Reference       string    `json:"reference"`
	Flags           []string  `json:"flags" doc:"As submitted; the ledger adds expired to the void it writes when a pending transfer times out."`
	PendingID       string    `json:"pending_id,omitempty"`
	TimeoutSeconds  uint32    `json:"timeout_seconds,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	Timestamp       int64     `json:"timestamp" doc:"Commit time in nanoseconds since the Unix epoch, unique; transfers commit in this order."`
}

// TransferResult is the outcome of one transfer.
type TransferResult struct {
	ID     string `json:"id"`
	Status string `json:"status" doc:"created, exists, or the reason the transfer was refused (e.g. exceeds_credits, linked_event_failed)."`
}

type accountIDPath struct {
	ID string `path:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"Account id"`
}

type accountOutput struct {
	Status int
	Body   Account
}

// TransfersRequest is the body of POST /v1/ledger/transfers.
type TransfersRequest struct {
	Transfers []TransferRequest `json:"transfers" minItems:"1" maxItems:"8000" doc:"Applied in order. Each succeeds or fails on its own, except linked chains."`
}

// TransfersResponse answers POST /v1/ledger/transfers.
type TransfersResponse struct {
	Results []TransferResult `json:"results" doc:"One per transfer, in the same order."`
}

type historyInput struct {
	ID     string    `path:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"Account id"`
	Limit  int       `query:"limit" minimum:"1" maximum:"1000" default:"50" doc:"Transfers per page."`
	Cursor string    `query:"cursor" maxLength:"64" doc:"next_cursor of the previous page."`
	From   time.Time `query:"from" doc:"Only transfers at or after this time (RFC 3339)."`
	To     time.Time `query:"to" doc:"Only transfers before this time (RFC 3339)."`
}

type historyOutput struct {
	Body struct {
		Transfers  []Transfer `json:"transfers" doc:"Newest first."`
		NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
	}
}

type balanceInput struct {
	ID string    `path:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"Account id"`
	At time.Time `query:"at" required:"true" doc:"The balance after every transfer committed at or before this time (RFC 3339)."`
}

type balanceOutput struct {
	Body struct {
		AccountID string    `json:"account_id"`
		At        time.Time `json:"at"`
		ledger.Balance
	}
}

func registerLedger(a huma.API, mux *http.ServeMux, eng *ledger.Engine, isOperator func(context.Context, string) bool) {
	huma.Register(a, huma.Operation{
		OperationID: "createLedgerAccount", Method: http.MethodPost, Path: "/v1/ledger/accounts", Tags: []string{ledgerTag},
		Summary:     "Create a ledger account",
		Description: "Creates an account, or answers 200 with the existing one when an identical account has this id. The same id with other fields is a 409 (code exists_with_different_fields).",
		Security:    operatorOnly, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *struct{ Body AccountRequest }) (*accountOutput, error) {
		acct, err := accountFromRequest(&in.Body)
		if err != nil {
			return nil, err
		}
		res, err := eng.CreateAccounts(ctx, []ledger.Account{acct})
		if err != nil {
			return nil, engineError(err)
		}
		status := http.StatusCreated
		switch res[0] {
		case ledger.AccountCreated:
		case ledger.AccountExists:
			status = http.StatusOK
		case ledger.AccountExistsWithDifferentFields:
			return nil, problem(http.StatusConflict, res[0].String(), "an account with this id exists with other fields")
		default:
			return nil, problem(http.StatusUnprocessableEntity, res[0].String(), "the account was refused: "+res[0].String())
		}
		got, err := eng.LookupAccount(ctx, acct.ID)
		if err != nil {
			return nil, engineError(err)
		}
		return &accountOutput{Status: status, Body: accountView(&got)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "getLedgerAccount", Method: http.MethodGet, Path: "/v1/ledger/accounts/{id}", Tags: []string{ledgerTag},
		Summary: "Get an account with its balances", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *accountIDPath) (*accountOutput, error) {
		id, _ := ledger.ParseID(in.ID) // the pattern has checked it
		got, err := eng.LookupAccount(ctx, id)
		if err != nil {
			return nil, notFound(err, "account_not_found", "no account with id "+in.ID)
		}
		return &accountOutput{Status: http.StatusOK, Body: accountView(&got)}, nil
	})

	// POST /v1/ledger/transfers is the busiest route: a plain handler
	// (decode once, no reflection), described in the document all the same.
	registerCreateTransfers(a, mux, eng, isOperator)

	huma.Register(a, huma.Operation{
		OperationID: "getLedgerTransfer", Method: http.MethodGet, Path: "/v1/ledger/transfers/{id}", Tags: []string{ledgerTag},
		Summary: "Get a transfer", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		ID string `path:"id" pattern:"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" doc:"Transfer id"`
	}) (*struct{ Body Transfer }, error) {
		id, _ := ledger.ParseID(in.ID)
		t, err := eng.LookupTransfer(ctx, id)
		if err != nil {
			return nil, notFound(err, "transfer_not_found", "no transfer with id "+in.ID)
		}
		return &struct{ Body Transfer }{transferView(&t)}, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "listLedgerAccountTransfers", Method: http.MethodGet, Path: "/v1/ledger/accounts/{id}/transfers", Tags: []string{ledgerTag},
		Summary: "List an account's transfers, newest first", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *historyInput) (*historyOutput, error) {
		id, _ := ledger.ParseID(in.ID)
		page, err := eng.AccountTransfers(ctx, id, ledger.TransferFilter{From: in.From, To: in.To, Limit: in.Limit, Cursor: in.Cursor})
		if errors.Is(err, ledger.ErrBadCursor) {
			return nil, invalid("query.cursor", "%v", err)
		}
		if err != nil {
			return nil, notFound(err, "account_not_found", "no account with id "+in.ID)
		}
		out := &historyOutput{}
		out.Body.Transfers = make([]Transfer, len(page.Transfers))
		for i := range page.Transfers {
			out.Body.Transfers[i] = transferView(&page.Transfers[i])
		}
		out.Body.NextCursor = page.Next
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "getLedgerAccountBalanceAt", Method: http.MethodGet, Path: "/v1/ledger/accounts/{id}/balance", Tags: []string{ledgerTag},
		Summary: "An account's balance as of a point in time", Security: operatorOnly,
		Errors: []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *balanceInput) (*balanceOutput, error) {
		id, _ := ledger.ParseID(in.ID)
		b, err := eng.BalanceAt(ctx, id, in.At)
		if err != nil {
			return nil, notFound(err, "account_not_found", "no account with id "+in.ID)
		}
		out := &balanceOutput{}
		out.Body.AccountID, out.Body.At, out.Body.Balance = in.ID, in.At.UTC(), b
		return out, nil
	})
}

func accountFromRequest(r *AccountRequest) (ledger.Account, error) {
	id, err := ledger.ParseID(r.ID)
	if err != nil {
		return ledger.Account{}, invalid("body.id", "%v", err)
	}
	if err := checkCurrency(r.Currency, "body.currency"); err != nil {
		return ledger.Account{}, err
	}
	a := ledger.Account{ID: id, Currency: r.Currency, Code: uint16(r.Code), Owner: r.Owner}
	for i, name := range r.Flags {
		f, err := ledger.ParseAccountFlag(name)
		if err != nil {
			return ledger.Account{}, invalid(fmt.Sprintf("body.flags[%d]", i), "%v", err)
		}
		a.Flags |= f
	}
	return a, nil
}

func checkCurrency(code, location string) error {
	c, err := money.Lookup(code)
	if err != nil {
		return invalid(location, "unknown currency %q: not an ISO 4217 code", code)
	}
	if !c.HasMinorUnits() {
		return invalid(location, "%s (%s) has no minor units and can not hold amounts", c.Code, c.Name)
	}
	return nil
}

// transferFromRequest checks what the schema can not: fields required
// unless the transfer posts or voids a pending one, and known currencies.
func transferFromRequest(r *TransferRequest, at string) (ledger.Transfer, error) {
	var t ledger.Transfer
	var err error
	if r.ID == "" {
		return t, invalid(at+".id", "id is required")
	}
	if t.ID, err = ledger.ParseID(r.ID); err != nil {
		return t, invalid(at+".id", "%v", err)
	}
	switch {
	case r.Amount != nil && *r.Amount < 0:
		return t, invalid(at+".amount", "amount must not be negative")
	case r.Code != nil && (*r.Code < 0 || *r.Code > 65535):
		return t, invalid(at+".code", "code must be 0 to 65535")
	case len(r.Reference) > ledger.MaxReferenceBytes:
		return t, invalid(at+".reference", "reference is longer than %d bytes", ledger.MaxReferenceBytes)
	case r.TimeoutSeconds > ledger.MaxTimeoutSeconds:
		return t, invalid(at+".timeout_seconds", "timeout_seconds must be at most %d (90 days)", ledger.MaxTimeoutSeconds)
	}
	for i, name := range r.Flags {
		f, err := ledger.ParseTransferFlag(name)
		if err != nil {
			return t, invalid(fmt.Sprintf("%s.flags[%d]", at, i), "%v", err)
		}
		t.Flags |= f
	}
	resolving := t.Flags&(ledger.PostPending|ledger.VoidPending) != 0
	required := func(present bool, field string) error {
		if !present {
			return invalid(at+"."+field, "%s is required for a transfer that does not post or void a pending one", field)
		}
		return nil
	}
	if !resolving {
		for _, c := range []struct {
			present bool
			field   string
		}{
			{r.DebitAccountID != nil, "debit_account_id"}, {r.CreditAccountID != nil, "credit_account_id"},
			{r.Amount != nil, "amount"}, {r.Currency != nil, "currency"}, {r.Code != nil, "code"},
		} {
			if err := required(c.present, c.field); err != nil {
				return t, err
			}
		}
	} else if r.PendingID == nil {
		return t, invalid(at+".pending_id", "pending_id is required to post or void a pending transfer")
	}
	for _, x := range []struct {
		src   *string
		dst   *ledger.ID
		field string
	}{{r.DebitAccountID, &t.DebitAccountID, "debit_account_id"}, {r.CreditAccountID, &t.CreditAccountID, "credit_account_id"},
		{r.PendingID, &t.PendingID, "pending_id"}} {
		if x.src != nil {
			if *x.dst, err = ledger.ParseID(*x.src); err != nil {
				return t, invalid(at+"."+x.field, "%v", err)
			}
		}
	}
	if r.Currency != nil {
		if err := checkCurrency(*r.Currency, at+".currency"); err != nil {
			return t, err
		}
		t.Currency = *r.Currency
	}
	if r.Amount != nil {
		t.Amount = *r.Amount
	}
	if r.Code != nil {
		t.Code = uint16(*r.Code)
	}
	t.Reference, t.TimeoutSeconds = r.Reference, r.TimeoutSeconds
	return t, nil
}

func accountView(a *ledger.Account) Account {
	return Account{
		ID: a.ID.String(), Currency: a.Currency, Code: int(a.Code), Flags: a.Flags.Names(), Owner: a.Owner,
		DebitsPending: a.DebitsPending, DebitsPosted: a.DebitsPosted,
		CreditsPending: a.CreditsPending, CreditsPosted: a.CreditsPosted,
		CreatedAt: a.CreatedAt(), Timestamp: a.Timestamp,
	}
}

func transferView(t *ledger.Transfer) Transfer {
	v := Transfer{
		ID: t.ID.String(), DebitAccountID: t.DebitAccountID.String(), CreditAccountID: t.CreditAccountID.String(),
		Amount: t.Amount, Currency: t.Currency, Code: int(t.Code), Reference: t.Reference, Flags: t.Flags.Names(),
		TimeoutSeconds: t.TimeoutSeconds, CreatedAt: t.CreatedAt(), Timestamp: t.Timestamp,
	}
	if !t.PendingID.IsZero() {
		v.PendingID = t.PendingID.String()
	}
	return v
}

// engineError maps the engine's errors to problems.
func engineError(err error) error {
	switch {
	case errors.Is(err, ledger.ErrClosed):
		return problem(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry on another instance or later")
	case errors.Is(err, ledger.ErrUnavailable):
		return problem(http.StatusServiceUnavailable, "ledger_unavailable",
			"the ledger's database did not answer; the outcome is unknown: retry with the same ids")
	case errors.Is(err, ledger.ErrTooMany):
		return problem(http.StatusUnprocessableEntity, CodeInvalidRequest, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problem(http.StatusServiceUnavailable, CodeUnavailable, "the request was cancelled")
	}
	return err
}

func notFound(err error, code, detail string) error {
	if errors.Is(err, ledger.ErrNotFound) {
		return problem(http.StatusNotFound, code, detail)
	}
	return engineError(err)
}
