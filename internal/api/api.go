// Package api is ShiLianTong's HTTP JSON API: routes, request decoding and
// validation, authentication, and the mapping of domain errors to RFC 9457
// problems. Handlers translate and call one service; they hold no business
// rules. The OpenAPI 3.1 document is generated from the Go types.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Options are the API's dependencies.
type Options struct {
	Engine     *ledger.Engine
	AdminToken string                          // the operator token for /v1/ledger
	Ready      func(ctx context.Context) error // nil when the server can serve
	Version    string
	Logger     *slog.Logger
	// Wallet serves the user-facing API (/v1/users, /v1/me, /v1/transfers …);
	// nil leaves it out.
	Wallet *wallet.Service
	// Log serves the transparency log (/v1/log/…); nil leaves it out.
	Log *ledgerlog.Log
}

const operatorScheme = "operatorToken"

// New returns the API's handler and its huma API (for the OpenAPI
// document).
func New(opts Options) (http.Handler, huma.API) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("ShiLianTong API", opts.Version)
	cfg.Info.Description = "ShiLianTong (世链通) digital wallet and payments platform. " +
		"Amounts are integers in the currency's minor units; errors are RFC 9457 problems with a stable code."
	cfg.DocsPath = ""     // no documentation page that loads scripts from elsewhere
	cfg.CreateHooks = nil // no $schema links in every response
	cfg.SchemasPath = ""
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		operatorScheme: {Type: "http", Scheme: "bearer",
			Description: "The operator token: SLT_ADMIN_TOKEN, or the one the server generated in its data directory."},
		sessionScheme: {Type: "http", Scheme: "bearer",
			Description: "A user's session token, from POST /v1/sessions."},
		signedScheme: {Type: "apiKey", In: "header", Name: "SLT-Signature",
			Description: "Merchant requests carry SLT-Key-Id, SLT-Timestamp (Unix seconds), SLT-Nonce and SLT-Signature: the base64 HMAC-SHA256, " +
				"under the key's secret, of method, path with query, timestamp, nonce and the hex SHA-256 of the body, each followed by a newline. " +
				"Requests signed more than 5 minutes away from the server's clock, or with a nonce used before, are refused."},
	}
	a := humago.New(mux, cfg)
	isOperator := operatorCheck(opts.AdminToken, opts.Wallet)
	a.UseMiddleware(requireOperator(a, isOperator, opts.Wallet))
	if opts.Wallet != nil {
		a.UseMiddleware(requireSession(a, opts.Wallet))
	}

	registerHealth(a, mux, opts)
	registerLedger(a, mux, opts.Engine, isOperator)
	if opts.Log != nil {
		registerLog(a, opts.Log)
	}
	if opts.Wallet != nil {
		registerAccount(a, opts.Wallet)
		registerMoney(a, opts.Wallet)
		registerBill(a, opts.Wallet, opts.Log)
		registerCases(a, opts.Wallet)
		registerAMLReports(a, opts.Wallet)
		registerRiskExports(a, opts.Wallet)
		registerBank(a, opts.Wallet)
		registerMerchants(a, opts.Wallet)
		registerPasskeys(a, opts.Wallet)
		registerDevices(a, opts.Wallet)
	}

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, problem(http.StatusNotFound, CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+
			" (the API is described at /openapi.json)"))
	})
	if opts.Wallet != nil {
		return requireSignature(opts.Wallet, mux), a
	}
	return mux, a
}

// validToken reports whether an Authorization header carries the token.
func validToken(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// operatorCheck returns the test of an Authorization header for operator
// operations: the operator token, or the session of an operator user
// (slt admin create).
func operatorCheck(token string, w *wallet.Service) func(ctx context.Context, header string) bool {
	return func(ctx context.Context, header string) bool {
		if validToken(header, token) {
			return true
		}
		if w == nil {
			return false
		}
		session, ok := strings.CutPrefix(header, "Bearer ")
		if !ok {
			return false
		}
		u, _, err := w.Authenticate(ctx, session)
		return err == nil && u.Role == wallet.RoleOperator
	}
}

// requireOperator checks operator credentials on operations that ask for them.
// The operator, for the audit trail, is the operator user whose session it
// is, or "operator-token".
func requireOperator(a huma.API, isOperator func(context.Context, string) bool, w *wallet.Service) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if !needsScheme(ctx.Operation(), operatorScheme) {
			next(ctx)
			return
		}
		header := ctx.Header("Authorization")
		if !isOperator(ctx.Context(), header) {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="shiliantong"`)
			_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, "a valid operator token or an operator's session is required (Authorization: Bearer …)")
			return
		}
		actor := "operator-token"
		if session, ok := strings.CutPrefix(header, "Bearer "); ok && w != nil {
			if u, _, err := w.Authenticate(ctx.Context(), session); err == nil {
				actor = u.ID
			}
		}
		next(withActor(ctx, actor))
	}
}

// withActor puts the request's actor in its context, for the audit trail.
func withActor(ctx huma.Context, id string) huma.Context {
	host, _, err := net.SplitHostPort(ctx.RemoteAddr())
	if err != nil {
		host = ctx.RemoteAddr()
	}
	return huma.WithContext(ctx, wallet.WithActor(ctx.Context(), wallet.Actor{ID: id, IP: host, Client: ctx.Header("User-Agent")}))
}

func needsScheme(op *huma.Operation, scheme string) bool {
	for _, req := range op.Security {
		if _, ok := req[scheme]; ok {
			return true
		}
	}
	return false
}

// writeProblem writes a problem outside huma (plain handlers).
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

type healthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok"`
	}
}

func registerHealth(a huma.API, mux *http.ServeMux, opts Options) {
	huma.Register(a, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"Operations"},
		Summary: "Liveness: the process is running",
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		out := &healthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"Operations"},
		Summary: "Readiness: the server can serve requests (its database answers)",
		Errors:  []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		if opts.Ready != nil {
			if err := opts.Ready(ctx); err != nil {
				return nil, problem(http.StatusServiceUnavailable, CodeUnavailable, "not ready: "+err.Error())
			}
		}
		out := &healthOutput{}
		out.Body.Status = "ready"
		return out, nil
	})
}
