package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Webhooks: an event is written to the outbox in the same transaction as
// the state change it tells of (an order paid, a refund done), then
// delivered by a background loop with exponential back-off for 24 hours.
// Deliveries are signed like the merchant API, under the webhook's own
// secret; the event id is the nonce, so a receiver deduplicates by it
// (delivery is at least once). Merchants see their events and may replay
// any. An event of a merchant with no webhook set is kept as no_endpoint:
// nothing tries to send it until the merchant replays it.

// Webhook limits and codes.
const (
	webhookGiveUpAfter = 24 * time.Hour
	webhookMaxDelay    = time.Hour
	webhookLease       = 30 * time.Second
	webhookTimeout     = 10 * time.Second
	webhookRound       = 200 // events leased at a time
	webhookSenders     = 16  // attempts at once

	CodeInvalidWebhook = "invalid_webhook"
)

// SetWebhook sets where a merchant's events go; the signing secret is
// returned once.
func (s *Service) SetWebhook(ctx context.Context, owner User, merchantID, rawURL string) (string, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return "", err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(rawURL) > 500 {
		return "", newError(KindInvalid, CodeInvalidWebhook, "the webhook URL must be an absolute http(s) URL without credentials")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(raw)
	sealed, err := s.vault.Seal([]byte(secret), []byte("webhook:"+merchantID))
	if err != nil {
		return "", err
	}
	defer s.cache.webhooks.drop(merchantID)
	if err := s.store.SetWebhook(ctx, Webhook{MerchantID: merchantID, URL: u.String(), Secret: sealed, CreatedAt: s.now().UTC()}); err != nil {
		return "", fmt.Errorf("set webhook: %w", err)
	}
	s.audit(ctx, owner.ID, "webhook_set", "merchant:"+merchantID, u.String())
	return secret, nil
}

// Statuses of webhook events.
const (
	EventPending    = "pending"
	EventDelivered  = "delivered"
	EventFailed     = "failed"
	EventNoEndpoint = "no_endpoint"
)

// hasWebhook reports whether the merchant has set a webhook (through a
// cache: one set on another server is used here up to sessionCacheTTL
// later; events in that gap wait as no_endpoint, replayable).
func (s *Service) hasWebhook(ctx context.Context, merchantID string) bool {
	ok, err := s.cache.webhooks.get(ctx, merchantID, func() (bool, error) {
		_, err := s.store.Webhook(ctx, merchantID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	})
	// A failed look-up keeps the event to send: the delivery loop finds out.
	return ok || err != nil
}

// eventBody is an event's JSON, its keys in alphabetical order.
type eventBody[D any] struct {
	CreatedAt time.Time `json:"created_at"`
	Data      D         `json:"data"`
	ID        string    `json:"id"`
	Type      string    `json:"type"`
}

// paymentData is a payment event's data.
type paymentData struct {
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	Fee        int64  `json:"fee"`
	OrderID    string `json:"order_id"`
	OutTradeNo string `json:"out_trade_no"`
	Status     string `json:"status"`
}

// refundData is a refund event's data.
type refundData struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	FeeBack     int64  `json:"fee_back"`
	OutRefundNo string `json:"out_refund_no"`
	OutTradeNo  string `json:"out_trade_no"`
	RefundID    string `json:"refund_id"`
	Status      string `json:"status"`
}

// event builds an outbox event for a merchant (typed data: a struct
// marshals several times faster than a map, on every payment).
func event[D any](ctx context.Context, s *Service, merchantID, typ string, data D) *WebhookEvent {
	now := s.now().UTC()
	id := "evt_" + ledger.NewID().String()
	body, _ := json.Marshal(eventBody[D]{ID: id, Type: typ, CreatedAt: now, Data: data})
	status := EventPending
	if !s.hasWebhook(ctx, merchantID) {
		status = EventNoEndpoint
	}
	return &WebhookEvent{ID: id, MerchantID: merchantID, Type: typ, Payload: string(body), Status: status, NextAttemptAt: now, CreatedAt: now}
}

func orderEvent(ctx context.Context, s *Service, o MerchantOrder) *WebhookEvent {
	return event(ctx, s, o.MerchantID, "payment.succeeded", paymentData{OutTradeNo: o.OutTradeNo, OrderID: o.ID,
		Amount: o.Amount, Fee: o.Fee, Currency: o.Currency, Status: OrderSuccess})
}

// WebhookEvents lists a merchant's events, newest first.
func (s *Service) WebhookEvents(ctx context.Context, owner User, merchantID string) ([]WebhookEvent, error) {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return nil, err
	}
	return s.store.WebhookEvents(ctx, merchantID, 100)
}

// ReplayWebhookEvent sends an event again, now.
func (s *Service) ReplayWebhookEvent(ctx context.Context, owner User, merchantID, id string) error {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return err
	}
	if err := s.store.ReplayWebhookEvent(ctx, merchantID, id, s.now().UTC()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "no such event")
		}
		return err
	}
	return nil
}

// DeliverWebhooks sends the events that are due; it returns how many it
// tried.
func (s *Service) DeliverWebhooks(ctx context.Context, client *http.Client) (int, error) {
	now := s.now().UTC()
	due, err := s.store.DueWebhookEvents(ctx, now, now.Add(webhookLease), webhookRound)
	if err != nil {
		return 0, err
	}
	// Each attempt waits on a receiver: several at once, so that one slow
	// receiver does not hold up the others.
	var wg sync.WaitGroup
	sem := make(chan struct{}, webhookSenders)
	for _, ev := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.deliver(ctx, client, ev)
		}()
	}
	wg.Wait()
	return len(due), nil
}

func (s *Service) deliver(ctx context.Context, client *http.Client, ev WebhookEvent) {
	err := s.send(ctx, client, ev)
	now := s.now().UTC()
	ev.Attempts++
	switch {
	case err == nil:
		ev.Status, ev.DeliveredAt, ev.LastError = EventDelivered, now, ""
	case errors.Is(err, ErrNotFound):
		ev.Status, ev.LastError = EventNoEndpoint, "no webhook is set" // removed since
	case now.Sub(ev.CreatedAt) > webhookGiveUpAfter:
		ev.Status, ev.LastError = EventFailed, clipString(err.Error(), 300)
	default:
		ev.LastError = clipString(err.Error(), 300)
		ev.NextAttemptAt = now.Add(s.backoff(ev.Attempts))
	}
	if err := s.store.SaveWebhookAttempt(ctx, ev); err != nil {
		s.log.Warn("wallet: save webhook attempt", "event", ev.ID, "err", err)
	}
}

// backoff is the wait before attempt n+1: base·2^(n-1), at most an hour.
func (s *Service) backoff(n int) time.Duration {
	base := s.cfg.WebhookBackoff
	if base <= 0 {
		base = time.Second
	}
	d := base << min(n-1, 30)
	if d <= 0 || d > webhookMaxDelay {
		return webhookMaxDelay
	}
	return d
}

// send posts one event, signed.
func (s *Service) send(ctx context.Context, client *http.Client, ev WebhookEvent) error {
	w, err := s.store.Webhook(ctx, ev.MerchantID)
	if err != nil {
		return fmt.Errorf("no webhook set: %w", err)
	}
	secret, err := s.vault.Open(w.Secret, []byte("webhook:"+w.MerchantID))
	if err != nil {
		return err
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	body := []byte(ev.Payload)
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("SLT-Event-Id", ev.ID)
	req.Header.Set("SLT-Timestamp", ts)
	req.Header.Set("SLT-Nonce", ev.ID)
	req.Header.Set("SLT-Signature", Sign(string(secret), http.MethodPost, u.RequestURI(), ts, ev.ID, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return nil
}

// RunWebhooks delivers due events every interval until ctx ends. First it
// settles the orders a crash may have left waiting though paid (their
// new state, and its event, are written after the payer's answer).
func (s *Service) RunWebhooks(ctx context.Context, interval time.Duration) {
	if err := s.SettleWaitingOrders(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("wallet: settle waiting orders", "err", err)
	}
	client := &http.Client{Timeout: webhookTimeout}
	s.every(ctx, interval, "deliver webhooks", func(ctx context.Context) error {
		// A full round means more are due: go on at once.
		for {
			n, err := s.DeliverWebhooks(ctx, client)
			if err != nil || n < webhookRound || ctx.Err() != nil {
				return err
			}
		}
	})
}

// SettleWaitingOrders brings every order waiting (USERPAYING) since before
// now up to date with the ledger: paid, or unpaid again once its claim
// lapsed.
func (s *Service) SettleWaitingOrders(ctx context.Context) error {
	before := s.now().UTC()
	for {
		waiting, err := s.store.OrdersWaiting(ctx, before, 500)
		if err != nil {
			return err
		}
		moved := 0
		for _, o := range waiting {
			now, err := s.settleOrderState(ctx, o)
			if err != nil {
				return err
			}
			if now.Status != OrderUserPaying {
				moved++
			}
		}
		if len(waiting) < 500 || moved == 0 {
			return nil
		}
	}
}
