package walletsql

import (
	"context"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// The columns that hold sealed values, with how to find each row's
// additional data (the owner the value is bound to).
var sealedColumns = map[string]struct{ table, key, column, aad string }{
	wallet.SealedCard:        {"bank_cards", "id", "pan_sealed", "'card:' || user_id"},
	wallet.SealedIdentity:    {"users", "id", "id_sealed", "'identity:' || id"},
	wallet.SealedMerchantKey: {"merchant_keys", "id", "secret", "'merchant-key:' || id"},
	wallet.SealedPaycode:     {"paycode_devices", "CAST(number AS TEXT)", "secret", "'paycode:' || CAST(number AS TEXT)"},
	wallet.SealedWebhook:     {"merchant_webhooks", "merchant_id", "secret", "'webhook:' || merchant_id"},
	wallet.SealedTOTP:        {"user_totp", "user_id", "secret", "'totp:' || user_id"},
}

// StaleSealed returns up to limit values of a kind sealed with another key
// than the current one (merchants' Ed25519 keys, which are public and not
// sealed, are left out).
func (s *Store) StaleSealed(ctx context.Context, kind, current string, limit int) ([]wallet.SealedValue, error) {
	c, ok := sealedColumns[kind]
	if !ok {
		return nil, fmt.Errorf("stale sealed: no kind %q", kind)
	}
	q := fmt.Sprintf("SELECT %s, %s, %s FROM %s WHERE %s <> '' AND (%s LIKE 'v1.%%' OR %s LIKE 'v2.%%') AND substr(%s, 1, $1) <> $2 LIMIT $3",
		c.key, c.aad, c.column, c.table, c.column, c.column, c.column, c.column)
	prefix := bank.SealedWith(current)
	rows, err := s.query(ctx, q, len(prefix), prefix, limit)
	if err != nil {
		return nil, s.mapErr("stale sealed", err)
	}
	defer rows.Close()
	var out []wallet.SealedValue
	for rows.Next() {
		v := wallet.SealedValue{Kind: kind}
		if err := rows.Scan(&v.Key, &v.AAD, &v.Sealed); err != nil {
			return nil, s.mapErr("stale sealed", err)
		}
		out = append(out, v)
	}
	return out, s.mapErr("stale sealed", rows.Err())
}

// Reseal replaces a sealed value if it is still the one read
// (ErrNotFound otherwise: it changed meanwhile).
func (s *Store) Reseal(ctx context.Context, v wallet.SealedValue, sealed string) error {
	c, ok := sealedColumns[v.Kind]
	if !ok {
		return fmt.Errorf("reseal: no kind %q", v.Kind)
	}
	q := fmt.Sprintf("UPDATE %s SET %s = $1 WHERE %s = $2 AND %s = $3", c.table, c.column, c.key, c.column)
	return s.exec1(ctx, "reseal", q, sealed, v.Key, v.Sealed)
}
