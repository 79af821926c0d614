package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const merchantColumns = "id, owner_id, name, display_name, mcc, country, city, fee_bps, status, account_id, settlement_card, created_at"

// CreateMerchant stores a merchant.
func (s *Store) CreateMerchant(ctx context.Context, m wallet.Merchant) error {
	_, err := s.exec(ctx, "INSERT INTO merchants ("+merchantColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
		m.ID, m.OwnerID, m.Name, m.DisplayName, m.MCC, m.Country, m.City, m.FeeBPS, m.Status, m.AccountID, m.SettlementCard, nanos(m.CreatedAt))
	return s.mapErr("create merchant", err)
}

func scanMerchant(r scanner) (wallet.Merchant, error) {
	var m wallet.Merchant
	var created int64
	err := r.Scan(&m.ID, &m.OwnerID, &m.Name, &m.DisplayName, &m.MCC, &m.Country, &m.City, &m.FeeBPS, &m.Status, &m.AccountID,
		&m.SettlementCard, &created)
	m.CreatedAt = fromNanos(created)
	return m, err
}

// MerchantByID returns a merchant.
func (s *Store) MerchantByID(ctx context.Context, id string) (wallet.Merchant, error) {
	m, err := scanMerchant(s.queryRow(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE id = $1", id))
	return m, s.mapErr("merchant", err)
}

// MerchantsVersion returns the merchants' version, which every change to
// a merchant, its keys or its webhook moves on (triggers, migration 19).
func (s *Store) MerchantsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.queryRow(ctx, "SELECT value FROM versions WHERE name = 'merchants'").Scan(&v)
	return v, s.mapErr("merchants version", err)
}

// ApprovedMerchants lists approved merchants, after the id after (paging).
func (s *Store) ApprovedMerchants(ctx context.Context, after string, limit int) ([]wallet.Merchant, error) {
	rows, err := s.query(ctx, "SELECT "+merchantColumns+" FROM merchants WHERE status = 'approved' AND id > $1 ORDER BY id LIMIT $2", after, limit)
	if err != nil {
		return nil, s.mapErr("merchants", err)
	}
	defer rows.Close()
	var out []wallet.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, s.mapErr("merchants", err)
		}
		out = append(out, m)
	}
	return out, s.mapErr("merchants", rows.Err())
}

// SetSettlementCard sets where a merchant's money is paid.
func (s *Store) SetSettlementCard(ctx context.Context, merchantID, cardID string) error {
	return s.exec1(ctx, "set settlement card", "UPDATE merchants SET settlement_card = $2 WHERE id = $1", merchantID, cardID)
}

// ApproveMerchant approves a pending merchant.
func (s *Store) ApproveMerchant(ctx context.Context, id, accountID string) error {
	return s.exec1(ctx, "approve merchant", "UPDATE merchants SET status = 'approved', account_id = $2 WHERE id = $1 AND status = 'pending'", id, accountID)
}

// CreateMerchantKey stores an API key.
func (s *Store) CreateMerchantKey(ctx context.Context, k wallet.MerchantKey) error {
	_, err := s.exec(ctx, "INSERT INTO merchant_keys (id, merchant_id, kind, secret, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		k.ID, k.MerchantID, k.Kind, k.Secret, k.Status, nanos(k.CreatedAt))
	return s.mapErr("create merchant key", err)
}

// MerchantKeyByID returns an API key.
func (s *Store) MerchantKeyByID(ctx context.Context, id string) (wallet.MerchantKey, error) {
	var k wallet.MerchantKey
	var created int64
	err := s.queryRow(ctx, "SELECT id, merchant_id, kind, secret, status, created_at FROM merchant_keys WHERE id = $1", id).
		Scan(&k.ID, &k.MerchantID, &k.Kind, &k.Secret, &k.Status, &created)
	k.CreatedAt = fromNanos(created)
	return k, s.mapErr("merchant key", err)
}

// RevokeMerchantKey revokes a key.
func (s *Store) RevokeMerchantKey(ctx context.Context, merchantID, keyID string) error {
	return s.exec1(ctx, "revoke merchant key", "UPDATE merchant_keys SET status = 'revoked' WHERE merchant_id = $1 AND id = $2 AND status = 'active'", merchantID, keyID)
}

// UseNonce records a nonce; the primary key refuses a second use. Now
// and then the same batch deletes nonces older than any signature may be.
func (s *Store) UseNonce(ctx context.Context, keyID, nonce string, at time.Time) error {
	if rand.IntN(256) == 0 {
		_ = s.batched(ctx, "forget old nonces", false, "DELETE FROM merchant_nonces WHERE ts < $1", at.Add(-time.Hour).Unix())
	}
	return s.batchedOp(ctx, "use nonce", false, true, "INSERT INTO merchant_nonces (key_id, nonce, ts) VALUES ($1, $2, $3)", keyID, nonce, at.Unix())
}

const morderColumns = "id, merchant_id, out_trade_no, amount, fee, refunded, currency, description, status, payer_id, terminal_id, expires_at, created_at, updated_at"

func scanMerchantOrder(r scanner) (wallet.MerchantOrder, error) {
	var o wallet.MerchantOrder
	var exp, created, updated int64
	err := r.Scan(&o.ID, &o.MerchantID, &o.OutTradeNo, &o.Amount, &o.Fee, &o.Refunded, &o.Currency, &o.Description, &o.Status, &o.PayerID, &o.TerminalID, &exp, &created, &updated)
	o.ExpiresAt, o.CreatedAt, o.UpdatedAt = fromNanos(exp), fromNanos(created), fromNanos(updated)
	return o, err
}

const insertOrderSQL = "INSERT INTO merchant_orders (" + morderColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"

// orderArgs are an order's values in morderColumns' order.
func orderArgs(o wallet.MerchantOrder) []any {
	return []any{o.ID, o.MerchantID, o.OutTradeNo, o.Amount, o.Fee, o.Refunded, o.Currency, o.Description, o.Status, o.PayerID, o.TerminalID,
		nanos(o.ExpiresAt), nanos(o.CreatedAt), nanos(o.UpdatedAt)}
}

// CreateMerchantOrder stores an order; ErrDuplicate on a known out_trade_no.
func (s *Store) CreateMerchantOrder(ctx context.Context, o wallet.MerchantOrder) error {
	return s.batched(ctx, "create merchant order", false, insertOrderSQL, orderArgs(o)...)
}

// MerchantOrder finds an order by the merchant's number.
func (s *Store) MerchantOrder(ctx context.Context, merchantID, outTradeNo string) (wallet.MerchantOrder, error) {
	o, err := scanMerchantOrder(s.queryRow(ctx, "SELECT "+morderColumns+" FROM merchant_orders WHERE merchant_id = $1 AND out_trade_no = $2", merchantID, outTradeNo))
	return o, s.mapErr("merchant order", err)
}

// OrdersWaiting returns up to limit orders in USERPAYING last changed
// before the given time (a scan of the table: it runs when the server
// starts, to finish what a crash interrupted).
func (s *Store) OrdersWaiting(ctx context.Context, before time.Time, limit int) ([]wallet.MerchantOrder, error) {
	rows, err := s.query(ctx, "SELECT "+morderColumns+" FROM merchant_orders WHERE status = 'USERPAYING' AND updated_at < $1 LIMIT $2", nanos(before), limit)
	if err != nil {
		return nil, s.mapErr("orders waiting", err)
	}
	defer rows.Close()
	var out []wallet.MerchantOrder
	for rows.Next() {
		o, err := scanMerchantOrder(rows)
		if err != nil {
			return nil, s.mapErr("orders waiting", err)
		}
		out = append(out, o)
	}
	return out, s.mapErr("orders waiting", rows.Err())
}

// MerchantOrderByID finds an order by id.
func (s *Store) MerchantOrderByID(ctx context.Context, id string) (wallet.MerchantOrder, error) {
	o, err := scanMerchantOrder(s.queryRow(ctx, "SELECT "+morderColumns+" FROM merchant_orders WHERE id = $1", id))
	return o, s.mapErr("merchant order", err)
}

// SetMerchantOrderStatus moves an order between statuses.
func (s *Store) SetMerchantOrderStatus(ctx context.Context, id, from, to, payerID string, at time.Time) error {
	return s.batched(ctx, "set merchant order status", true,
		"UPDATE merchant_orders SET status = $3, payer_id = CASE WHEN $4 = '' THEN payer_id ELSE $4 END, updated_at = $5 WHERE id = $1 AND status = $2",
		id, from, to, payerID, nanos(at))
}

// CreatePaycodeDevice stores an enrolled device; ErrDuplicate if the
// number is taken.
func (s *Store) CreatePaycodeDevice(ctx context.Context, d wallet.PaycodeDevice) error {
	_, err := s.exec(ctx, "INSERT INTO paycode_devices (number, user_id, secret, status, last_counter, created_at, device_id) VALUES ($1, $2, $3, $4, 0, $5, $6)",
		int64(d.Number), d.UserID, d.Secret, d.Status, nanos(d.CreatedAt), d.DeviceID)
	return s.mapErr("enrol device", err)
}

// PaycodeDevice returns a device.
func (s *Store) PaycodeDevice(ctx context.Context, number uint64) (wallet.PaycodeDevice, error) {
	var d wallet.PaycodeDevice
	var n, created int64
	err := s.queryRow(ctx, "SELECT number, user_id, secret, status, last_counter, created_at, device_id FROM paycode_devices WHERE number = $1", int64(number)).
		Scan(&n, &d.UserID, &d.Secret, &d.Status, &d.LastCounter, &created, &d.DeviceID)
	d.Number, d.CreatedAt = uint64(n), fromNanos(created)
	return d, s.mapErr("device", err)
}

// PaycodeDevices returns a user's active devices, newest first (secrets
// left out).
func (s *Store) PaycodeDevices(ctx context.Context, userID string) ([]wallet.PaycodeDevice, error) {
	rows, err := s.query(ctx, "SELECT number, status, last_counter, created_at, device_id FROM paycode_devices WHERE user_id = $1 AND status = 'active' ORDER BY created_at DESC LIMIT 100", userID)
	if err != nil {
		return nil, s.mapErr("devices", err)
	}
	defer rows.Close()
	var out []wallet.PaycodeDevice
	for rows.Next() {
		d := wallet.PaycodeDevice{UserID: userID}
		var n, created int64
		if err := rows.Scan(&n, &d.Status, &d.LastCounter, &created, &d.DeviceID); err != nil {
			return nil, s.mapErr("devices", err)
		}
		d.Number, d.CreatedAt = uint64(n), fromNanos(created)
		out = append(out, d)
	}
	return out, s.mapErr("devices", rows.Err())
}

// UsePaycodeCounter records that a device's code of time step counter
// was used, if it is newer than every one used before and the device is
// active; ErrNotFound otherwise (a replay, or a revoked device).
func (s *Store) UsePaycodeCounter(ctx context.Context, number uint64, counter int64) error {
	return s.batched(ctx, "use payment code", true,
		"UPDATE paycode_devices SET last_counter = $2 WHERE number = $1 AND last_counter < $2 AND status = 'active'", int64(number), counter)
}

// RevokePaycodeDevice revokes a user's device.
func (s *Store) RevokePaycodeDevice(ctx context.Context, userID string, number uint64) error {
	return s.exec1(ctx, "revoke device", "UPDATE paycode_devices SET status = 'revoked' WHERE user_id = $1 AND number = $2 AND status = 'active'", userID, int64(number))
}

const refundColumns = "id, merchant_id, order_id, out_refund_no, amount, fee_back, reason, status, created_at"

// AddRefund records a refund and raises the order's refunded total.
func (s *Store) AddRefund(ctx context.Context, r wallet.MerchantRefund, feeBack func(before int64) int64) (wallet.MerchantRefund, error) {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return r, s.mapErr("add refund", err)
	}
	defer end()
	var after int64
	err = tx.QueryRowContext(ctx, s.text(`UPDATE merchant_orders SET refunded = refunded + $2, status = 'REFUND'
		WHERE id = $1 AND status IN ('SUCCESS', 'REFUND') AND refunded + $2 <= amount RETURNING refunded`), r.OrderID, r.Amount).Scan(&after)
	if err != nil {
		return r, s.mapErr("add refund", err)
	}
	r.FeeBack = feeBack(after - r.Amount)
	if _, err := tx.ExecContext(ctx, s.text("INSERT INTO merchant_refunds ("+refundColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
		r.ID, r.MerchantID, r.OrderID, r.OutRefundNo, r.Amount, r.FeeBack, r.Reason, r.Status, nanos(r.CreatedAt)); err != nil {
		return r, s.mapErr("add refund", err)
	}
	return r, s.mapErr("add refund", tx.Commit())
}

// FailRefund marks a refund failed and gives its amount back to the order.
func (s *Store) FailRefund(ctx context.Context, r wallet.MerchantRefund) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("fail refund", err)
	}
	defer end()
	res, err := tx.ExecContext(ctx, s.text("UPDATE merchant_refunds SET status = 'failed' WHERE id = $1 AND status = 'processing'"), r.ID)
	if err != nil {
		return s.mapErr("fail refund", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // not processing: done already
	}
	if _, err := tx.ExecContext(ctx, s.text(`UPDATE merchant_orders SET refunded = refunded - $2,
		status = CASE WHEN refunded - $2 = 0 THEN 'SUCCESS' ELSE status END WHERE id = $1`), r.OrderID, r.Amount); err != nil {
		return s.mapErr("fail refund", err)
	}
	return s.mapErr("fail refund", tx.Commit())
}

// MerchantRefund finds a refund by the merchant's number.
func (s *Store) MerchantRefund(ctx context.Context, merchantID, outRefundNo string) (wallet.MerchantRefund, error) {
	var r wallet.MerchantRefund
	var created int64
	err := s.queryRow(ctx, "SELECT "+refundColumns+" FROM merchant_refunds WHERE merchant_id = $1 AND out_refund_no = $2", merchantID, outRefundNo).
		Scan(&r.ID, &r.MerchantID, &r.OrderID, &r.OutRefundNo, &r.Amount, &r.FeeBack, &r.Reason, &r.Status, &created)
	r.CreatedAt = fromNanos(created)
	return r, s.mapErr("refund", err)
}

// SetRefundStatus sets a refund's status, with its event.
func (s *Store) SetRefundStatus(ctx context.Context, id, status string, ev *wallet.WebhookEvent) error {
	return s.withEvent(ctx, "set refund status", ev, false, "UPDATE merchant_refunds SET status = $2 WHERE id = $1", id, status)
}

// CompleteMerchantOrder marks an order paid, with its event.
func (s *Store) CompleteMerchantOrder(ctx context.Context, id, payerID string, at time.Time, ev *wallet.WebhookEvent) error {
	// Lazy: the payment is durably in the ledger already; a crash that
	// loses this leaves the order waiting, and a reader that finds it
	// waiting looks there. Answered after its commit (not before): a till
	// told SUCCESS that queries the order reads SUCCESS.
	return s.withEvent(ctx, "complete merchant order", ev, true,
		"UPDATE merchant_orders SET status = 'SUCCESS', payer_id = $2, updated_at = $3 WHERE id = $1 AND status IN ('NOTPAY', 'USERPAYING', 'CLOSED')",
		id, payerID, nanos(at))
}

// withEvent runs a one-row update and, if it changed the row, inserts the
// event, in one transaction: the outbox holds an event exactly when the
// change it tells of happened. lazy: see batchOp.lazy.
func (s *Store) withEvent(ctx context.Context, op string, ev *wallet.WebhookEvent, lazy bool, q string, args ...any) error {
	if ev == nil {
		return s.batchedWrite(ctx, op, true, batchOp{lazy: lazy}, q, args...)
	}
	// The event goes in first: if the update then changes nothing, the
	// event is taken out again (a statement that fails changes nothing, so
	// on SQLite the pair needs no savepoint).
	err := s.batch.doOp(ctx, batchOp{single: true, lazy: lazy, fn: func(ctx context.Context, tx *sql.Tx) error {
		return s.undoneUnless(ctx, tx, "DELETE FROM webhook_events WHERE id = $1", ev.ID,
			func() error {
				_, err := s.txExec(ctx, tx, `INSERT INTO webhook_events (id, merchant_id, type, payload, status, attempts, next_attempt_at, created_at)
				VALUES ($1, $2, $3, $4, $5, 0, $6, $7)`, ev.ID, ev.MerchantID, ev.Type, ev.Payload, ev.Status, nanos(ev.NextAttemptAt), nanos(ev.CreatedAt))
				return err
			},
			func() (sql.Result, error) { return s.txExec(ctx, tx, q, args...) })
	}})
	if errors.Is(err, errNoRow) {
		return fmt.Errorf("%s: %w", op, wallet.ErrNotFound)
	}
	return s.mapErr(op, err)
}

// SetWebhook sets (or replaces) a merchant's webhook.
func (s *Store) SetWebhook(ctx context.Context, w wallet.Webhook) error {
	if _, err := s.exec(ctx, "DELETE FROM merchant_webhooks WHERE merchant_id = $1", w.MerchantID); err != nil {
		return s.mapErr("set webhook", err)
	}
	_, err := s.exec(ctx, "INSERT INTO merchant_webhooks (merchant_id, url, secret, created_at) VALUES ($1, $2, $3, $4)",
		w.MerchantID, w.URL, w.Secret, nanos(w.CreatedAt))
	return s.mapErr("set webhook", err)
}

// Webhook returns a merchant's webhook.
func (s *Store) Webhook(ctx context.Context, merchantID string) (wallet.Webhook, error) {
	var w wallet.Webhook
	var created int64
	err := s.queryRow(ctx, "SELECT merchant_id, url, secret, created_at FROM merchant_webhooks WHERE merchant_id = $1", merchantID).
		Scan(&w.MerchantID, &w.URL, &w.Secret, &created)
	w.CreatedAt = fromNanos(created)
	return w, s.mapErr("webhook", err)
}

const eventColumns = "id, merchant_id, type, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at"

func (s *Store) events(ctx context.Context, q string, args ...any) ([]wallet.WebhookEvent, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.mapErr("webhook events", err)
	}
	defer rows.Close()
	var out []wallet.WebhookEvent
	for rows.Next() {
		var e wallet.WebhookEvent
		var next, created, delivered int64
		if err := rows.Scan(&e.ID, &e.MerchantID, &e.Type, &e.Payload, &e.Status, &e.Attempts, &next, &e.LastError, &created, &delivered); err != nil {
			return nil, s.mapErr("webhook events", err)
		}
		e.NextAttemptAt, e.CreatedAt, e.DeliveredAt = fromNanos(next), fromNanos(created), fromNanos(delivered)
		out = append(out, e)
	}
	return out, s.mapErr("webhook events", rows.Err())
}

// DueWebhookEvents leases due events.
func (s *Store) DueWebhookEvents(ctx context.Context, now, leaseUntil time.Time, limit int) ([]wallet.WebhookEvent, error) {
	due, err := s.events(ctx, "SELECT "+eventColumns+" FROM webhook_events WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
		nanos(now), limit)
	if err != nil {
		return nil, err
	}
	if len(due) == 0 {
		return nil, nil
	}
	// All leased in one transaction; only one process wins each event.
	leased := due[:0]
	err = s.batch.do(ctx, false, func(ctx context.Context, tx *sql.Tx) error {
		leased = due[:0]
		for _, e := range due {
			res, err := s.txExec(ctx, tx, "UPDATE webhook_events SET next_attempt_at = $3 WHERE id = $1 AND next_attempt_at = $2 AND status = 'pending'",
				e.ID, nanos(e.NextAttemptAt), nanos(leaseUntil))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				leased = append(leased, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.mapErr("lease webhook events", err)
	}
	return leased, nil
}

// SaveWebhookAttempt records an attempt's outcome.
func (s *Store) SaveWebhookAttempt(ctx context.Context, e wallet.WebhookEvent) error {
	// Lazy: an attempt whose record a crash loses is made again (delivery
	// is at least once, and receivers deduplicate by the event id).
	return s.batchedLazy(ctx, "save webhook attempt", `UPDATE webhook_events SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, delivered_at = $6
		WHERE id = $1`, e.ID, e.Status, e.Attempts, nanos(e.NextAttemptAt), e.LastError, nanos(e.DeliveredAt))
}

// WebhookEvents lists a merchant's events, newest first.
func (s *Store) WebhookEvents(ctx context.Context, merchantID string, limit int) ([]wallet.WebhookEvent, error) {
	return s.events(ctx, "SELECT "+eventColumns+" FROM webhook_events WHERE merchant_id = $1 ORDER BY created_at DESC LIMIT $2", merchantID, limit)
}

// ReplayWebhookEvent sends an event again.
func (s *Store) ReplayWebhookEvent(ctx context.Context, merchantID, id string, at time.Time) error {
	return s.exec1(ctx, "replay webhook event", "UPDATE webhook_events SET status = 'pending', next_attempt_at = $3 WHERE merchant_id = $1 AND id = $2",
		merchantID, id, nanos(at))
}

// StartTillOrder uses a payment code's time step and creates the till's
// order, claimed by the code's owner, in one write: ErrNotFound if the
// code's step is not newer than the device's last (or the device is
// revoked), ErrDuplicate if the order number exists.
func (s *Store) StartTillOrder(ctx context.Context, device uint64, counter int64, o wallet.MerchantOrder) error {
	// Lazy: the payment that follows commits durably, and with it this; a
	// crash before it loses only a claim no money followed (the till
	// retries the sale with a fresh code).
	err := s.batch.doOp(ctx, batchOp{single: true, lazy: true, fn: func(ctx context.Context, tx *sql.Tx) error {
		return s.undoneUnless(ctx, tx, "DELETE FROM merchant_orders WHERE id = $1", o.ID,
			func() error {
				_, err := s.txExec(ctx, tx, insertOrderSQL, orderArgs(o)...)
				return err
			},
			func() (sql.Result, error) {
				return s.txExec(ctx, tx, "UPDATE paycode_devices SET last_counter = $2 WHERE number = $1 AND last_counter < $2 AND status = 'active'",
					int64(device), counter)
			})
	}})
	if errors.Is(err, errNoRow) {
		return fmt.Errorf("start till order: %w", wallet.ErrNotFound)
	}
	return s.mapErr("start till order", err)
}

// AddStaff adds (or changes the role of) a merchant's staff member.
func (s *Store) AddStaff(ctx context.Context, merchantID, userID, role string, at time.Time) error {
	if _, err := s.exec(ctx, "DELETE FROM merchant_staff WHERE merchant_id = $1 AND user_id = $2", merchantID, userID); err != nil {
		return s.mapErr("add staff", err)
	}
	_, err := s.exec(ctx, "INSERT INTO merchant_staff (merchant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)", merchantID, userID, role, nanos(at))
	return s.mapErr("add staff", err)
}

// StaffRole returns a user's role at a merchant (ErrNotFound if none).
func (s *Store) StaffRole(ctx context.Context, merchantID, userID string) (string, error) {
	var role string
	err := s.queryRow(ctx, "SELECT role FROM merchant_staff WHERE merchant_id = $1 AND user_id = $2", merchantID, userID).Scan(&role)
	return role, s.mapErr("staff role", err)
}

// CreateStore stores a store.
func (s *Store) CreateStore(ctx context.Context, st wallet.Shop) error {
	_, err := s.exec(ctx, "INSERT INTO merchant_stores (id, merchant_id, name, created_at) VALUES ($1, $2, $3, $4)", st.ID, st.MerchantID, st.Name, nanos(st.CreatedAt))
	return s.mapErr("create store", err)
}

// CreateTerminal stores a terminal of a merchant's store; ErrNotFound if
// the store is not the merchant's.
func (s *Store) CreateTerminal(ctx context.Context, t wallet.Terminal) error {
	return s.exec1(ctx, "create terminal", `INSERT INTO merchant_terminals (id, store_id, merchant_id, name, created_at)
		SELECT $1, id, merchant_id, $3, $4 FROM merchant_stores WHERE id = $2 AND merchant_id = $5`, t.ID, t.StoreID, t.Name, nanos(t.CreatedAt), t.MerchantID)
}

// Terminal returns a terminal.
func (s *Store) Terminal(ctx context.Context, id string) (wallet.Terminal, error) {
	var t wallet.Terminal
	var created int64
	err := s.queryRow(ctx, "SELECT id, store_id, merchant_id, name, created_at FROM merchant_terminals WHERE id = $1", id).
		Scan(&t.ID, &t.StoreID, &t.MerchantID, &t.Name, &created)
	t.CreatedAt = fromNanos(created)
	return t, s.mapErr("terminal", err)
}
