package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// P2PConfig is a run of password-free P2P transfers through the wallet
// API: every request passes the session check, the limits (as ledger
// allowances), the idempotency key and the ledger.
type P2PConfig struct {
	Config
	Addr  string // the server
	Users int    // users to register and fund
	PIN   bool   // confirm every transfer with the PIN (argon2id) instead of password-free
}

// benchUser is a registered, verified, funded user.
type benchUser struct {
	id, phone, token string
}

const (
	benchPassword = "bench-Pass-2026"
	benchPIN      = "285714"
)

// P2P registers cfg.Users users (verified through the sandbox identity
// provider and bank, topped up), then sends transfers between them from
// cfg.Clients clients, one per request. The server must use the sandbox
// bank (it reveals the card's code) — slt serve does by default.
func P2P(ctx context.Context, cfg P2PConfig) (Result, error) {
	cfg.defaults()
	cfg.Batch = 1
	if cfg.Users < 2 {
		cfg.Users = 200
	}
	base := cfg.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Clients * 2,
		MaxIdleConnsPerHost: cfg.Clients * 2,
	}}
	api := &walletAPI{base: strings.TrimSuffix(base, "/"), http: hc}
	users, err := api.setUp(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	// run picks accounts; here an "account" is a user.
	ids := make([]ledger.ID, len(users))
	byID := make(map[ledger.ID]benchUser, len(users))
	for i, u := range users {
		ids[i] = ledger.NameID("bench/user", u.phone)
		byID[ids[i]] = u
	}
	cfg.Currency = "CNY"
	r := run(ctx, cfg.Config, ids, func() submitter {
		return func(ctx context.Context, ts []ledger.Transfer) (int, error) {
			for _, t := range ts {
				body := map[string]any{"to": byID[t.CreditAccountID].phone, "amount": 1 + t.Amount%100, "currency": "CNY"}
				if cfg.PIN {
					body["pin"] = benchPIN
				}
				st, out, err := api.call(ctx, "POST", "/v1/transfers", byID[t.DebitAccountID].token, body, "Idempotency-Key", t.ID.String())
				if err != nil {
					return 0, err
				}
				if st != http.StatusCreated {
					return 0, fmt.Errorf("transfer: %d %s", st, out["code"])
				}
			}
			return 0, nil
		}
	})
	r.Mode = "p2p"
	r.Accounts = len(users)
	return r, nil
}

type walletAPI struct {
	base string
	http *http.Client
}

func (a *walletAPI) call(ctx context.Context, method, path, token string, body any, header ...string) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &out)
	}
	return resp.StatusCode, out, nil
}

// must calls and fails unless the status is want.
func (a *walletAPI) must(ctx context.Context, want int, method, path, token string, body any) (map[string]any, error) {
	st, out, err := a.call(ctx, method, path, token, body)
	if err != nil {
		return nil, err
	}
	if st != want {
		return nil, fmt.Errorf("%s %s: %d %v: %v", method, path, st, out["code"], out["detail"])
	}
	return out, nil
}

// setUp creates the users, sixteen at a time (registering and logging in
// cost an argon2id hash each).
func (a *walletAPI) setUp(ctx context.Context, cfg P2PConfig) ([]benchUser, error) {
	users := make([]benchUser, cfg.Users)
	errs := make(chan error, cfg.Users)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	run := time.Now().UnixNano() % 1_000_000
	for i := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u, err := a.newUser(ctx, run, i, cfg.PIN)
			if err != nil {
				errs <- err
				return
			}
			users[i] = u
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("setting up users: %w", err)
	}
	return users, nil
}

func (a *walletAPI) newUser(ctx context.Context, run int64, i int, pin bool) (benchUser, error) {
	// +86 170 numbers, unique per run and user.
	u := benchUser{phone: fmt.Sprintf("+86170%04d%04d", run%10_000, i)}
	name := "Bench User " + letters(i) // real names have no digits
	reg, err := a.must(ctx, 201, "POST", "/v1/users", "", map[string]any{"phone": u.phone, "password": benchPassword, "name": name})
	if err != nil {
		return u, err
	}
	u.id, _ = reg["id"].(string)
	l, err := a.must(ctx, 201, "POST", "/v1/sessions", "", map[string]any{"phone": u.phone, "password": benchPassword})
	if err != nil {
		return u, err
	}
	u.token, _ = l["token"].(string)
	steps := []struct {
		method, path string
		want         int
		body         map[string]any
	}{
		{"PUT", "/v1/me/pin", 204, map[string]any{"password": benchPassword, "pin": benchPIN}},
		{"PUT", "/v1/me/password-free", 204, map[string]any{"password": benchPassword, "per_transaction": 200_00, "daily": 5_000_00}},
		{"POST", "/v1/me/identity", 200, map[string]any{"name": name, "document_type": "passport", "country": "SGP",
			"number": fmt.Sprintf("B%04d%04d", run%10_000, i)}},
	}
	for _, s := range steps {
		if _, err := a.must(ctx, s.want, s.method, s.path, u.token, s.body); err != nil {
			return u, err
		}
	}
	pan := fmt.Sprintf("622202%04d%04d100", run%10_000, i)
	c, err := a.must(ctx, 201, "POST", "/v1/me/bank-cards", u.token, map[string]any{"number": pan + luhn(pan), "holder_name": name})
	if err != nil {
		return u, err
	}
	card, _ := c["id"].(string)
	if _, err := a.must(ctx, 200, "POST", "/v1/me/bank-cards/"+card+"/verify", u.token, map[string]any{"code": c["sandbox_code"]}); err != nil {
		return u, err
	}
	return u, a.topUp(ctx, u, card)
}

// topUp funds a user with 10,000 CNY, trying again when the sandbox bank
// refuses (it does, now and then, as banks do).
func (a *walletAPI) topUp(ctx context.Context, u benchUser, card string) error {
	for attempt := 0; attempt < 10; attempt++ {
		o, err := a.must(ctx, 201, "POST", "/v1/me/topups", u.token, map[string]any{"card_id": card, "amount": 10_000_00, "currency": "CNY", "pin": benchPIN})
		if err != nil {
			return err
		}
		for o["status"] == "processing" {
			time.Sleep(50 * time.Millisecond)
			if o, err = a.must(ctx, 200, "GET", "/v1/me/bank-orders/"+o["id"].(string), u.token, nil); err != nil {
				return err
			}
		}
		if o["status"] == "succeeded" {
			return nil
		}
	}
	return fmt.Errorf("top-up for %s failed ten times", u.phone)
}

// luhn returns the check digit for digits.
func luhn(digits string) string {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return string(rune('0' + (10-sum%10)%10))
}

// letters spells n in base 26 with the letters A to Z.
func letters(n int) string {
	s := ""
	for {
		s = string(rune('A'+n%26)) + s
		if n /= 26; n == 0 {
			return s
		}
	}
}
