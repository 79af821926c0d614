package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The web app's bars: every page renders on the server in ≤ 50 ms p99
// under 32 concurrent sessions, and the wallet's home page weighs ≤ 150 KB
// with all its assets. Web measures both against a running server.

// WebConfig is a web benchmark.
type WebConfig struct {
	Addr     string
	Sessions int           // concurrent sessions, one client each
	Duration time.Duration // how long to measure
	// Think is a session's pause after each page (±50 %, at random), as a
	// person reads it; 0 is a closed loop: every session asks again at
	// once, which saturates the server.
	Think time.Duration
	// Token is the server's operator token: it approves the sessions'
	// merchants. OperatorPhone and OperatorPassword are an operator user's
	// (slt admin create), for the console's pages; without them the
	// console is not measured.
	Token, OperatorPhone, OperatorPassword string
	Progress                               io.Writer
}

// WebPage is one page's latencies.
type WebPage struct {
	Page     string  `json:"page"`
	Requests int64   `json:"requests"`
	Bytes    int     `json:"bytes"` // the last answer's HTML
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

// WebAsset is one file the home page loads.
type WebAsset struct {
	URL   string `json:"url"`
	Bytes int    `json:"bytes"`
}

// WebResult is what a web run measured. JSON names are stable.
type WebResult struct {
	Mode           string     `json:"mode"`
	Sessions       int        `json:"sessions"`
	ThinkMs        float64    `json:"think_ms"`
	Seconds        float64    `json:"seconds"`
	Requests       int64      `json:"requests"`
	RequestsPerSec float64    `json:"requests_per_sec"`
	Errors         int64      `json:"errors"`
	FirstError     string     `json:"first_error,omitempty"`
	Pages          []WebPage  `json:"pages"`
	WorstP99Ms     float64    `json:"worst_p99_ms"`
	HomeBytes      int        `json:"home_bytes"` // the home page with every asset
	HomeAssets     []WebAsset `json:"home_assets"`
	CheckMs        float64    `json:"check_ms,omitempty"` // one invariant check from the console, alone
}

// Bars of the web app.
const (
	WebP99BarMs      = 50
	WebHomeBarBytes  = 150 << 10
	webSetupParallel = 8
)

// webSession is one logged-in person (and, for the console, an operator
// session): cookies hold the wallet's session tokens, as the login page
// sets them.
type webSession struct {
	user     benchUser
	merchant benchMerchant
	account  string // the user's CNY ledger account
	order    string // an order of the merchant's
	web, op  *http.Client
}

// Web sets up cfg.Sessions verified, funded users, each owning an approved
// merchant with one paid order, then requests every main page of the web
// app from cfg.Sessions clients at once, for cfg.Duration, each client in
// its own session, and reports p50/p99 per page. Sessions come from the
// API's login (POST /v1/sessions): the web's login form allows 30 logins
// per address in 10 minutes, and a load generator has one address. The
// home page's weight is its HTML with every stylesheet, script, image and
// font it links, as sent (uncompressed).
func Web(ctx context.Context, cfg WebConfig) (WebResult, error) {
	if cfg.Sessions <= 0 {
		cfg.Sessions = 32
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 20 * time.Second
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	base := cfg.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	base = strings.TrimSuffix(base, "/")
	api := &walletAPI{base: base, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: cfg.Sessions * 2, MaxIdleConnsPerHost: cfg.Sessions * 2}}}
	fmt.Fprintf(cfg.Progress, "setting up %d users with a merchant each…\n", cfg.Sessions)
	users, err := api.setUp(ctx, P2PConfig{Users: cfg.Sessions})
	if err != nil {
		return WebResult{}, err
	}
	merchants, err := api.merchants(ctx, users, cfg.Sessions, cfg.Token)
	if err != nil {
		return WebResult{}, err
	}
	sessions := make([]*webSession, cfg.Sessions)
	err = parallel(cfg.Sessions, webSetupParallel, func(i int) error {
		s := &webSession{user: users[i], merchant: merchants[i], web: webClient(users[i].token)}
		// A paid order at every merchant: the next user pays it.
		no := fmt.Sprintf("WEB-%d-%d", time.Now().UnixNano()%1_000_000, i)
		st, o, err := api.signed(ctx, merchants[i], "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": no, "amount": 1234 + i, "currency": "CNY"})
		if err != nil || st != http.StatusCreated {
			return fmt.Errorf("order: %d %v %v", st, o["code"], err)
		}
		payer := users[(i+1)%len(users)]
		if _, err := api.must(ctx, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": benchPIN}); err != nil {
			return err
		}
		s.order = no
		ws, err := api.must(ctx, 200, "GET", "/v1/me/wallets", s.user.token, nil)
		if err != nil {
			return err
		}
		if items, ok := ws["wallets"].([]any); ok && len(items) > 0 {
			s.account, _ = items[0].(map[string]any)["account_id"].(string)
		}
		if cfg.OperatorPhone != "" {
			l, err := api.must(ctx, 201, "POST", "/v1/sessions", "", map[string]any{"phone": cfg.OperatorPhone, "password": cfg.OperatorPassword})
			if err != nil {
				return fmt.Errorf("operator login: %w", err)
			}
			tok, _ := l["token"].(string)
			s.op = webClient(tok)
		}
		sessions[i] = s
		return nil
	})
	if err != nil {
		return WebResult{}, err
	}

	res := WebResult{Mode: "web", Sessions: cfg.Sessions, ThinkMs: ms(cfg.Think)}
	if res.HomeBytes, res.HomeAssets, err = pageWeight(ctx, sessions[0].web, base, "/app"); err != nil {
		return res, err
	}
	pages := webPages(sessions[0])
	if sessions[0].op == nil {
		pages = pages[:len(pages)-consolePages]
	}
	fmt.Fprintf(cfg.Progress, "warming up, then measuring %d pages from %d sessions for %s…\n", len(pages), cfg.Sessions, cfg.Duration)
	// One pass unmeasured: templates, caches and connections warm.
	for _, s := range sessions {
		for _, p := range webPages(s)[:len(pages)] {
			if _, _, err := get(ctx, p.client, base+p.path); err != nil {
				return res, err
			}
		}
	}

	hists := make([][]*histogram, cfg.Sessions)
	sizes := make([]int, len(pages))
	var errs atomic.Int64
	var firstErr sync.Once
	deadline := time.Now().Add(cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Sessions {
		hists[w] = make([]*histogram, len(pages))
		for i := range pages {
			hists[w][i] = newHistogram()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := webPages(sessions[w])[:len(pages)]
			for k := w; time.Now().Before(deadline) && ctx.Err() == nil; k++ {
				i := k % len(pages)
				t0 := time.Now()
				st, n, err := get(ctx, mine[i].client, base+mine[i].path)
				d := time.Since(t0)
				if err != nil || st != http.StatusOK {
					errs.Add(1)
					firstErr.Do(func() { res.FirstError = fmt.Sprintf("%s: %d %v", mine[i].path, st, err) })
					continue
				}
				hists[w][i].add(d, 1)
				if w == 0 {
					sizes[i] = n
				}
				if cfg.Think > 0 {
					time.Sleep(cfg.Think/2 + rand.N(cfg.Think))
				}
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Errors = errs.Load()
	for i, p := range pages {
		h := newHistogram()
		for w := range hists {
			h.merge(hists[w][i])
		}
		row := WebPage{Page: p.name, Requests: h.total, Bytes: sizes[i], P50Ms: ms(h.quantile(0.5)), P99Ms: ms(h.quantile(0.99)), MaxMs: ms(h.max)}
		res.Pages = append(res.Pages, row)
		res.Requests += h.total
		res.WorstP99Ms = max(res.WorstP99Ms, row.P99Ms)
	}
	res.RequestsPerSec = float64(res.Requests) / res.Seconds
	if s := sessions[0]; s.op != nil {
		t0 := time.Now()
		if st, _, err := get(ctx, s.op, base+"/console/ledger/check"); err == nil && st == http.StatusOK {
			res.CheckMs = ms(time.Since(t0))
		}
	}
	return res, nil
}

type webPage struct {
	name, path string
	client     *http.Client
}

// consolePages is how many of webPages' pages, at its end, are the console's.
const consolePages = 7

// webPages are the main GET pages for one session: the wallet's, the
// merchant portal's (the session owns its merchant), and the console's.
func webPages(s *webSession) []webPage {
	m := "/merchant/" + s.merchant.id
	ps := []webPage{
		{"wallet home", "/app", s.web},
		{"bills", "/app/bills", s.web},
		{"pay code", "/app/paycode", s.web},
		{"transfer", "/app/transfer", s.web},
		{"receive code", "/app/receive", s.web},
		{"settings", "/app/settings", s.web},
		{"portal: takings", m, s.web},
		{"portal: orders", m + "/orders", s.web},
		{"portal: order", m + "/orders/" + url.PathEscape(s.order), s.web},
		{"portal: store QR", m + "/qr", s.web},
		{"portal: API keys", m + "/keys", s.web},
		{"portal: webhook", m + "/webhook", s.web},
		{"portal: settlements", m + "/settlements", s.web},
		{"portal: staff", m + "/staff", s.web},
		{"console: overview", "/console", s.op},
		{"console: user search", "/console/users?q=%2B86170", s.op},
		{"console: user", "/console/users/" + s.user.id, s.op},
		{"console: merchants", "/console/merchants?status=approved", s.op},
		{"console: merchant", "/console/merchants/" + s.merchant.id, s.op},
		{"console: ledger account", "/console/ledger/accounts/" + s.account, s.op},
		{"console: health", "/console/health", s.op},
	}
	return ps
}

// webClient is a browser-like client in one session: the wallet's token
// in the session cookie, no redirects followed (a redirect to the login
// page is an error here).
func webClient(token string) *http.Client {
	jar := &oneCookie{c: &http.Cookie{Name: "slt_session", Value: token}}
	return &http.Client{Timeout: 30 * time.Second, Jar: jar,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// oneCookie is a cookie jar that always sends one cookie (and the CSRF
// cookie the first page sets).
type oneCookie struct {
	mu   sync.Mutex
	c    *http.Cookie
	more []*http.Cookie
}

func (j *oneCookie) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.Name != j.c.Name {
			j.more = append(j.more[:0:0], c)
		}
	}
}

func (j *oneCookie) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]*http.Cookie{j.c}, j.more...)
}

// get requests a page and reads it whole; it returns the status and size.
func get(ctx context.Context, c *http.Client, u string) (int, int, error) {
	st, body, err := fetch(ctx, c, u)
	return st, len(body), err
}

func fetch(ctx context.Context, c *http.Client, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

var (
	linkRE   = regexp.MustCompile(`<(?:link|script|img)\b[^>]*?\s(?:href|src)="([^"]+)"`)
	cssURLRE = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)
)

// pageWeight fetches a page and every asset it links (stylesheets,
// scripts, images, and the fonts and images the stylesheets name), and
// adds their sizes. data: URLs are part of the page already.
func pageWeight(ctx context.Context, c *http.Client, base, path string) (int, []WebAsset, error) {
	st, html, err := fetch(ctx, c, base+path)
	if err != nil || st != http.StatusOK {
		return 0, nil, fmt.Errorf("page weight of %s: %d %v", path, st, err)
	}
	total := len(html)
	assets := []WebAsset{{URL: path, Bytes: len(html)}}
	seen := map[string]bool{}
	var walk func(ref string, from string) error
	walk = func(ref, from string) error {
		if strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "blob:") {
			return nil
		}
		u, err := url.Parse(strings.ReplaceAll(ref, "&amp;", "&"))
		if err != nil {
			return err
		}
		fu, _ := url.Parse(base + from)
		abs := fu.ResolveReference(u).String()
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		st, body, err := fetch(ctx, c, abs)
		if err != nil || st != http.StatusOK {
			return fmt.Errorf("asset %s: %d %v", abs, st, err)
		}
		total += len(body)
		assets = append(assets, WebAsset{URL: strings.TrimPrefix(abs, base), Bytes: len(body)})
		if strings.Contains(u.Path, ".css") {
			for _, m := range cssURLRE.FindAllStringSubmatch(string(body), -1) {
				if err := walk(m[1], u.Path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, m := range linkRE.FindAllStringSubmatch(string(html), -1) {
		if err := walk(m[1], path); err != nil {
			return 0, nil, err
		}
	}
	return total, assets, nil
}

// WriteTable prints the result for people.
func (r *WebResult) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "page\trequests\tHTML bytes\tp50 ms\tp99 ms\tmax ms\t\n")
	for _, p := range r.Pages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", p.Page, p.Requests, p.Bytes, p.P50Ms, p.P99Ms, p.MaxMs)
	}
	tw.Flush()
	verdict := func(ok bool) string {
		if ok {
			return "within the bar"
		}
		return "OVER THE BAR"
	}
	fmt.Fprintf(w, "\n%d sessions (think time %.0f ms), %.1f s, %d requests (%.0f/s), %d errors\n", r.Sessions, r.ThinkMs, r.Seconds, r.Requests, r.RequestsPerSec, r.Errors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "worst page p99: %.2f ms (bar %d ms): %s\n", r.WorstP99Ms, WebP99BarMs, verdict(r.WorstP99Ms <= WebP99BarMs))
	fmt.Fprintf(w, "wallet home with every asset: %d bytes = %.1f KB (bar %d KB): %s\n", r.HomeBytes, float64(r.HomeBytes)/1024,
		WebHomeBarBytes>>10, verdict(r.HomeBytes <= WebHomeBarBytes))
	for _, a := range r.HomeAssets {
		fmt.Fprintf(w, "  %7d  %s\n", a.Bytes, a.URL)
	}
	if r.CheckMs > 0 {
		fmt.Fprintf(w, "invariant check from the console (alone, after the run): %.1f ms\n", r.CheckMs)
	}
}

// WriteJSON prints the result as one JSON object.
func (r *WebResult) WriteJSON(w io.Writer) error { return json.NewEncoder(w).Encode(r) }
