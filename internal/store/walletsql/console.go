package walletsql

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The merchant portal's and the operator console's reads, and the freeze.
// Prefix searches compare substr(column, 1, n) with the query, not LIKE,
// so that a query's % and _ are plain characters on both databases.

// UserMerchants lists the merchants a user owns or works for.
func (s *Store) UserMerchants(ctx context.Context, userID string) ([]wallet.Membership, error) {
	rows, err := s.query(ctx, `SELECT `+merchantColumns+`, 'owner' FROM merchants WHERE owner_id = $1
		UNION ALL SELECT m.id, m.owner_id, m.name, m.display_name, m.mcc, m.country, m.city, m.fee_bps, m.status, m.account_id,
		m.settlement_card, m.created_at, st.role FROM merchant_staff st JOIN merchants m ON m.id = st.merchant_id WHERE st.user_id = $1
		ORDER BY 12`, userID)
	if err != nil {
		return nil, s.mapErr("user merchants", err)
	}
	defer rows.Close()
	var out []wallet.Membership
	for rows.Next() {
		var m wallet.Membership
		var created int64
		x := &m.Merchant
		if err := rows.Scan(&x.ID, &x.OwnerID, &x.Name, &x.DisplayName, &x.MCC, &x.Country, &x.City, &x.FeeBPS, &x.Status, &x.AccountID,
			&x.SettlementCard, &created, &m.Role); err != nil {
			return nil, s.mapErr("user merchants", err)
		}
		x.CreatedAt = fromNanos(created)
		out = append(out, m)
	}
	return out, s.mapErr("user merchants", rows.Err())
}

// StaffMembers lists a merchant's staff.
func (s *Store) StaffMembers(ctx context.Context, merchantID string) ([]wallet.StaffMember, error) {
	rows, err := s.query(ctx, `SELECT u.id, u.name, u.phone, st.role, st.created_at FROM merchant_staff st JOIN users u ON u.id = st.user_id
		WHERE st.merchant_id = $1 ORDER BY st.created_at`, merchantID)
	if err != nil {
		return nil, s.mapErr("staff", err)
	}
	defer rows.Close()
	var out []wallet.StaffMember
	for rows.Next() {
		var m wallet.StaffMember
		var created int64
		if err := rows.Scan(&m.UserID, &m.Name, &m.Phone, &m.Role, &created); err != nil {
			return nil, s.mapErr("staff", err)
		}
		m.CreatedAt = fromNanos(created)
		out = append(out, m)
	}
	return out, s.mapErr("staff", rows.Err())
}

// RemoveStaff removes a staff member.
func (s *Store) RemoveStaff(ctx context.Context, merchantID, userID string) error {
	return s.exec1(ctx, "remove staff", "DELETE FROM merchant_staff WHERE merchant_id = $1 AND user_id = $2", merchantID, userID)
}

// MerchantKeys lists a merchant's keys, newest first, without secrets.
func (s *Store) MerchantKeys(ctx context.Context, merchantID string) ([]wallet.MerchantKey, error) {
	rows, err := s.query(ctx, "SELECT id, merchant_id, kind, status, created_at FROM merchant_keys WHERE merchant_id = $1 ORDER BY created_at DESC", merchantID)
	if err != nil {
		return nil, s.mapErr("merchant keys", err)
	}
	defer rows.Close()
	var out []wallet.MerchantKey
	for rows.Next() {
		var k wallet.MerchantKey
		var created int64
		if err := rows.Scan(&k.ID, &k.MerchantID, &k.Kind, &k.Status, &created); err != nil {
			return nil, s.mapErr("merchant keys", err)
		}
		k.CreatedAt = fromNanos(created)
		out = append(out, k)
	}
	return out, s.mapErr("merchant keys", rows.Err())
}

// SearchMerchantOrders lists a merchant's orders, newest first.
func (s *Store) SearchMerchantOrders(ctx context.Context, merchantID string, q wallet.OrderQuery) ([]wallet.MerchantOrder, error) {
	var from, to int64 = 0, 1<<63 - 1
	if !q.From.IsZero() {
		from = nanos(q.From)
	}
	if !q.To.IsZero() {
		to = nanos(q.To)
	}
	rows, err := s.query(ctx, "SELECT "+morderColumns+` FROM merchant_orders WHERE merchant_id = $1
		AND ($2 = '' OR out_trade_no = $2) AND ($3 = '' OR status = $3) AND created_at >= $4 AND created_at < $5
		ORDER BY created_at DESC LIMIT $6`, merchantID, q.OutTradeNo, q.Status, from, to, q.Limit)
	if err != nil {
		return nil, s.mapErr("search orders", err)
	}
	defer rows.Close()
	var out []wallet.MerchantOrder
	for rows.Next() {
		o, err := scanMerchantOrder(rows)
		if err != nil {
			return nil, s.mapErr("search orders", err)
		}
		out = append(out, o)
	}
	return out, s.mapErr("search orders", rows.Err())
}

// OrderRefunds lists an order's refunds, oldest first.
func (s *Store) OrderRefunds(ctx context.Context, orderID string) ([]wallet.MerchantRefund, error) {
	rows, err := s.query(ctx, "SELECT "+refundColumns+" FROM merchant_refunds WHERE order_id = $1 ORDER BY created_at", orderID)
	if err != nil {
		return nil, s.mapErr("order refunds", err)
	}
	defer rows.Close()
	var out []wallet.MerchantRefund
	for rows.Next() {
		var r wallet.MerchantRefund
		var created int64
		if err := rows.Scan(&r.ID, &r.MerchantID, &r.OrderID, &r.OutRefundNo, &r.Amount, &r.FeeBack, &r.Reason, &r.Status, &created); err != nil {
			return nil, s.mapErr("order refunds", err)
		}
		r.CreatedAt = fromNanos(created)
		out = append(out, r)
	}
	return out, s.mapErr("order refunds", rows.Err())
}

// MerchantSettlements lists a merchant's settlements, newest first.
func (s *Store) MerchantSettlements(ctx context.Context, merchantID string, limit int) ([]wallet.BankOrder, error) {
	return s.orders(ctx, "SELECT "+orderColumns+" FROM bank_orders WHERE merchant_id = $1 AND kind = 'settlement' ORDER BY created_at DESC LIMIT $2",
		merchantID, limit)
}

// SearchUsers finds users by id, or by the prefix of their mobile number,
// name or real name.
func (s *Store) SearchUsers(ctx context.Context, q string, limit int) ([]wallet.User, error) {
	rows, err := s.query(ctx, "SELECT "+userColumns+` FROM users WHERE id = $1 OR substr(phone, 1, $2) = $1 OR substr(name, 1, $2) = $1
		OR substr(real_name, 1, $2) = $1 ORDER BY created_at DESC LIMIT $3`, q, utf8.RuneCountInString(q), limit)
	if err != nil {
		return nil, s.mapErr("search users", err)
	}
	defer rows.Close()
	var out []wallet.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.mapErr("search users", err)
		}
		out = append(out, u)
	}
	return out, s.mapErr("search users", rows.Err())
}

// SearchMerchants finds merchants by id or the prefix of a name, and by
// status; an empty query matches every merchant (of the status).
func (s *Store) SearchMerchants(ctx context.Context, q, status string, limit int) ([]wallet.Merchant, error) {
	rows, err := s.query(ctx, "SELECT "+merchantColumns+` FROM merchants WHERE ($1 = '' OR id = $1 OR substr(name, 1, $2) = $1
		OR substr(display_name, 1, $2) = $1) AND ($3 = '' OR status = $3) ORDER BY created_at DESC LIMIT $4`,
		q, utf8.RuneCountInString(q), status, limit)
	if err != nil {
		return nil, s.mapErr("search merchants", err)
	}
	defer rows.Close()
	var out []wallet.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, s.mapErr("search merchants", err)
		}
		out = append(out, m)
	}
	return out, s.mapErr("search merchants", rows.Err())
}

// SetFrozen freezes (at ≠ 0) or unfreezes a user.
func (s *Store) SetFrozen(ctx context.Context, userID string, at time.Time) error {
	return s.exec1(ctx, "freeze user", "UPDATE users SET frozen_at = $2 WHERE id = $1", userID, nanos(at))
}
