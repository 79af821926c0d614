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
	"time"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Webhooks: an event is written to the outbox in the same transaction as
// the state change it tells of (an order paid, a refund done), then
// delivered by a background loop with exponential back-off for 24 hours.
// Deliveries are signed like the merchant API, under the webhook's own
// secret; the event id is the nonce, so a receiver deduplicates by it
// (delivery is at least once). Merchants see their events and may replay
// any.

// Webhook limits and codes.
const (
	webhookGiveUpAfter = 24 * time.Hour
	webhookMaxDelay    = time.Hour
	webhookLease       = 30 * time.Second
	webhookTimeout     = 10 * time.Second

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
	if err := s.store.SetWebhook(ctx, Webhook{MerchantID: merchantID, URL: u.String(), Secret: sealed, CreatedAt: s.now().UTC()}); err != nil {
		return "", fmt.Errorf("set webhook: %w", err)
	}
	return secret, nil
}

// event builds an outbox event for a merchant.
func (s *Service) event(merchantID, typ string, data any) *WebhookEvent {
	now := s.now().UTC()
	id := "evt_" + ledger.NewID().String()
	body, _ := json.Marshal(map[string]any{"id": id, "type": typ, "created_at": now, "data": data})
	return &WebhookEvent{ID: id, MerchantID: merchantID, Type: typ, Payload: string(body), Status: "pending", NextAttemptAt: now, CreatedAt: now}
}

func orderEvent(s *Service, o MerchantOrder) *WebhookEvent {
	return s.event(o.MerchantID, "payment.succeeded", map[string]any{"out_trade_no": o.OutTradeNo, "order_id": o.ID,
		"amount": o.Amount, "fee": o.Fee, "currency": o.Currency, "status": OrderSuccess})
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
	due, err := s.store.DueWebhookEvents(ctx, now, now.Add(webhookLease), 50)
	if err != nil {
		return 0, err
	}
	for _, ev := range due {
		s.deliver(ctx, client, ev)
	}
	return len(due), nil
}

func (s *Service) deliver(ctx context.Context, client *http.Client, ev WebhookEvent) {
	err := s.send(ctx, client, ev)
	now := s.now().UTC()
	ev.Attempts++
	switch {
	case err == nil:
		ev.Status, ev.DeliveredAt, ev.LastError = "delivered", now, ""
	case now.Sub(ev.CreatedAt) > webhookGiveUpAfter:
		ev.Status, ev.LastError = "failed", clipString(err.Error(), 300)
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

// RunWebhooks delivers due events every interval until ctx ends.
func (s *Service) RunWebhooks(ctx context.Context, interval time.Duration) {
	client := &http.Client{Timeout: webhookTimeout}
	s.every(ctx, interval, "deliver webhooks", func(ctx context.Context) error {
		_, err := s.DeliverWebhooks(ctx, client)
		return err
	})
}
