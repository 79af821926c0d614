package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/api"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store/sqlite"
)

const token = "test-operator-token"

type env struct {
	t   testing.TB
	srv *httptest.Server
	eng *ledger.Engine
}

func newEnv(t testing.TB) *env {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "slt.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := ledger.New(st, ledger.Options{})
	h, _ := api.New(api.Options{Engine: eng, AdminToken: token, Version: "test"})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		eng.Close()
		st.Close()
	})
	return &env{t: t, srv: srv, eng: eng}
}

type response struct {
	status int
	ctype  string
	body   []byte
}

func (e *env) do(method, path, body string, auth bool) response {
	e.t.Helper()
	return e.req(e.t, method, path, body, auth)
}

func (e *env) req(t testing.TB, method, path, body string, auth bool) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

func (r response) problem(t testing.TB) api.Problem {
	t.Helper()
	if r.ctype != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json (body %s)", r.ctype, r.body)
	}
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Status != r.status || p.Code == "" || p.Title == "" {
		t.Fatalf("incomplete problem %s", r.body)
	}
	return p
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

func account(id, currency string, flags ...string) string {
	fl, _ := json.Marshal(flags)
	if flags == nil {
		fl = []byte("[]")
	}
	return fmt.Sprintf(`{"id":%q,"currency":%q,"code":1,"flags":%s,"owner":"user:1"}`, id, currency, fl)
}

func transfer(id, from, to string, amount int64) string {
	return fmt.Sprintf(`{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"amount":%d,"currency":"CNY","code":7}`, id, from, to, amount)
}

func transfers(ts ...string) string { return `{"transfers":[` + strings.Join(ts, ",") + `]}` }

func TestAccountsAndTransfers(t *testing.T) {
	e := newEnv(t)
	bank, alice := ledger.NewID().String(), ledger.NewID().String()
	r := e.do("POST", "/v1/ledger/accounts", account(bank, "CNY"), true)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r = e.do("POST", "/v1/ledger/accounts", account(bank, "CNY"), true); r.status != http.StatusOK {
		t.Fatalf("same account again: %d %s", r.status, r.body)
	}
	if r = e.do("POST", "/v1/ledger/accounts", account(bank, "USD"), true); r.status != http.StatusConflict ||
		r.problem(t).Code != "exists_with_different_fields" {
		t.Fatalf("different fields: %d %s", r.status, r.body)
	}
	e.do("POST", "/v1/ledger/accounts", account(alice, "CNY", "debits_must_not_exceed_credits"), true)

	t1, t2 := ledger.NewID().String(), ledger.NewID().String()
	r = e.do("POST", "/v1/ledger/transfers", transfers(transfer(t1, bank, alice, 1250), transfer(t2, alice, bank, 5000)), true)
	var out struct {
		Results []api.TransferResult `json:"results"`
	}
	r.decode(t, &out)
	if r.status != http.StatusOK || len(out.Results) != 2 || out.Results[0] != (api.TransferResult{ID: t1, Status: "created"}) ||
		out.Results[1] != (api.TransferResult{ID: t2, Status: "exceeds_credits"}) {
		t.Fatalf("transfers: %d %s", r.status, r.body)
	}
	// A retry is safe.
	r = e.do("POST", "/v1/ledger/transfers", transfers(transfer(t1, bank, alice, 1250)), true)
	r.decode(t, &out)
	if out.Results[0].Status != "exists" {
		t.Fatalf("retry: %s", r.body)
	}
	var acct api.Account
	e.do("GET", "/v1/ledger/accounts/"+alice, "", true).decode(t, &acct)
	if acct.CreditsPosted != 1250 || acct.DebitsPosted != 0 || acct.Flags[0] != "debits_must_not_exceed_credits" || acct.Owner != "user:1" {
		t.Fatalf("account %+v", acct)
	}
	var tr api.Transfer
	e.do("GET", "/v1/ledger/transfers/"+t1, "", true).decode(t, &tr)
	if tr.Amount != 1250 || tr.DebitAccountID != bank || tr.CreditAccountID != alice || tr.Code != 7 || tr.Timestamp == 0 {
		t.Fatalf("transfer %+v", tr)
	}
	var page struct {
		Transfers  []api.Transfer `json:"transfers"`
		NextCursor string         `json:"next_cursor"`
	}
	e.do("GET", "/v1/ledger/accounts/"+alice+"/transfers?limit=1", "", true).decode(t, &page)
	if len(page.Transfers) != 1 || page.Transfers[0].ID != t1 || page.NextCursor != "" {
		t.Fatalf("history %+v", page)
	}
	var bal struct {
		CreditsPosted int64 `json:"credits_posted"`
	}
	at := tr.CreatedAt.Format("2006-01-02T15:04:05.999999999Z07:00")
	e.do("GET", "/v1/ledger/accounts/"+alice+"/balance?at="+at, "", true).decode(t, &bal)
	if bal.CreditsPosted != 1250 {
		t.Fatalf("balance at %s: %+v", at, bal)
	}
	e.do("GET", "/v1/ledger/accounts/"+alice+"/balance?at=2000-01-01T00:00:00Z", "", true).decode(t, &bal)
	if bal.CreditsPosted != 0 {
		t.Fatalf("balance in 2000: %+v", bal)
	}
}

// Every malformed request is refused whole, with a problem that names the
// field, and changes nothing.
func TestMalformedRequestsChangeNothing(t *testing.T) {
	e := newEnv(t)
	a, b := ledger.NewID().String(), ledger.NewID().String()
	e.do("POST", "/v1/ledger/accounts", account(a, "CNY"), true)
	e.do("POST", "/v1/ledger/accounts", account(b, "CNY"), true)
	good := transfer(ledger.NewID().String(), a, b, 100)
	cases := []struct {
		name, body string
		status     int
		location   string
	}{
		{"not JSON", `{"transfers":[`, 400, ""},
		{"empty body", ``, 400, ""},
		{"trailing data", transfers(good) + ` {}`, 400, ""},
		{"no transfers", `{"transfers":[]}`, 422, "body.transfers"},
		{"unknown field", `{"transfers":[` + strings.Replace(good, `"code":7`, `"code":7,"colour":"red"`, 1) + `]}`, 422, "body"},
		{"bad uuid", transfers(good, transfer("not-a-uuid", a, b, 1)), 422, "body.transfers[1].id"},
		{"uuid with braces", transfers(transfer("{"+ledger.NewID().String()+"}", a, b, 1)), 422, "body.transfers[0].id"},
		{"negative amount", transfers(good, transfer(ledger.NewID().String(), a, b, -1)), 422, "body.transfers[1].amount"},
		{"fractional amount", transfers(strings.Replace(good, `"amount":100`, `"amount":1.5`, 1)), 422, "body.transfers[0].amount"},
		{"amount as string", transfers(strings.Replace(good, `"amount":100`, `"amount":"100"`, 1)), 422, "body.transfers[0].amount"},
		{"amount beyond int64", transfers(strings.Replace(good, `"amount":100`, `"amount":9223372036854775808`, 1)), 422, "body.transfers[0].amount"},
		{"unknown currency", transfers(strings.Replace(good, `"CNY"`, `"ABC"`, 1)), 422, "body.transfers[0].currency"},
		{"currency without minor units", transfers(strings.Replace(good, `"CNY"`, `"XAU"`, 1)), 422, "body.transfers[0].currency"},
		{"unknown flag", transfers(strings.Replace(good, `"code":7`, `"code":7,"flags":["instant"]`, 1)), 422, "body.transfers[0].flags[0]"},
		{"missing debit account", transfers(fmt.Sprintf(`{"id":%q,"credit_account_id":%q,"amount":1,"currency":"CNY","code":1}`, ledger.NewID(), b)), 422, "body.transfers[0].debit_account_id"},
		{"missing amount", transfers(fmt.Sprintf(`{"id":%q,"debit_account_id":%q,"credit_account_id":%q,"currency":"CNY","code":1}`, ledger.NewID(), a, b)), 422, "body.transfers[0].amount"},
		{"missing id", transfers(fmt.Sprintf(`{"debit_account_id":%q,"credit_account_id":%q,"amount":1,"currency":"CNY","code":1}`, a, b)), 422, "body.transfers[0].id"},
		{"post without pending id", transfers(fmt.Sprintf(`{"id":%q,"flags":["post_pending"]}`, ledger.NewID())), 422, "body.transfers[0].pending_id"},
		{"code too big", transfers(strings.Replace(good, `"code":7`, `"code":70000`, 1)), 422, "body.transfers[0].code"},
		{"reference too long", transfers(strings.Replace(good, `"code":7`, `"code":7,"reference":"`+strings.Repeat("r", 129)+`"`, 1)), 422, "body.transfers[0].reference"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/ledger/transfers", tc.body, true)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			p := r.problem(t)
			if tc.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != tc.location) {
				t.Fatalf("location %+v, want %s", p.Errors, tc.location)
			}
		})
	}
	// The good transfer in the refused requests was never created.
	var acct api.Account
	e.do("GET", "/v1/ledger/accounts/"+a, "", true).decode(t, &acct)
	if acct.DebitsPosted != 0 {
		t.Fatalf("a refused request moved money: %+v", acct)
	}
	accountCases := []struct {
		name, body string
		status     int
	}{
		{"bad currency", account(ledger.NewID().String(), "cny"), 422},
		{"unknown currency", account(ledger.NewID().String(), "ABC"), 422},
		{"unknown flag", account(ledger.NewID().String(), "CNY", "overdraft"), 422},
		{"both flags", account(ledger.NewID().String(), "CNY", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits"), 422},
		{"no code", fmt.Sprintf(`{"id":%q,"currency":"CNY"}`, ledger.NewID()), 422},
		{"zero id", account("00000000-0000-0000-0000-000000000000", "CNY"), 422},
	}
	for _, tc := range accountCases {
		t.Run("account "+tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/ledger/accounts", tc.body, true)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			r.problem(t)
		})
	}
}

func TestAuthAndErrors(t *testing.T) {
	e := newEnv(t)
	id := ledger.NewID().String()
	for _, path := range []string{"/v1/ledger/accounts/" + id, "/v1/ledger/transfers/" + id, "/v1/ledger/accounts/" + id + "/transfers"} {
		r := e.do("GET", path, "", false)
		if r.status != http.StatusUnauthorized || r.problem(t).Code != "unauthorized" {
			t.Fatalf("%s without a token: %d %s", path, r.status, r.body)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/ledger/accounts/"+id, nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := e.srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if r := e.do("POST", "/v1/ledger/transfers", transfers(transfer(ledger.NewID().String(), id, id, 1)), false); r.status != 401 {
		t.Fatalf("post without token: %d", r.status)
	}
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/ledger/accounts/" + id, 404, "account_not_found"},
		{"/v1/ledger/transfers/" + id, 404, "transfer_not_found"},
		{"/v1/ledger/accounts/" + id + "/transfers", 404, "account_not_found"},
		{"/v1/ledger/accounts/not-an-id", 422, "invalid_request"},
		{"/v1/ledger/accounts/" + id + "/transfers?limit=0", 422, "invalid_request"},
		{"/v1/ledger/accounts/" + id + "/balance", 422, "invalid_request"},
		{"/v1/nothing-here", 404, "not_found"},
	}
	for _, tc := range cases {
		r := e.do("GET", tc.path, "", true)
		if r.status != tc.status || r.problem(t).Code != tc.code {
			t.Fatalf("%s: %d %s, want %d %s", tc.path, r.status, r.body, tc.status, tc.code)
		}
	}
	// A cursor that is not this account's is refused.
	a, b := ledger.NewID().String(), ledger.NewID().String()
	e.do("POST", "/v1/ledger/accounts", account(a, "CNY"), true)
	e.do("POST", "/v1/ledger/accounts", account(b, "CNY"), true)
	if r := e.do("GET", "/v1/ledger/accounts/"+a+"/transfers?cursor=AAAAAAAAAAE", "", true); r.status != 422 {
		t.Fatalf("bad cursor: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/healthz", "", false); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := e.do("GET", "/readyz", "", false); r.status != 200 {
		t.Fatalf("readyz %d", r.status)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/openapi.json", "", false)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
		Comp    struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	r.decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	for _, p := range []string{"/v1/ledger/accounts", "/v1/ledger/transfers", "/v1/ledger/accounts/{id}", "/v1/ledger/accounts/{id}/transfers", "/v1/ledger/accounts/{id}/balance", "/healthz", "/readyz"} {
		if doc.Paths[p] == nil {
			t.Errorf("the document lacks %s", p)
		}
	}
	for _, s := range []string{"TransfersRequest", "TransferRequest", "Account", "Problem"} {
		if doc.Comp.Schemas[s] == nil {
			t.Errorf("the document lacks schema %s", s)
		}
	}
}

// FuzzTransfersBody sends arbitrary bodies: the answer is always 200 with
// one result per transfer, or a 4xx problem; never a 5xx, never a panic.
func FuzzTransfersBody(f *testing.F) {
	a, b := ledger.NewID().String(), ledger.NewID().String()
	f.Add(transfers(transfer(ledger.NewID().String(), a, b, 5)))
	f.Add(`{"transfers":[{"id":"` + ledger.NewID().String() + `","flags":["post_pending"],"pending_id":"` + ledger.NewID().String() + `"}]}`)
	f.Add(`{"transfers":[{"id":1}]}`)
	f.Add(`[]`)
	f.Add(`{"transfers":null}`)
	f.Add(`{"transfers":[{"id":"` + ledger.NewID().String() + `","amount":1e3}]}`)
	e := newEnv(f)
	e.do("POST", "/v1/ledger/accounts", account(a, "CNY"), true)
	e.do("POST", "/v1/ledger/accounts", account(b, "CNY"), true)
	f.Fuzz(func(t *testing.T, body string) {
		r := e.req(t, "POST", "/v1/ledger/transfers", body, true)
		switch {
		case r.status == http.StatusOK:
			var out struct {
				Results []api.TransferResult `json:"results"`
			}
			r.decode(t, &out)
			var in api.TransfersRequest
			_ = json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&in)
			if len(out.Results) != len(in.Transfers) {
				t.Fatalf("%d results for %d transfers", len(out.Results), len(in.Transfers))
			}
		case r.status >= 400 && r.status < 500:
			r.problem(t)
		default:
			t.Fatalf("status %d for %q: %s", r.status, body, r.body)
		}
	})
}
