package wallet

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// The authenticator app (动态口令): an optional second factor per RFC 6238
// — HMAC-SHA-1, 6 digits, 30-second steps, as every authenticator app
// takes it from an otpauth:// URI. It steps up a login from a new device
// and may confirm a payment that risk control challenges, in place of the
// PIN. The secret is sealed at rest (bound to the user); each code is
// usable once (the newest used time step is kept, and only a newer one is
// accepted, by a compare-and-set); wrong codes are throttled per user.
// The one-time passwords are pkg/paycode's RFC 4226/6238 implementation,
// which is tested against the RFCs' vectors.

// TOTP parameters (RFC 6238's defaults, which every authenticator app
// supports).
const (
	TOTPStep      = 30 * time.Second
	TOTPDigits    = 6
	TOTPIssuer    = "ShiLianTong"
	totpSkewSteps = 1 // a code of the step before or after is accepted (clock drift)
	totpSecretLen = 20

	// TOTPFailuresAllowed wrong codes per user in TOTPFailureWindow.
	TOTPFailuresAllowed = 5
	TOTPFailureWindow   = 15 * time.Minute
)

// Codes of authenticator-app errors.
const (
	CodeTOTPInvalid    = "totp_invalid"     // a wrong code
	CodeTOTPUsed       = "totp_used"        // a code that was used: codes are single use
	CodeTooManyTOTP    = "too_many_totp"    // too many wrong codes: wait
	CodeTOTPNotEnabled = "totp_not_enabled" // the user has no authenticator app
	CodeTOTPEnabled    = "totp_enabled"     // the user has one: disable it first
	CodeTOTPNotPending = "totp_not_pending" // nothing to confirm: begin again
	CodeTOTPNotNeeded  = "totp_not_needed"  // a payment risk control does not challenge takes the PIN
)

const (
	totpPending = "pending"
	totpActive  = "active"
)

// TOTPEnrolment is a new authenticator-app secret, shown once: the
// secret in base32 (to type in) and as an otpauth:// URI (its QR code).
type TOTPEnrolment struct {
	Secret string
	URI    string
}

// TOTPState is whether the user has an authenticator app.
type TOTPState struct {
	Enabled bool
	Pending bool
	Since   time.Time
}

func totpAAD(userID string) []byte { return []byte("totp:" + userID) }

// TOTPCode is the RFC 6238 code (SHA-1, 6 digits, 30 s) of a secret at t.
func TOTPCode(secret []byte, t time.Time) (string, error) {
	return paycode.TOTP(secret, t, TOTPStep, TOTPDigits, crypto.SHA1)
}

// TOTPStatus tells whether the user has an authenticator app.
func (s *Service) TOTPStatus(ctx context.Context, u User) (TOTPState, error) {
	t, err := s.store.TOTP(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		return TOTPState{}, nil
	}
	if err != nil {
		return TOTPState{}, fmt.Errorf("authenticator app: %w", err)
	}
	return TOTPState{Enabled: t.Status == totpActive, Pending: t.Status == totpPending, Since: t.ConfirmedAt}, nil
}

// BeginTOTP makes a new secret for the user's authenticator app (in place
// of one begun and not confirmed); ConfirmTOTP with the app's first code
// turns it on.
func (s *Service) BeginTOTP(ctx context.Context, u User) (TOTPEnrolment, error) {
	secret := make([]byte, totpSecretLen)
	if _, err := rand.Read(secret); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("authenticator app: %w", err)
	}
	b32 := paycode.EncodeSecret(secret)
	sealed, err := s.vault.Seal([]byte(b32), totpAAD(u.ID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("authenticator app: %w", err)
	}
	err = s.store.PutTOTP(ctx, TOTPRecord{UserID: u.ID, Secret: sealed, Status: totpPending, CreatedAt: s.now().UTC()})
	if errors.Is(err, ErrDuplicate) {
		return TOTPEnrolment{}, newError(KindConflict, CodeTOTPEnabled, "you have an authenticator app already; turn it off first to set up another")
	}
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("authenticator app: %w", err)
	}
	return TOTPEnrolment{Secret: b32, URI: totpURI(u.Phone, b32)}, nil
}

// totpURI is the otpauth:// URI authenticator apps read (Key Uri Format).
func totpURI(account, secret string) string {
	label := url.PathEscape(TOTPIssuer) + ":" + strings.ReplaceAll(url.PathEscape(account), "+", "%2B")
	q := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "algorithm": {"SHA1"}, "digits": {fmt.Sprint(TOTPDigits)},
		"period": {fmt.Sprint(int(TOTPStep / time.Second))}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// ConfirmTOTP turns the authenticator app on with its first code.
func (s *Service) ConfirmTOTP(ctx context.Context, u User, code string) error {
	t, err := s.store.TOTP(ctx, u.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && t.Status != totpPending) {
		return newError(KindConflict, CodeTOTPNotPending, "there is no authenticator app to confirm; set one up first")
	}
	if err != nil {
		return fmt.Errorf("authenticator app: %w", err)
	}
	step, err := s.checkTOTP(ctx, u, t, code)
	if err != nil {
		return err
	}
	if err := s.store.ActivateTOTP(ctx, u.ID, step, s.now().UTC()); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindConflict, CodeTOTPNotPending, "there is no authenticator app to confirm; set one up first")
		}
		return fmt.Errorf("authenticator app: %w", err)
	}
	s.audit(ctx, u.ID, "totp_enabled", u.ID, "")
	s.notify(u.ID, "totp_enabled", "Authenticator app on",
		"An authenticator app was set up for your account: logins from new devices now ask for its code. If this was not you, change your password.")
	return nil
}

// DisableTOTP turns the authenticator app off; the payment PIN or a code
// of the app confirms it.
func (s *Service) DisableTOTP(ctx context.Context, u User, pin, code string) error {
	t, err := s.store.TOTP(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		return newError(KindConflict, CodeTOTPNotEnabled, "you have no authenticator app")
	}
	if err != nil {
		return fmt.Errorf("authenticator app: %w", err)
	}
	switch {
	case t.Status != totpActive: // begun, not confirmed: nothing to protect
	case pin != "":
		if err := s.verifyPIN(ctx, u, pin); err != nil {
			return err
		}
	case code != "":
		if err := s.verifyTOTP(ctx, u, code); err != nil {
			return err
		}
	default:
		return newError(KindUnauthorized, CodePINRequired, "enter your payment PIN or a code of the authenticator app to turn it off")
	}
	if err := s.store.DeleteTOTP(ctx, u.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("authenticator app: %w", err)
	}
	if t.Status == totpActive {
		s.audit(ctx, u.ID, "totp_disabled", u.ID, "")
		s.notify(u.ID, "totp_disabled", "Authenticator app off",
			"The authenticator app of your account was turned off. If this was not you, change your password and payment PIN.")
	}
	return nil
}

// verifyTOTP checks a code of the user's active authenticator app and
// uses it.
func (s *Service) verifyTOTP(ctx context.Context, u User, code string) error {
	t, err := s.store.TOTP(ctx, u.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && t.Status != totpActive) {
		return newError(KindConflict, CodeTOTPNotEnabled, "you have no authenticator app")
	}
	if err != nil {
		return fmt.Errorf("authenticator app: %w", err)
	}
	step, err := s.checkTOTP(ctx, u, t, code)
	if err != nil {
		return err
	}
	if err := s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
		if errors.Is(err, ErrNotFound) { // another request used it meanwhile
			return errTOTPUsed
		}
		return fmt.Errorf("authenticator app: %w", err)
	}
	return nil
}

var errTOTPUsed = newError(KindUnauthorized, CodeTOTPUsed, "this code was used already; wait for the next one")

// checkTOTP verifies a code against a secret, within the throttle: it
// returns the code's time step, which must be newer than the last used.
func (s *Service) checkTOTP(ctx context.Context, u User, t TOTPRecord, code string) (int64, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, newError(KindInvalid, CodeTOTPInvalid, "the code has %d digits", TOTPDigits)
	}
	if ok, wait := s.totpFails.Allowed(u.ID); !ok {
		return 0, newError(KindLocked, CodeTooManyTOTP, "too many wrong codes; try again in %d minutes", int(wait/time.Minute)+1).
			with("retry_after_seconds", int(wait/time.Second)+1)
	}
	plain, err := s.vault.Open(t.Secret, totpAAD(u.ID))
	if err != nil {
		return 0, fmt.Errorf("authenticator app: %w", err)
	}
	secret, err := paycode.DecodeSecret(string(plain))
	clear(plain)
	if err != nil {
		return 0, fmt.Errorf("authenticator app: %w", err)
	}
	defer clear(secret)
	now := s.now()
	cur, err := paycode.Counter(now, TOTPStep)
	if err != nil {
		return 0, fmt.Errorf("authenticator app: %w", err)
	}
	used := false
	for d := int64(-totpSkewSteps); d <= totpSkewSteps; d++ {
		step := cur + d
		want, err := TOTPCode(secret, paycode.StepStart(step, TOTPStep))
		if err != nil {
			return 0, fmt.Errorf("authenticator app: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= t.LastStep {
			used = true
			continue
		}
		s.totpFails.Reset(u.ID)
		return step, nil
	}
	if used {
		return 0, errTOTPUsed
	}
	s.totpFails.Add(u.ID)
	s.audit(ctx, u.ID, "totp_failed", u.ID, "wrong authenticator code")
	return 0, newError(KindUnauthorized, CodeTOTPInvalid, "the code is wrong; check the time on your phone")
}

// confirmWithTOTP checks an authenticator code given in place of the PIN
// for a payment: only a payment risk control challenges takes one.
func (s *Service) confirmWithTOTP(ctx context.Context, u User, ev risk.Event, code string) error {
	ev.Strong = false
	if d := s.risk.Assess(ctx, ev); d.Action != risk.Challenge {
		return newError(KindInvalid, CodeTOTPNotNeeded, "an authenticator code confirms only payments risk control asks you to confirm; enter your payment PIN")
	}
	if now := s.now(); now.Before(u.PINLockedUntil) {
		return newError(KindLocked, CodePINLocked, "payments are locked after too many wrong PINs, also with an authenticator code").
			with("locked_until", u.PINLockedUntil)
	}
	return s.verifyTOTP(ctx, u, code)
}
