// Package web is ShiLianTong's web app: server-rendered pages (Go
// html/template) with their styles and few scripts embedded in the
// binary. It calls the wallet service directly, not the JSON API.
//
// The app is one route table per surface: the wallet for people now
// (wallet.go, pay.go, paycode.go, …); the merchant portal and the operator
// console register their routes the same way, with the same layout,
// sessions, CSRF tokens, languages and error pages. Every page works
// without JavaScript except the payment code and the camera; scripts are
// files under static/ (the Content-Security-Policy forbids inline ones).
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/text/language"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/ratelimit"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

//go:embed templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options are the web app's dependencies.
type Options struct {
	Wallet *wallet.Service
	// Key (≥ 32 bytes) keys the CSRF tokens; every server process that
	// serves the same users must have the same key.
	Key []byte
	// Next serves the requests the web app does not own (the JSON API);
	// nil answers them 404.
	Next   http.Handler
	Logger *slog.Logger

	// The operator console's ledger explorer and system health: the
	// ledger engine (balances, transfers), the invariant check (ledger.Check
	// over the store), and the server's Prometheus metrics (the registry
	// /metrics serves). Any of them nil hides that part of the console.
	Ledger  *ledger.Engine
	Check   func(context.Context) (ledger.CheckReport, error)
	Metrics prometheus.Gatherer
	// Log is the transparency log: a bill shows its transfer's leaf. Nil
	// hides it.
	Log *ledgerlog.Log
}

// App is the web app.
type App struct {
	w      *wallet.Service
	cat    *Catalog
	pages  map[language.Tag]map[string]*template.Template // per language, its constant messages folded in
	csrf   csrf
	log    *slog.Logger
	zone   *time.Location
	static map[string]staticFile
	qr     qrCache

	ledger  *ledger.Engine
	check   func(context.Context) (ledger.CheckReport, error)
	checkMu sync.Mutex // one invariant check at a time: it reads the whole ledger
	metrics prometheus.Gatherer
	tlog    *ledgerlog.Log
	healthC healthCache

	loginIP, loginAccount, signupIP *ratelimit.Limiter
}

type staticFile struct {
	body    []byte
	version string
	ctype   string
}

// New returns the web app's handler. Its templates and messages are
// checked here, so that a broken one stops the server at start.
func New(opts Options) (http.Handler, error) {
	if opts.Wallet == nil || len(opts.Key) < 32 {
		return nil, errors.New("web: a wallet service and a 32-byte key are required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cat, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	pages, err := localizedPages(cat)
	if err != nil {
		return nil, err
	}
	static, err := loadStatic()
	if err != nil {
		return nil, err
	}
	a := &App{w: opts.Wallet, cat: cat, pages: pages, csrf: csrf{key: opts.Key}, log: log, zone: opts.Wallet.DayZone(), static: static,
		loginIP: ratelimit.New(loginTriesPerIP, loginIPWindow), loginAccount: ratelimit.New(loginFailuresPerAccount, loginAccountWindow),
		signupIP: ratelimit.New(signupsPerIP, signupIPWindow), ledger: opts.Ledger, check: opts.Check, metrics: opts.Metrics, tlog: opts.Log}

	mux := http.NewServeMux()
	next := opts.Next
	if next == nil {
		next = http.NotFoundHandler()
	}
	mux.Handle("/", next)
	mux.HandleFunc("GET /static/{file}", a.serveStatic)
	mux.HandleFunc("GET /{$}", a.root)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, a.asset("icon.svg"), http.StatusMovedPermanently)
	})
	a.routesAccount(mux)
	a.routesWallet(mux)
	a.routesPasskeys(mux)
	a.routesDevices(mux)
	a.routesMerchant(mux)
	a.routesConsole(mux)
	a.routesConsoleTrust(mux)
	a.routesConsoleCases(mux)
	a.routesInsurance(mux)
	a.routesDisputes(mux)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, r, http.StatusForbidden, "err.csrf")
	}))
	return securityHeaders(cop.Handler(mux)), nil
}

// root sends a visitor to the wallet, or to the login page.
func (a *App) root(w http.ResponseWriter, r *http.Request) {
	if u, _, ok := a.session(r); ok {
		to := "/app"
		if u.Role == wallet.RoleOperator {
			to = "/console"
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// parsePages parses each page in templates/pages with the layout and the
// partials in templates.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"neg":  func(x int64) bool { return x < 0 },
	"pos":  func(x int64) bool { return x > 0 },
	"list": func(xs ...any) []any { return xs },
	"int":  func(t wallet.Tier) int { return int(t) },
	"net":  func(b ledger.Balance) int64 { return b.CreditsPosted - b.DebitsPosted },
	"ms":   func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) + " ms" },
	// bankStatus is a bank order's status as a bill's.
	"bankStatus": func(s string) string {
		if s == wallet.OrderSucceeded {
			return "completed"
		}
		return s
	},
	"add":   func(a, b int) int { return a + b },
	"lower": strings.ToLower,
	"digits": func() []string {
		return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}
	},
}

func loadStatic() (map[string]staticFile, error) {
	out := map[string]staticFile{}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[e.Name()] = staticFile{body: b, version: hex.EncodeToString(sum[:6]), ctype: ct}
	}
	return out, nil
}

// serveStatic serves an embedded asset; with its version in the query it
// may be cached for a year (the version changes with the content).
func (a *App) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := a.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == f.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("ETag", `"`+f.version+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// asset is the URL of a static file with its version.
func (a *App) asset(name string) string {
	f, ok := a.static[name]
	if !ok {
		panic("web: no static file " + name) // a template names a file that is not there: a test finds it
	}
	return "/static/" + name + "?v=" + f.version
}

// view is what every page template gets.
type view struct {
	app    *App
	L      Locale
	CSRF   string
	User   *wallet.User
	Title  string // message key
	Nav    string // the bottom tab that is current
	Error  string // translated
	Notice string // translated
	Form   url.Values
	Path   string // the request's path and query (the language switch returns there)
	// Refresh, if > 0, reloads the page after that many seconds (an order
	// waiting for the bank), without JavaScript.
	Refresh int
	Scripts []string
	// Menu, on the merchant portal's and the operator console's pages, is
	// their section navigation (instead of the wallet's bottom tabs); those
	// pages use the wider layout.
	Menu    []menuItem
	Context string  // what the menu is of (the merchant's name, the console)
	Portal  *portal // the merchant portal's merchant
	D       any     // the page's own data
}

// menuItem is one entry of a section menu.
type menuItem struct {
	Href, Label string
	Current     bool
}

// T translates a message key.
func (v *view) T(key string, args ...any) string { return v.L.T(key, args...) }

// Money formats an amount for the page's language.
func (v *view) Money(minor int64, cur string) string { return v.L.Money(minor, cur) }

// SignedMoney formats an amount with its sign.
func (v *view) SignedMoney(minor int64, cur string) string { return v.L.SignedMoney(minor, cur) }

// Date formats a time in the wallet's time zone.
func (v *view) Date(t time.Time) string { return v.L.Date(t, v.app.zone) }

// Party names a bill's counterparty; the wallet's own names for the bank
// and the operator are translated.
func (v *view) Party(name string) string {
	switch name {
	case "Bank card":
		return v.T("party.bank_card")
	case "ShiLianTong":
		return v.T("app.name")
	}
	return name
}

// Asset is a static file's URL.
func (v *view) Asset(name string) string { return v.app.asset(name) }

// F is a form value to show again.
func (v *view) F(name string) string { return v.Form.Get(name) }

// OtherLang is the language the switch offers.
func (v *view) OtherLang() Locale {
	for _, t := range langs {
		if t != v.L.Tag {
			return v.app.cat.Locale(t)
		}
	}
	return v.L
}

// newView starts a page's data for a request.
func (a *App) newView(w http.ResponseWriter, r *http.Request, title string) *view {
	v := &view{app: a, L: a.cat.Locale(requestLang(r)), Title: title, Form: r.PostForm, Path: r.URL.RequestURI()}
	v.CSRF = a.csrf.token(a.csrf.seed(w, r))
	if u, ok := r.Context().Value(userKey{}).(wallet.User); ok {
		v.User = &u
	}
	return v
}

// renderBufs are the pages' buffers, reused: a page is rendered whole
// before its status is sent (an error half-way shows an error page).
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf bounds the buffers kept for reuse (a long list's page is
// let go).
const maxPooledBuf = 256 << 10

// render executes a page with status.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := a.pages[v.L.Tag][page]
	if !ok {
		a.log.Error("web: no such page", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuf {
			buf.Reset()
			renderBufs.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		a.log.Error("web: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.L.Code())
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError shows an error page with a translated message.
func (a *App) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	v := a.newView(w, r, "error.title")
	v.Error = v.T(key)
	a.render(w, r, status, "error", v)
}

// fail answers an error a handler did not expect: logged, and a page that
// tells nothing of the internals.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := wallet.AsError(err); ok {
		v := a.newView(w, r, "error.title")
		v.Error = a.errText(v.L, err)
		a.render(w, r, statusOf(e.Kind), "error", v)
		return
	}
	a.log.Error("web: unexpected error", "path", r.URL.Path, "err", err)
	a.renderError(w, r, http.StatusInternalServerError, "err.internal")
}

// statusOf is the HTTP status of a wallet error's kind.
func statusOf(k wallet.Kind) int {
	switch k {
	case wallet.KindUnauthorized:
		return http.StatusUnauthorized
	case wallet.KindForbidden:
		return http.StatusForbidden
	case wallet.KindNotFound:
		return http.StatusNotFound
	case wallet.KindConflict:
		return http.StatusConflict
	case wallet.KindLocked:
		return http.StatusLocked
	case wallet.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnprocessableEntity
}

// errText is a wallet error as the page says it: the translated message
// of its code, with the details it needs; the service's own (English)
// message for a code without a translation.
func (a *App) errText(l Locale, err error) string {
	e, ok := wallet.AsError(err)
	if !ok {
		return l.T("err.internal")
	}
	key := "err." + e.Code
	if !a.cat.Has(key) {
		return e.Message
	}
	switch e.Code {
	case wallet.CodePINIncorrect:
		if n, ok := e.Details["remaining_tries"].(int); ok {
			return l.T(key, n)
		}
	case wallet.CodePINLocked:
		if t, ok := e.Details["locked_until"].(time.Time); ok {
			return l.T("err.pin_locked_until", l.Date(t, a.zone))
		}
	case wallet.CodeWeakPassword, wallet.CodeLimitExceeded, wallet.CodePINRequired, wallet.CodeRiskDenied, wallet.CodeInvalidMerchant:
		// The reason is in the service's words: say it after ours.
		return l.T(key) + " (" + e.Message + ")"
	}
	return l.T(key)
}

// formError re-renders a form page with the error of a failed action.
func (a *App) formError(w http.ResponseWriter, r *http.Request, page string, v *view, err error) {
	e, ok := wallet.AsError(err)
	if !ok {
		a.fail(w, r, err)
		return
	}
	v.Error = a.errText(v.L, err)
	a.render(w, r, statusOf(e.Kind), page, v)
}

// invalid re-renders a form page with a message of the web app's own
// (input the form itself finds wrong).
func (a *App) invalid(w http.ResponseWriter, r *http.Request, page string, v *view, key string, args ...any) {
	v.Error = v.T(key, args...)
	a.render(w, r, http.StatusUnprocessableEntity, page, v)
}
