package walletsql

import (
	"context"
	"time"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

const deviceColumns = "id, user_id, token_hash, name, first_seen, last_seen, last_ip, trusted, revoked_at"

func scanDevice(row scanner) (wallet.Device, error) {
	var d wallet.Device
	var first, last, revoked int64
	var trusted int
	err := row.Scan(&d.ID, &d.UserID, &d.TokenHash, &d.Name, &first, &last, &d.LastIP, &trusted, &revoked)
	d.FirstSeen, d.LastSeen, d.RevokedAt, d.Trusted = fromNanos(first), fromNanos(last), fromNanos(revoked), trusted != 0
	return d, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateDevice stores a device.
func (s *Store) CreateDevice(ctx context.Context, d wallet.Device) error {
	_, err := s.exec(ctx, "INSERT INTO devices ("+deviceColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		d.ID, d.UserID, d.TokenHash, d.Name, nanos(d.FirstSeen), nanos(d.LastSeen), d.LastIP, boolInt(d.Trusted), nanos(d.RevokedAt))
	return s.mapErr("add device", err)
}

// DeviceByToken returns the user's newest device with a token hash.
func (s *Store) DeviceByToken(ctx context.Context, userID, tokenHash string) (wallet.Device, error) {
	d, err := scanDevice(s.queryRow(ctx, "SELECT "+deviceColumns+" FROM devices WHERE user_id = $1 AND token_hash = $2 ORDER BY first_seen DESC LIMIT 1",
		userID, tokenHash))
	return d, s.mapErr("device", err)
}

// DeviceByID returns a device.
func (s *Store) DeviceByID(ctx context.Context, id string) (wallet.Device, error) {
	d, err := scanDevice(s.queryRow(ctx, "SELECT "+deviceColumns+" FROM devices WHERE id = $1", id))
	return d, s.mapErr("device", err)
}

// Devices lists a user's live devices, last seen first.
func (s *Store) Devices(ctx context.Context, userID string) ([]wallet.Device, error) {
	rows, err := s.query(ctx, "SELECT "+deviceColumns+" FROM devices WHERE user_id = $1 AND revoked_at = 0 ORDER BY last_seen DESC, id LIMIT 200", userID)
	if err != nil {
		return nil, s.mapErr("devices", err)
	}
	defer rows.Close()
	var out []wallet.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, s.mapErr("devices", err)
		}
		out = append(out, d)
	}
	return out, s.mapErr("devices", rows.Err())
}

// SeeDevice records a login from a device.
func (s *Store) SeeDevice(ctx context.Context, id string, at time.Time, ip string, trusted bool) error {
	return s.exec1(ctx, "see device",
		"UPDATE devices SET last_seen = $2, last_ip = $3, trusted = CASE WHEN $4 = 1 THEN 1 ELSE trusted END WHERE id = $1 AND revoked_at = 0",
		id, nanos(at), ip, boolInt(trusted))
}

// RevokeDevice revokes a device with its sessions and payment codes, in
// one transaction.
func (s *Store) RevokeDevice(ctx context.Context, userID, id string, at time.Time) (int, []uint64, error) {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	defer end()
	res, err := s.txExec(ctx, tx, "UPDATE devices SET revoked_at = $3, trusted = 0 WHERE id = $1 AND user_id = $2 AND revoked_at = 0", id, userID, nanos(at))
	if err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = errNotFound()
		}
		return 0, nil, s.mapErr("revoke device", err)
	}
	res, err = s.txExec(ctx, tx, "DELETE FROM sessions WHERE user_id = $1 AND device_id = $2", userID, id)
	if err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	sessions, _ := res.RowsAffected()
	rows, err := tx.QueryContext(ctx, s.text("SELECT number FROM paycode_devices WHERE user_id = $1 AND device_id = $2 AND status = 'active'"), userID, id)
	if err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	var codes []uint64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, nil, s.mapErr("revoke device", err)
		}
		codes = append(codes, uint64(n))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	if _, err := s.txExec(ctx, tx, "UPDATE paycode_devices SET status = 'revoked' WHERE user_id = $1 AND device_id = $2 AND status = 'active'", userID, id); err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	if _, err := s.txExec(ctx, tx, "UPDATE step_ups SET used_at = $2 WHERE device_id = $1 AND used_at = 0", id, nanos(at)); err != nil {
		return 0, nil, s.mapErr("revoke device", err)
	}
	return int(sessions), codes, s.mapErr("revoke device", tx.Commit())
}

const loginEventColumns = "id, user_id, at, outcome, method, ip, device_id, client"

// AddLoginEvent records a login attempt and drops the user's old ones.
func (s *Store) AddLoginEvent(ctx context.Context, e wallet.LoginEvent, before time.Time) error {
	if _, err := s.exec(ctx, "DELETE FROM login_events WHERE user_id = $1 AND at < $2", e.UserID, nanos(before)); err != nil {
		return s.mapErr("login history", err)
	}
	_, err := s.exec(ctx, "INSERT INTO login_events ("+loginEventColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		e.ID, e.UserID, nanos(e.At), e.Outcome, e.Method, e.IP, e.DeviceID, e.Client)
	return s.mapErr("login history", err)
}

// LoginEvents lists a user's login attempts, newest first.
func (s *Store) LoginEvents(ctx context.Context, userID string, limit int) ([]wallet.LoginEvent, error) {
	rows, err := s.query(ctx, "SELECT "+loginEventColumns+" FROM login_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2", userID, limit)
	if err != nil {
		return nil, s.mapErr("login history", err)
	}
	defer rows.Close()
	var out []wallet.LoginEvent
	for rows.Next() {
		var e wallet.LoginEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.UserID, &at, &e.Outcome, &e.Method, &e.IP, &e.DeviceID, &e.Client); err != nil {
			return nil, s.mapErr("login history", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, s.mapErr("login history", rows.Err())
}

// PutTOTP stores a pending secret in place of a pending one.
func (s *Store) PutTOTP(ctx context.Context, t wallet.TOTPRecord) error {
	tx, end, err := s.beginWrite(ctx)
	if err != nil {
		return s.mapErr("authenticator app", err)
	}
	defer end()
	if _, err := s.txExec(ctx, tx, "DELETE FROM user_totp WHERE user_id = $1 AND status = 'pending'", t.UserID); err != nil {
		return s.mapErr("authenticator app", err)
	}
	if _, err := s.txExec(ctx, tx, "INSERT INTO user_totp (user_id, secret, status, last_step, created_at, confirmed_at) VALUES ($1, $2, $3, 0, $4, 0)",
		t.UserID, t.Secret, t.Status, nanos(t.CreatedAt)); err != nil {
		return s.mapErr("authenticator app", err)
	}
	return s.mapErr("authenticator app", tx.Commit())
}

// TOTP returns a user's authenticator-app record.
func (s *Store) TOTP(ctx context.Context, userID string) (wallet.TOTPRecord, error) {
	t := wallet.TOTPRecord{UserID: userID}
	var created, confirmed int64
	err := s.queryRow(ctx, "SELECT secret, status, last_step, created_at, confirmed_at FROM user_totp WHERE user_id = $1", userID).
		Scan(&t.Secret, &t.Status, &t.LastStep, &created, &confirmed)
	t.CreatedAt, t.ConfirmedAt = fromNanos(created), fromNanos(confirmed)
	return t, s.mapErr("authenticator app", err)
}

// ActivateTOTP makes a pending secret active.
func (s *Store) ActivateTOTP(ctx context.Context, userID string, step int64, at time.Time) error {
	return s.exec1(ctx, "authenticator app",
		"UPDATE user_totp SET status = 'active', last_step = $2, confirmed_at = $3 WHERE user_id = $1 AND status = 'pending'", userID, step, nanos(at))
}

// UseTOTPStep records a used code's step if it is newer than the last.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return s.exec1(ctx, "authenticator code",
		"UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND status = 'active' AND last_step < $2", userID, step)
}

// DeleteTOTP removes a user's authenticator app.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	return s.exec1(ctx, "authenticator app", "DELETE FROM user_totp WHERE user_id = $1", userID)
}

// CreateStepUp stores a step-up and drops those long expired.
func (s *Store) CreateStepUp(ctx context.Context, st wallet.StepUp) error {
	if _, err := s.exec(ctx, "DELETE FROM step_ups WHERE expires_at < $1", nanos(st.CreatedAt.Add(-time.Hour))); err != nil {
		return s.mapErr("step-up", err)
	}
	_, err := s.exec(ctx, "INSERT INTO step_ups (token_hash, id, user_id, device_id, client, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
		st.TokenHash, st.ID, st.UserID, st.DeviceID, st.Client, nanos(st.CreatedAt), nanos(st.ExpiresAt))
	return s.mapErr("step-up", err)
}

// StepUpByToken finds a step-up by its token's hash.
func (s *Store) StepUpByToken(ctx context.Context, tokenHash string) (wallet.StepUp, error) {
	st := wallet.StepUp{TokenHash: tokenHash}
	var created, expires, used int64
	err := s.queryRow(ctx, "SELECT id, user_id, device_id, client, created_at, expires_at, used_at FROM step_ups WHERE token_hash = $1", tokenHash).
		Scan(&st.ID, &st.UserID, &st.DeviceID, &st.Client, &created, &expires, &used)
	st.CreatedAt, st.ExpiresAt, st.UsedAt = fromNanos(created), fromNanos(expires), fromNanos(used)
	return st, s.mapErr("step-up", err)
}

// UseStepUp marks an unused step-up used.
func (s *Store) UseStepUp(ctx context.Context, id string, at time.Time) error {
	return s.exec1(ctx, "step-up", "UPDATE step_ups SET used_at = $2 WHERE id = $1 AND used_at = 0", id, nanos(at))
}
