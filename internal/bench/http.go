package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// HTTPConfig adds what a run against a server needs.
type HTTPConfig struct {
	Config
	Addr  string // host:port or base URL of the server
	Token string // operator token
}

// HTTP runs the benchmark against a running server: it creates its own
// accounts through the API, then sends transfers from Clients clients,
// Batch transfers per request.
func HTTP(ctx context.Context, cfg HTTPConfig) (Result, error) {
	cfg.defaults()
	base := cfg.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return Result{}, fmt.Errorf("bad server address %q", cfg.Addr)
	}
	c := &httpClient{
		base:  strings.TrimSuffix(base, "/"),
		host:  u.Host,
		token: cfg.Token,
		http: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        cfg.Clients * 2,
				MaxIdleConnsPerHost: cfg.Clients * 2,
				IdleConnTimeout:     time.Minute,
			},
		},
	}
	if err := c.check(ctx); err != nil {
		return Result{}, err
	}
	accounts, err := createAccounts(ctx, cfg.Config, c.createAccounts)
	if err != nil {
		return Result{}, err
	}
	var mu sync.Mutex
	var conns []*rawConn
	r := run(ctx, cfg.Config, accounts, func() submitter {
		rc := &rawConn{}
		mu.Lock()
		conns = append(conns, rc)
		mu.Unlock()
		return func(_ context.Context, ts []ledger.Transfer) (int, error) {
			failed, err := rc.post(c, ts)
			if err != nil {
				rc.close() // a fresh connection next time
			}
			return failed, err
		}
	})
	for _, rc := range conns {
		rc.close()
	}
	r.Mode = "http"
	r.ServerRSSMiB = c.serverRSS(ctx)
	r.MaxRSSMiB = maxRSSMiB()
	return r, nil
}

type httpClient struct {
	base, host, token string
	http              *http.Client
}

func (c *httpClient) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// check fails early, with a clear message, if the server is not there or
// the token is wrong.
func (c *httpClient) check(ctx context.Context) error {
	status, body, err := c.do(ctx, http.MethodGet, "/v1/ledger/accounts/00000000-0000-7000-8000-000000000000", nil)
	switch {
	case err != nil:
		return fmt.Errorf("no server at %s (start one with slt serve): %w", c.base, err)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("the server refused the operator token: set SLT_ADMIN_TOKEN or --token (%s)", strings.TrimSpace(string(body)))
	case status != http.StatusNotFound:
		return fmt.Errorf("unexpected answer from %s: %d %s", c.base, status, body)
	}
	return nil
}

func (c *httpClient) createAccounts(ctx context.Context, as []ledger.Account) error {
	// One account per request, as the API takes them, from 32 clients.
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan ledger.Account)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				body := fmt.Sprintf(`{"id":%q,"currency":%q,"code":%d,"owner":%q}`, a.ID, a.Currency, a.Code, a.Owner)
				status, resp, err := c.do(ctx, http.MethodPost, "/v1/ledger/accounts", []byte(body))
				if err == nil && status != http.StatusCreated && status != http.StatusOK {
					err = fmt.Errorf("create account: %d %s", status, resp)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, a := range as {
		next <- a
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// rawConn is one client's keep-alive HTTP/1.1 connection to the server.
// Requests are written by hand and answers read with http.ReadResponse: the
// load generator shares the machine with the server it measures, and
// net/http's client costs several times more per request.
type rawConn struct {
	nc   net.Conn
	r    *bufio.Reader
	body bytes.Buffer
	req  bytes.Buffer
}

func (rc *rawConn) close() {
	if rc.nc != nil {
		rc.nc.Close()
		rc.nc = nil
	}
}

func (rc *rawConn) post(c *httpClient, ts []ledger.Transfer) (int, error) {
	if rc.nc == nil {
		nc, err := net.DialTimeout("tcp", c.host, 5*time.Second)
		if err != nil {
			return 0, err
		}
		rc.nc, rc.r = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	b := &rc.body
	b.Reset()
	b.WriteString(`{"transfers":[`)
	for i := range ts {
		t := &ts[i]
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"`)
		b.WriteString(t.ID.String())
		b.WriteString(`","debit_account_id":"`)
		b.WriteString(t.DebitAccountID.String())
		b.WriteString(`","credit_account_id":"`)
		b.WriteString(t.CreditAccountID.String())
		b.WriteString(`","amount":`)
		b.WriteString(strconv.FormatInt(t.Amount, 10))
		b.WriteString(`,"currency":"`)
		b.WriteString(t.Currency)
		b.WriteString(`","code":`)
		b.WriteString(strconv.Itoa(int(t.Code)))
		b.WriteString(`}`)
	}
	b.WriteString(`]}`)
	q := &rc.req
	q.Reset()
	q.WriteString("POST /v1/ledger/transfers HTTP/1.1\r\nHost: ")
	q.WriteString(c.host)
	q.WriteString("\r\nAuthorization: Bearer ")
	q.WriteString(c.token)
	q.WriteString("\r\nContent-Type: application/json\r\nContent-Length: ")
	q.WriteString(strconv.Itoa(b.Len()))
	q.WriteString("\r\n\r\n")
	q.Write(b.Bytes())
	_ = rc.nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := rc.nc.Write(q.Bytes()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(rc.r, nil)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("transfers: %d %s", resp.StatusCode, truncate(body))
	}
	// The answer is {"results":[{"id":…,"status":"created"},…]}: count
	// the results and those not created without decoding the rest.
	results := bytes.Count(body, []byte(`"status":`))
	failed := len(ts) - results + results - bytes.Count(body, []byte(`"status":"created"`))
	return failed, nil
}

// serverRSS reads the server's resident memory from its metrics.
func (c *httpClient) serverRSS(ctx context.Context) float64 {
	status, body, err := c.do(ctx, http.MethodGet, "/metrics", nil)
	if err != nil || status != http.StatusOK {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f / (1 << 20)
		}
	}
	return 0
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
