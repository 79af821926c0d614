package walletsql

import (
	"context"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const cardColumns = `id, user_id, pan_sealed, pan_hash, masked, issuer, network, card_type, holder_name, status,
	verification_id, bank_token, created_at`

// CreateCard stores a card.
func (s *Store) CreateCard(ctx context.Context, c wallet.BankCard) error {
	_, err := s.exec(ctx, "INSERT INTO bank_cards ("+cardColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
		c.ID, c.UserID, c.PANSealed, c.PANHash, c.Masked, c.Issuer, c.Network, c.Type, c.HolderName, c.Status,
		c.VerificationID, c.BankToken, nanos(c.CreatedAt))
	return s.mapErr("create card", err)
}

// Cards lists a user's cards.
func (s *Store) Cards(ctx context.Context, userID string) ([]wallet.BankCard, error) {
	rows, err := s.query(ctx, "SELECT "+cardColumns+" FROM bank_cards WHERE user_id = $1 ORDER BY created_at", userID)
	if err != nil {
		return nil, s.mapErr("cards", err)
	}
	defer rows.Close()
	var out []wallet.BankCard
	for rows.Next() {
		var c wallet.BankCard
		var created int64
		if err := rows.Scan(&c.ID, &c.UserID, &c.PANSealed, &c.PANHash, &c.Masked, &c.Issuer, &c.Network, &c.Type, &c.HolderName,
			&c.Status, &c.VerificationID, &c.BankToken, &created); err != nil {
			return nil, s.mapErr("cards", err)
		}
		c.CreatedAt = fromNanos(created)
		out = append(out, c)
	}
	return out, s.mapErr("cards", rows.Err())
}

// VerifyCard records the bank's token for a card and marks it verified.
func (s *Store) VerifyCard(ctx context.Context, cardID, bankToken string) error {
	return s.exec1(ctx, "verify card", "UPDATE bank_cards SET status = 'verified', bank_token = $2 WHERE id = $1", cardID, bankToken)
}

// DeleteCard unlinks a card that no order refers to; a card with orders
// is kept (as "removed") for the record.
func (s *Store) DeleteCard(ctx context.Context, userID, cardID string) error {
	return s.exec1(ctx, "remove card", "UPDATE bank_cards SET status = 'removed', bank_token = '' WHERE user_id = $1 AND id = $2 AND status <> 'removed'", userID, cardID)
}

const orderColumns = "id, user_id, kind, merchant_id, card_id, amount, fee, currency, status, reason, created_at, updated_at"

func scanOrder(r scanner) (wallet.BankOrder, error) {
	var o wallet.BankOrder
	var created, updated int64
	err := r.Scan(&o.ID, &o.UserID, &o.Kind, &o.MerchantID, &o.CardID, &o.Amount, &o.Fee, &o.Currency, &o.Status, &o.Reason, &created, &updated)
	o.CreatedAt, o.UpdatedAt = fromNanos(created), fromNanos(updated)
	return o, err
}

// CreateOrder stores a new top-up or withdrawal.
func (s *Store) CreateOrder(ctx context.Context, o wallet.BankOrder) error {
	_, err := s.exec(ctx, "INSERT INTO bank_orders ("+orderColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
		o.ID, o.UserID, o.Kind, o.MerchantID, o.CardID, o.Amount, o.Fee, o.Currency, o.Status, o.Reason, nanos(o.CreatedAt), nanos(o.UpdatedAt))
	return s.mapErr("create order", err)
}

// OrderByID returns an order.
func (s *Store) OrderByID(ctx context.Context, id string) (wallet.BankOrder, error) {
	o, err := scanOrder(s.queryRow(ctx, "SELECT "+orderColumns+" FROM bank_orders WHERE id = $1", id))
	return o, s.mapErr("order", err)
}

// FinishOrder ends a processing order.
func (s *Store) FinishOrder(ctx context.Context, id, status, reason string, at time.Time) error {
	return s.exec1(ctx, "finish order", "UPDATE bank_orders SET status = $2, reason = $3, updated_at = $4 WHERE id = $1 AND status = 'processing'",
		id, status, reason, nanos(at))
}

// ProcessingOrders lists orders waiting for the bank.
func (s *Store) ProcessingOrders(ctx context.Context, updatedBefore time.Time, limit int) ([]wallet.BankOrder, error) {
	return s.orders(ctx, "SELECT "+orderColumns+" FROM bank_orders WHERE status = 'processing' AND updated_at < $1 ORDER BY updated_at LIMIT $2",
		nanos(updatedBefore), limit)
}

// Orders lists a user's orders, newest first.
func (s *Store) Orders(ctx context.Context, userID string, limit int) ([]wallet.BankOrder, error) {
	return s.orders(ctx, "SELECT "+orderColumns+" FROM bank_orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2", userID, limit)
}

func (s *Store) orders(ctx context.Context, q string, args ...any) ([]wallet.BankOrder, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, s.mapErr("orders", err)
	}
	defer rows.Close()
	var out []wallet.BankOrder
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, s.mapErr("orders", err)
		}
		out = append(out, o)
	}
	return out, s.mapErr("orders", rows.Err())
}
