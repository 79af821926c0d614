package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// receiver is a merchant's webhook endpoint that refuses the first
// attempts of every event, checks signatures, and deduplicates by id.
type receiver struct {
	mu       sync.Mutex
	secret   string
	failures int // refuse this many attempts of each event
	attempts map[string]int
	events   map[string]map[string]any
	badSigs  int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	id := req.Header.Get("SLT-Event-Id")
	want := wallet.Sign(r.secret, req.Method, req.URL.RequestURI(), req.Header.Get("SLT-Timestamp"), req.Header.Get("SLT-Nonce"), body)
	if req.Header.Get("SLT-Signature") != want || req.Header.Get("SLT-Nonce") != id {
		r.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.attempts[id]++
	if r.attempts[id] <= r.failures {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var ev map[string]any
	_ = json.Unmarshal(body, &ev)
	r.events[id] = ev
}

func (r *receiver) delivered() map[string]map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]map[string]any{}
	for k, v := range r.events {
		out[k] = v
	}
	return out
}

func TestWebhooksAreDeliveredAfterFailures(t *testing.T) {
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, dsn(t), func(c *server.Config) {
				lenientRisk(c)
				c.Wallet.WebhookBackoff = 20 * time.Millisecond
			})
			payer, owner := funded(t, s)
			mid, pos := merchantFor(t, s, owner)
			// A sale before the merchant sets a webhook: its event is kept,
			// not sent, until the merchant replays it.
			_, o0 := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "W-0", "amount": 100, "currency": "CNY"}, nil)
			s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o0["qr"], "pin": "285714"})
			// (The event is written just after the payer's answer.)
			var evs0 []any
			for try := 0; try < 100 && len(evs0) == 0; try++ {
				time.Sleep(time.Duration(try) * time.Millisecond)
				evs0 = s.must(t, 200, "GET", "/v1/merchants/"+mid+"/webhook-events", owner.token, nil)["events"].([]any)
			}
			if len(evs0) != 1 || evs0[0].(map[string]any)["status"] != wallet.EventNoEndpoint {
				t.Fatalf("event with no webhook set: %v", evs0)
			}
			early := evs0[0].(map[string]any)["id"].(string)
			rcv := &receiver{failures: 2, attempts: map[string]int{}, events: map[string]map[string]any{}}
			hook := httptest.NewServer(rcv)
			defer hook.Close()
			secret := s.must(t, 200, "PUT", "/v1/merchants/"+mid+"/webhook", owner.token, map[string]any{"url": hook.URL + "/slt/events?shop=1"})["secret"].(string)
			rcv.mu.Lock()
			rcv.secret = secret
			rcv.mu.Unlock()

			_, o := pos.do(t, "POST", "/v1/merchant/orders", map[string]any{"out_trade_no": "W-1", "amount": 2000, "currency": "CNY"}, nil)
			s.must(t, 201, "POST", "/v1/payments", payer.token, map[string]any{"payload": o["qr"], "pin": "285714"})
			pos.do(t, "POST", "/v1/merchant/refunds", map[string]any{"out_trade_no": "W-1", "out_refund_no": "WR-1", "amount": 500}, nil)

			deadline := time.Now().Add(15 * time.Second)
			for len(rcv.delivered()) < 2 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			got := rcv.delivered()
			types := map[string]bool{}
			for _, ev := range got {
				types[ev["type"].(string)] = true
			}
			if !types["payment.succeeded"] || !types["refund.succeeded"] || len(got) != 2 {
				t.Fatalf("delivered %v", got)
			}
			// The receiver has them; the deliverer records each attempt just
			// after the receiver's answer: wait for the records.
			var evs []any
			for {
				evs = s.must(t, 200, "GET", "/v1/merchants/"+mid+"/webhook-events", owner.token, nil)["events"].([]any)
				recorded := 0
				for _, e := range evs {
					if e.(map[string]any)["status"] == "delivered" {
						recorded++
					}
				}
				if recorded >= 2 || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, e := range evs {
				m := e.(map[string]any)
				if m["id"] == early {
					if m["status"] != wallet.EventNoEndpoint || m["attempts"] != 0.0 {
						t.Errorf("the event from before the webhook: %v after %v attempts", m["status"], m["attempts"])
					}
					continue
				}
				if m["status"] != "delivered" || m["attempts"] != 3.0 {
					t.Errorf("event %v: %v after %v attempts, want delivered after 3", m["id"], m["status"], m["attempts"])
				}
			}
			// Replay: the receiver gets it once more, with the same id.
			first := evs[0].(map[string]any)["id"].(string)
			if first == early {
				first = evs[1].(map[string]any)["id"].(string)
			}
			s.must(t, 202, "POST", "/v1/merchants/"+mid+"/webhook-events/"+first+"/replay", owner.token, nil)
			for time.Now().Before(deadline) {
				rcv.mu.Lock()
				n := rcv.attempts[first]
				rcv.mu.Unlock()
				if n == 4 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			rcv.mu.Lock()
			n, bad := rcv.attempts[first], rcv.badSigs
			rcv.mu.Unlock()
			if n != 4 || bad != 0 {
				t.Errorf("after a replay the receiver saw %d attempts of %s and %d bad signatures", n, first, bad)
			}
			// The event from before the webhook, replayed, is sent now.
			s.must(t, 202, "POST", "/v1/merchants/"+mid+"/webhook-events/"+early+"/replay", owner.token, nil)
			for time.Now().Before(deadline) {
				rcv.mu.Lock()
				_, ok := rcv.events[early]
				rcv.mu.Unlock()
				if ok {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			rcv.mu.Lock()
			_, ok := rcv.events[early]
			rcv.mu.Unlock()
			if !ok {
				t.Errorf("the replayed event from before the webhook was not delivered")
			}
			if st, _ := s.call(t, "PUT", "/v1/merchants/"+mid+"/webhook", owner.token, map[string]any{"url": "ftp://x"}); st != 422 {
				t.Errorf("ftp webhook accepted: %d", st)
			}
		})
	}
}
