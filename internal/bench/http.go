package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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
	c := &httpClient{
		base:  strings.TrimSuffix(base, "/"),
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
	r := run(ctx, cfg.Config, accounts, c.transfers)
	r.Mode = "http"
	r.ServerRSSMiB = c.serverRSS(ctx)
	r.MaxRSSMiB = maxRSSMiB()
	return r, nil
}

type httpClient struct {
	base, token string
	http        *http.Client
	bufs        sync.Pool
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

// transfers posts one request; the body is written by hand, which costs
// the load generator a fraction of what encoding/json would on a machine
// it shares with the server.
func (c *httpClient) transfers(ctx context.Context, ts []ledger.Transfer) (int, error) {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = &bytes.Buffer{}
	}
	defer c.bufs.Put(buf)
	buf.Reset()
	buf.WriteString(`{"transfers":[`)
	for i := range ts {
		t := &ts[i]
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"id":"`)
		buf.WriteString(t.ID.String())
		buf.WriteString(`","debit_account_id":"`)
		buf.WriteString(t.DebitAccountID.String())
		buf.WriteString(`","credit_account_id":"`)
		buf.WriteString(t.CreditAccountID.String())
		buf.WriteString(`","amount":`)
		buf.WriteString(strconv.FormatInt(t.Amount, 10))
		buf.WriteString(`,"currency":"`)
		buf.WriteString(t.Currency)
		buf.WriteString(`","code":`)
		buf.WriteString(strconv.Itoa(int(t.Code)))
		buf.WriteString(`}`)
	}
	buf.WriteString(`]}`)
	status, body, err := c.do(ctx, http.MethodPost, "/v1/ledger/transfers", buf.Bytes())
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("transfers: %d %s", status, truncate(body))
	}
	var out struct {
		Results []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, fmt.Errorf("transfers: %w", err)
	}
	failed := len(ts) - len(out.Results)
	for _, r := range out.Results {
		if r.Status != "created" {
			failed++
		}
	}
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
