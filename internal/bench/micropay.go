package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/wallet"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// MicropayConfig is a run of payment-code payments at tills: POS clients
// read customers' codes and call the signed micropay API.
type MicropayConfig struct {
	Config
	Addr      string
	Token     string // operator token, to approve the merchants
	Users     int    // customers
	Devices   int    // phones per customer
	Merchants int    // merchants the tills belong to
}

type benchMerchant struct {
	id, keyID, secret string
}

type benchDevice struct {
	dev  paycode.Device
	last int64 // the newest time step used
}

// Micropay sets up customers with enrolled phones and merchants with API
// keys, then runs cfg.Clients tills. Each till owns a share of the phones
// and uses each at most once per time step (a code is single use): the
// server must run with a short --paycode-step so that a simulated phone
// may pay every step rather than every minute.
func Micropay(ctx context.Context, cfg MicropayConfig) (Result, error) {
	cfg.defaults()
	cfg.Batch = 1
	base := cfg.Addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	api := &walletAPI{base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: cfg.Clients * 2, MaxIdleConnsPerHost: cfg.Clients * 2}}}
	users, err := api.setUp(ctx, P2PConfig{Config: cfg.Config, Users: cfg.Users})
	if err != nil {
		return Result{}, err
	}
	devices, step, err := api.enrol(ctx, users, cfg.Devices)
	if err != nil {
		return Result{}, err
	}
	merchants, err := api.merchants(ctx, users, cfg.Merchants, cfg.Token)
	if err != nil {
		return Result{}, err
	}
	cfgPay := paycode.DefaultConfig()
	cfgPay.Step = step
	var order atomic.Int64
	run := time.Now().UnixNano() % 1_000_000
	next := make(chan int, cfg.Clients)
	for i := range cfg.Clients {
		next <- i
	}
	ids := []ledger.ID{ledger.NewID(), ledger.NewID()} // they only seed the amounts
	r := runClients(ctx, cfg.Config, ids, func() client {
		till := <-next
		var mine []*benchDevice
		for i := till; i < len(devices); i += cfg.Clients {
			mine = append(mine, devices[i])
		}
		k := 0
		var code string
		ready := func(ctx context.Context) error {
			d, at, err := nextDevice(ctx, mine, &k, cfgPay, time.Now)
			if err != nil {
				return err
			}
			code, err = paycode.Generate(d.dev, at, cfgPay)
			return err
		}
		return client{ready: ready, submit: func(ctx context.Context, ts []ledger.Transfer) (int, error) {
			m := merchants[int(ts[0].Amount)%len(merchants)]
			// Numbered as tills number their sales: a fixed-width, rising
			// sequence (time-prefixed numbers sort the same way).
			no := fmt.Sprintf("B%d-%010d", run, order.Add(1))
			st, out, err := api.signed(ctx, m, "POST", "/v1/merchant/micropay", map[string]any{"auth_code": code, "out_trade_no": no,
				"amount": 1 + ts[0].Amount%100, "currency": "CNY"})
			if err != nil {
				return 0, err
			}
			if st != http.StatusOK || out["status"] != "SUCCESS" {
				return 0, fmt.Errorf("micropay: %d %v %v", st, out["code"], out["status"])
			}
			return 0, nil
		}}
	})
	r.Mode = "micropay"
	r.Accounts = len(devices)
	return r, nil
}

// nextDevice returns the next phone of the till that has not paid in the
// current time step, and the instant its code is for (the step the phone
// is marked with: a code made from a later clock reading could fall in the
// next step and be used twice), waiting for the next step when all have paid.
func nextDevice(ctx context.Context, mine []*benchDevice, k *int, cfg paycode.Config, clock func() time.Time) (*benchDevice, time.Time, error) {
	for {
		at := clock()
		now, err := paycode.Counter(at, cfg.Step)
		if err != nil {
			return nil, time.Time{}, err
		}
		for range mine {
			d := mine[*k%len(mine)]
			*k++
			if d.last < now {
				d.last = now
				return d, at, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		case <-time.After(paycode.StepStart(now+1, cfg.Step).Sub(clock())):
		}
	}
}

// enrol enrols n phones per user.
func (a *walletAPI) enrol(ctx context.Context, users []benchUser, n int) ([]*benchDevice, time.Duration, error) {
	var mu sync.Mutex
	var out []*benchDevice
	var step time.Duration
	err := parallel(len(users)*n, 16, func(i int) error {
		u := users[i%len(users)]
		e, err := a.must(ctx, 201, "POST", "/v1/me/paycode/enroll", u.token, map[string]any{"pin": benchPIN})
		if err != nil {
			return err
		}
		secret, err := paycode.DecodeSecret(fmt.Sprint(e["secret"]))
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		out = append(out, &benchDevice{dev: paycode.Device{Number: uint64(e["device"].(float64)), Secret: secret}})
		step = time.Duration(e["step_seconds"].(float64)) * time.Second
		return nil
	})
	return out, step, err
}

// merchants opens n merchants owned by the first users, approved by the
// operator, each with an API key.
func (a *walletAPI) merchants(ctx context.Context, users []benchUser, n int, token string) ([]benchMerchant, error) {
	out := make([]benchMerchant, n)
	err := parallel(n, 16, func(i int) error {
		owner := users[i%len(users)]
		m, err := a.must(ctx, 201, "POST", "/v1/merchants", owner.token, map[string]any{"name": "Bench Shop " + letters(i),
			"display_name": "Bench Shop " + letters(i), "mcc": "5411", "country": "CN", "city": "Shanghai"})
		if err != nil {
			return err
		}
		id := fmt.Sprint(m["id"])
		if _, err := a.must(ctx, 200, "POST", "/v1/operator/merchants/"+id+"/approve", token, nil); err != nil {
			return fmt.Errorf("%w (is --token the server's operator token?)", err)
		}
		k, err := a.must(ctx, 201, "POST", "/v1/merchants/"+id+"/keys", owner.token, nil)
		if err != nil {
			return err
		}
		out[i] = benchMerchant{id: id, keyID: fmt.Sprint(k["key_id"]), secret: fmt.Sprint(k["secret"])}
		return nil
	})
	return out, err
}

// parallel runs f(0..n-1), width at a time, and returns the first error.
func parallel(n, width int, f func(i int) error) error {
	errs := make(chan error, n)
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

var nonces atomic.Int64

// signed sends a request signed with a merchant's key.
func (a *walletAPI) signed(ctx context.Context, m benchMerchant, method, path string, body any) (int, map[string]any, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatInt(nonces.Add(1), 36)
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("SLT-Key-Id", m.keyID)
	req.Header.Set("SLT-Timestamp", ts)
	req.Header.Set("SLT-Nonce", nonce)
	req.Header.Set("SLT-Signature", wallet.Sign(m.secret, method, path, ts, nonce, raw))
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out := map[string]any{}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out, nil
}
