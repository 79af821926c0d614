package walletsql

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// notificationChunk is how many rows one prepared insert writes.
const notificationChunk = 32

// AddNotifications inserts notifications in one transaction, with
// prepared multi-row inserts of notificationChunk rows and single rows
// for the rest.
func (s *Store) AddNotifications(ctx context.Context, ns []wallet.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("add notifications", err)
	}
	defer end()
	for len(ns) > 0 {
		n := notificationChunk
		if len(ns) < n {
			n = 1
		}
		st, err := s.stmt(ctx, insertNotifications(n))
		if err != nil {
			return s.mapErr("add notifications", err)
		}
		args := make([]any, 0, 6*n)
		for _, x := range ns[:n] {
			args = append(args, x.ID, x.UserID, x.Kind, x.Title, x.Body, nanos(x.CreatedAt))
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return s.mapErr("add notifications", err)
		}
		ns = ns[n:]
	}
	return s.mapErr("add notifications", tx.Commit())
}

// insertNotifications is the insert of n rows.
func insertNotifications(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO notifications (id, user_id, kind, title, body, created_at) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range 6 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("$" + strconv.Itoa(6*i+j+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Notifications lists a user's notifications before a time, newest first.
func (s *Store) Notifications(ctx context.Context, userID string, before time.Time, limit int) ([]wallet.Notification, error) {
	b := int64(1<<63 - 1)
	if !before.IsZero() {
		b = before.UnixNano()
	}
	rows, err := s.query(ctx, `SELECT id, user_id, kind, title, body, created_at, read FROM notifications
		WHERE user_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3`, userID, b, limit)
	if err != nil {
		return nil, s.mapErr("notifications", err)
	}
	defer rows.Close()
	var out []wallet.Notification
	for rows.Next() {
		var n wallet.Notification
		var created, read int64
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &created, &read); err != nil {
			return nil, s.mapErr("notifications", err)
		}
		n.CreatedAt, n.Read = fromNanos(created), read != 0
		out = append(out, n)
	}
	return out, s.mapErr("notifications", rows.Err())
}

// MarkNotificationsRead marks a user's notifications up to a time read.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, upTo time.Time) error {
	if _, err := s.exec(ctx, "UPDATE notifications SET read = 1 WHERE user_id = $1 AND created_at <= $2 AND read = 0", userID, upTo.UnixNano()); err != nil {
		return s.mapErr("mark notifications read", err)
	}
	_, err := s.exec(ctx, "UPDATE users SET notifications_read_at = $2 WHERE id = $1 AND notifications_read_at < $2", userID, upTo.UnixNano())
	return s.mapErr("mark notifications read", err)
}

const requestColumns = "id, requester_id, payer_id, amount, currency, note, status, transfer_id, created_at, updated_at"

func scanRequest(r scanner) (wallet.PaymentRequest, error) {
	var p wallet.PaymentRequest
	var created, updated int64
	err := r.Scan(&p.ID, &p.RequesterID, &p.PayerID, &p.Amount, &p.Currency, &p.Note, &p.Status, &p.TransferID, &created, &updated)
	p.CreatedAt, p.UpdatedAt = fromNanos(created), fromNanos(updated)
	return p, err
}

// CreatePaymentRequest stores a payment request.
func (s *Store) CreatePaymentRequest(ctx context.Context, r wallet.PaymentRequest) error {
	_, err := s.exec(ctx, "INSERT INTO payment_requests ("+requestColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		r.ID, r.RequesterID, r.PayerID, r.Amount, r.Currency, r.Note, r.Status, r.TransferID, nanos(r.CreatedAt), nanos(r.UpdatedAt))
	return s.mapErr("create payment request", err)
}

// PaymentRequestByID returns a payment request.
func (s *Store) PaymentRequestByID(ctx context.Context, id string) (wallet.PaymentRequest, error) {
	r, err := scanRequest(s.queryRow(ctx, "SELECT "+requestColumns+" FROM payment_requests WHERE id = $1", id))
	return r, s.mapErr("payment request", err)
}

// SetPaymentRequestStatus ends a pending request.
func (s *Store) SetPaymentRequestStatus(ctx context.Context, id, status, transferID string, at time.Time) error {
	return s.exec1(ctx, "set payment request status",
		"UPDATE payment_requests SET status = $2, transfer_id = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'",
		id, status, transferID, nanos(at))
}

// PaymentRequests lists the requests a user made or received, newest first.
func (s *Store) PaymentRequests(ctx context.Context, userID string, limit int) ([]wallet.PaymentRequest, error) {
	rows, err := s.query(ctx, "SELECT "+requestColumns+` FROM payment_requests
		WHERE requester_id = $1 OR payer_id = $1 ORDER BY created_at DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, s.mapErr("payment requests", err)
	}
	defer rows.Close()
	var out []wallet.PaymentRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, s.mapErr("payment requests", err)
		}
		out = append(out, r)
	}
	return out, s.mapErr("payment requests", rows.Err())
}
