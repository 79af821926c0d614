package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SetPIN sets or changes the payment PIN; the login password proves it is
// the user.
func (s *Service) SetPIN(ctx context.Context, u User, password, pin string) error {
	if !checkSecret(password, u.PasswordHash) {
		return newError(KindUnauthorized, CodeInvalidCredentials, "the login password is wrong")
	}
	if e := checkPINFormat(pin); e != nil {
		return e
	}
	hash, err := hashSecret(pepper(s.pinKey, pin), s.cfg.PINParams)
	if err != nil {
		return fmt.Errorf("set pin: %w", err)
	}
	if err := s.store.SetPIN(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("set pin: %w", err)
	}
	s.cache.forgetSessions()
	s.audit(ctx, u.ID, "pin_set", u.ID, "")
	return nil
}

// verifyPIN checks a payment PIN. Wrong PINs count; after PINMaxTries in
// a row the PIN locks for PINLockFor. Every error says what is left.
func (s *Service) verifyPIN(ctx context.Context, u User, pin string) error {
	u, err := s.store.UserByID(ctx, u.ID) // as stored, not as cached
	if err != nil {
		return fmt.Errorf("verify pin: %w", err)
	}
	if u.PINHash == "" {
		return newError(KindConflict, CodePINNotSet, "set a payment PIN first (PUT /v1/me/pin)")
	}
	now := s.now()
	if now.Before(u.PINLockedUntil) {
		return newError(KindLocked, CodePINLocked, "the payment PIN is locked after too many wrong tries; try again after %s",
			u.PINLockedUntil.In(s.cfg.Day).Format("2006-01-02 15:04 MST")).with("locked_until", u.PINLockedUntil)
	}
	if checkSecret(pepper(s.pinKey, pin), u.PINHash) {
		if u.PINFailures > 0 {
			if err := s.store.PINSucceeded(ctx, u.ID); err != nil {
				return fmt.Errorf("verify pin: %w", err)
			}
		}
		return nil
	}
	s.cache.forgetSessions()
	n, err := s.store.PINFailed(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("verify pin: %w", err)
	}
	if n >= s.cfg.PINMaxTries {
		until := now.Add(s.cfg.PINLockFor).UTC()
		if err := s.store.LockPIN(ctx, u.ID, until); err != nil {
			return fmt.Errorf("verify pin: %w", err)
		}
		s.audit(ctx, u.ID, "pin_locked", u.ID, fmt.Sprintf("%d wrong PINs; locked until %s", n, until.Format(time.RFC3339)))
		s.notify(u.ID, "pin_locked", "Payment PIN locked",
			fmt.Sprintf("Your payment PIN was entered wrongly %d times and is locked until %s. If this was not you, change your password.",
				n, until.In(s.cfg.Day).Format("2006-01-02 15:04 MST")))
		return newError(KindLocked, CodePINLocked, "wrong payment PIN; it is now locked for %s", s.cfg.PINLockFor).
			with("locked_until", until).with("remaining_tries", 0)
	}
	left := s.cfg.PINMaxTries - n
	return newError(KindUnauthorized, CodePINIncorrect, "wrong payment PIN; %d tries left before it locks", left).
		with("remaining_tries", left)
}

// SetNoPIN enables (or with zeros disables) password-free small payments
// in CNY: a payment of at most perTx, while the day's password-free total
// stays within daily, needs no PIN. The login password proves it is the
// user. A change starts the day's password-free allowance afresh.
func (s *Service) SetNoPIN(ctx context.Context, u User, password string, perTx, daily int64) error {
	if !checkSecret(password, u.PasswordHash) {
		return newError(KindUnauthorized, CodeInvalidCredentials, "the login password is wrong")
	}
	maxTx, maxDay := s.cfg.NoPINMaxPerTx["CNY"], s.cfg.NoPINMaxDaily["CNY"]
	switch {
	case perTx < 0 || daily < 0:
		return newError(KindInvalid, CodeInvalidLimits, "limits must not be negative")
	case perTx > maxTx || daily > maxDay:
		return newError(KindInvalid, CodeInvalidLimits, "password-free payments may be at most %s per payment and %s a day",
			formatCNY(maxTx), formatCNY(maxDay))
	case perTx > daily:
		return newError(KindInvalid, CodeInvalidLimits, "the per-payment limit must not exceed the daily limit")
	}
	if err := s.store.SetNoPIN(ctx, u.ID, perTx, daily); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "no such user")
		}
		return fmt.Errorf("set password-free limits: %w", err)
	}
	s.cache.forgetSessions()
	s.audit(ctx, u.ID, "password_free_set", u.ID, fmt.Sprintf("per payment %d, daily %d (CNY minor units)", perTx, daily))
	return nil
}
