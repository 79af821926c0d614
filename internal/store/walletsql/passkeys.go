package walletsql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const passkeyColumns = "id, user_id, public_key, sign_count, transports, aaguid, flags, attestation_type, name, created_at, last_used_at"

func scanPasskey(row scanner) (wallet.Passkey, error) {
	var p wallet.Passkey
	var transports string
	var flags int
	var created, used int64
	err := row.Scan(&p.ID, &p.UserID, &p.PublicKey, &p.SignCount, &transports, &p.AAGUID, &flags, &p.AttestationType, &p.Name, &created, &used)
	if transports != "" {
		p.Transports = strings.Split(transports, ",")
	}
	p.Flags, p.CreatedAt, p.LastUsedAt = uint8(flags), fromNanos(created), fromNanos(used)
	return p, err
}

// CreatePasskey stores a passkey; ErrDuplicate if its credential id exists.
func (s *Store) CreatePasskey(ctx context.Context, p wallet.Passkey) error {
	_, err := s.exec(ctx, "INSERT INTO passkeys ("+passkeyColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		p.ID, p.UserID, p.PublicKey, p.SignCount, strings.Join(p.Transports, ","), p.AAGUID, int(p.Flags), p.AttestationType, p.Name,
		nanos(p.CreatedAt), nanos(p.LastUsedAt))
	return s.mapErr("add passkey", err)
}

// Passkeys lists a user's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID string) ([]wallet.Passkey, error) {
	rows, err := s.query(ctx, "SELECT "+passkeyColumns+" FROM passkeys WHERE user_id = $1 ORDER BY created_at, id", userID)
	if err != nil {
		return nil, s.mapErr("passkeys", err)
	}
	defer rows.Close()
	var out []wallet.Passkey
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, s.mapErr("passkeys", err)
		}
		out = append(out, p)
	}
	return out, s.mapErr("passkeys", rows.Err())
}

// PasskeyByID returns a passkey by its credential id.
func (s *Store) PasskeyByID(ctx context.Context, id string) (wallet.Passkey, error) {
	p, err := scanPasskey(s.queryRow(ctx, "SELECT "+passkeyColumns+" FROM passkeys WHERE id = $1", id))
	return p, s.mapErr("passkey", err)
}

// DeletePasskey removes one of a user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	return s.exec1(ctx, "remove passkey", "DELETE FROM passkeys WHERE user_id = $1 AND id = $2", userID, id)
}

// UsePasskey records a use if the counter went up (or neither counts).
func (s *Store) UsePasskey(ctx context.Context, id string, signCount int64, at time.Time) error {
	return s.exec1(ctx, "use passkey",
		"UPDATE passkeys SET sign_count = $2, last_used_at = $3 WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))",
		id, signCount, nanos(at))
}

// CreatePasskeyChallenge stores a challenge and drops those long expired.
func (s *Store) CreatePasskeyChallenge(ctx context.Context, c wallet.PasskeyChallenge) error {
	if _, err := s.exec(ctx, "DELETE FROM passkey_challenges WHERE expires_at < $1", nanos(c.CreatedAt.Add(-time.Hour))); err != nil {
		return s.mapErr("passkey challenge", err)
	}
	_, err := s.exec(ctx, `INSERT INTO passkey_challenges (challenge, purpose, user_id, session_id, binding, nonce, session_data, created_at, expires_at, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)`,
		c.Challenge, c.Purpose, c.UserID, c.SessionID, c.Binding, c.Nonce, c.SessionData, nanos(c.CreatedAt), nanos(c.ExpiresAt))
	return s.mapErr("passkey challenge", err)
}

// UsePasskeyChallenge marks an unused challenge used and returns it.
func (s *Store) UsePasskeyChallenge(ctx context.Context, challenge, purpose string, at time.Time) (wallet.PasskeyChallenge, error) {
	c := wallet.PasskeyChallenge{Challenge: challenge, Purpose: purpose}
	var created, expires, used int64
	st, err := s.stmt(ctx, `UPDATE passkey_challenges SET used_at = $3 WHERE challenge = $1 AND purpose = $2 AND used_at = 0
		RETURNING user_id, session_id, binding, nonce, session_data, created_at, expires_at, used_at`)
	if err != nil {
		return c, s.mapErr("use passkey challenge", err)
	}
	s.writeMu.Lock()
	err = st.QueryRowContext(ctx, challenge, purpose, nanos(at)).Scan(&c.UserID, &c.SessionID, &c.Binding, &c.Nonce, &c.SessionData, &created, &expires, &used)
	s.writeMu.Unlock()
	c.CreatedAt, c.ExpiresAt, c.UsedAt = fromNanos(created), fromNanos(expires), fromNanos(used)
	return c, s.mapErr("use passkey challenge", err)
}

// PasskeyChallengeUsed reports whether a challenge exists and was used.
func (s *Store) PasskeyChallengeUsed(ctx context.Context, challenge string) (bool, error) {
	var used int64
	err := s.queryRow(ctx, "SELECT used_at FROM passkey_challenges WHERE challenge = $1", challenge).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.mapErr("passkey challenge", err)
	}
	return used != 0, nil
}
