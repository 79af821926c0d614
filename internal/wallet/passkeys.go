package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Passkeys (指纹/面容支付) are WebAuthn credentials: the phone's
// fingerprint or face unlocks a key that never leaves it, and the key
// signs a challenge from the server. A user registers passkeys, logs in
// with one, and confirms a payment with one instead of the payment PIN.
// A payment's challenge is derived from the payment (its id, amount,
// currency and payee) and a server-stored nonce, so an assertion confirms
// that payment and no other; challenges are single use and live
// PasskeyChallengeTTL. See docs/passkeys.md.

// Codes of passkey errors.
const (
	CodePasskeyInvalid     = "passkey_invalid"      // the assertion or attestation does not verify
	CodePasskeyChallenge   = "passkey_challenge"    // unknown or expired challenge: begin again
	CodePasskeyReplayed    = "passkey_replayed"     // the challenge was used: a replayed assertion
	CodePasskeyMismatch    = "passkey_mismatch"     // the assertion confirms another payment
	CodePasskeySignCount   = "passkey_sign_count"   // the authenticator's counter went back: a cloned key?
	CodePasskeyNone        = "passkey_none"         // the user has no passkey
	CodePasskeysOff        = "passkeys_unavailable" // the server has no relying party configured
	CodeInvalidPasskeyName = "invalid_passkey_name"
)

// PasskeyChallengeTTL is how long a ceremony's challenge may be answered.
const PasskeyChallengeTTL = 2 * time.Minute

// Purposes of a passkey challenge.
const (
	passkeyRegister = "register"
	passkeyLogin    = "login"
	passkeyPay      = "pay"
)

const maxPasskeysPerUser = 10

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID              string // the credential id, base64url
	UserID          string
	PublicKey       []byte // COSE
	SignCount       int64
	Transports      []string
	AAGUID          string
	Flags           uint8
	AttestationType string
	Name            string
	CreatedAt       time.Time
	LastUsedAt      time.Time
}

// PasskeyChallenge is a ceremony begun and not yet finished.
type PasskeyChallenge struct {
	Challenge   string // base64url, as in clientDataJSON
	Purpose     string // register, login, pay
	UserID      string // "" for a discoverable login
	SessionID   string // the session that began it (register, pay)
	Binding     string // pay: the payment, canonically
	Nonce       string // pay: base64url
	SessionData string // webauthn.SessionData, JSON
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time
}

// PasskeyStore keeps passkeys and their challenges.
type PasskeyStore interface {
	// CreatePasskey: ErrDuplicate if the credential id exists.
	CreatePasskey(ctx context.Context, p Passkey) error
	Passkeys(ctx context.Context, userID string) ([]Passkey, error)
	PasskeyByID(ctx context.Context, id string) (Passkey, error)
	DeletePasskey(ctx context.Context, userID, id string) error
	// UsePasskey records a use: the new signature counter, if it is above
	// the stored one (or both are 0: an authenticator that does not
	// count), and the time. ErrNotFound otherwise.
	UsePasskey(ctx context.Context, id string, signCount int64, at time.Time) error
	// CreatePasskeyChallenge stores a challenge, and deletes those expired
	// before c.CreatedAt minus an hour.
	CreatePasskeyChallenge(ctx context.Context, c PasskeyChallenge) error
	// UsePasskeyChallenge marks an unused challenge of a purpose used and
	// returns it (a compare-and-set: one caller wins); ErrNotFound if there
	// is no such unused challenge.
	UsePasskeyChallenge(ctx context.Context, challenge, purpose string, at time.Time) (PasskeyChallenge, error)
	// PasskeyChallengeUsed reports whether a challenge exists and was used.
	PasskeyChallengeUsed(ctx context.Context, challenge string) (bool, error)
}

// relyingParty derives the WebAuthn relying party from the public URL:
// the RP id is its host name, the one origin its scheme, host and port.
func relyingParty(publicURL string) (*webauthn.WebAuthn, error) {
	if publicURL == "" {
		publicURL = "http://localhost:8080"
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("wallet: public URL %q: want http(s)://host[:port]", publicURL)
	}
	return webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: "ShiLianTong 世链通", RPOrigins: []string{u.Scheme + "://" + u.Host},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		},
	})
}

// webauthnUser is a user as the WebAuthn library sees them; the user
// handle is the user id.
type webauthnUser struct {
	u     User
	creds []webauthn.Credential
}

func (w *webauthnUser) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w *webauthnUser) WebAuthnName() string                       { return w.u.Phone }
func (w *webauthnUser) WebAuthnDisplayName() string                { return w.u.Name }
func (w *webauthnUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

func (p Passkey) credential() webauthn.Credential {
	id, _ := base64.RawURLEncoding.DecodeString(p.ID)
	c := webauthn.Credential{ID: id, PublicKey: p.PublicKey, AttestationType: p.AttestationType,
		Flags:         webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(p.Flags)),
		Authenticator: webauthn.Authenticator{SignCount: uint32(p.SignCount)}}
	if a, err := uuid.Parse(p.AAGUID); err == nil {
		c.Authenticator.AAGUID = a[:]
	}
	for _, t := range p.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

func (s *Service) webauthnUser(ctx context.Context, u User) (*webauthnUser, []Passkey, error) {
	pks, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("passkeys: %w", err)
	}
	w := &webauthnUser{u: u}
	for _, p := range pks {
		w.creds = append(w.creds, p.credential())
	}
	return w, pks, nil
}

func (s *Service) passkeysOn() error {
	if s.rp == nil {
		return newError(KindConflict, CodePasskeysOff, "passkeys are not available on this server")
	}
	return nil
}

// saveChallenge stores a ceremony's challenge with its session data.
func (s *Service) saveChallenge(ctx context.Context, c PasskeyChallenge, sd *webauthn.SessionData) (time.Time, error) {
	raw, err := json.Marshal(sd)
	if err != nil {
		return time.Time{}, fmt.Errorf("passkey challenge: %w", err)
	}
	now := s.now().UTC()
	c.Challenge, c.SessionData, c.CreatedAt, c.ExpiresAt = sd.Challenge, string(raw), now, now.Add(PasskeyChallengeTTL)
	if err := s.store.CreatePasskeyChallenge(ctx, c); err != nil {
		return time.Time{}, fmt.Errorf("passkey challenge: %w", err)
	}
	return c.ExpiresAt, nil
}

// takeChallenge uses the challenge a response answers: once, before it
// expires, for its purpose.
func (s *Service) takeChallenge(ctx context.Context, challenge, purpose string) (PasskeyChallenge, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	c, err := s.store.UsePasskeyChallenge(ctx, challenge, purpose, s.now().UTC())
	if errors.Is(err, ErrNotFound) {
		if used, uerr := s.store.PasskeyChallengeUsed(ctx, challenge); uerr == nil && used {
			return c, sd, newError(KindUnauthorized, CodePasskeyReplayed, "this passkey confirmation was used already; a replayed confirmation is refused")
		}
		return c, sd, newError(KindUnauthorized, CodePasskeyChallenge, "unknown passkey challenge; begin again")
	}
	if err != nil {
		return c, sd, fmt.Errorf("passkey challenge: %w", err)
	}
	if !s.now().Before(c.ExpiresAt) {
		return c, sd, newError(KindUnauthorized, CodePasskeyChallenge, "the passkey challenge expired (it lasts %s); begin again", PasskeyChallengeTTL)
	}
	if err := json.Unmarshal([]byte(c.SessionData), &sd); err != nil {
		return c, sd, fmt.Errorf("passkey challenge: %w", err)
	}
	return c, sd, nil
}

func passkeyInvalid(err error) error {
	msg := "the passkey response does not verify"
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		msg += ": " + clipString(pe.Details, 200)
	}
	return newError(KindUnauthorized, CodePasskeyInvalid, "%s", msg)
}

// usePasskey records a verified assertion's counter: an authenticator
// that counts must count up, or it may be a clone.
func (s *Service) usePasskey(ctx context.Context, cred *webauthn.Credential, counter uint32) error {
	if cred.Authenticator.CloneWarning {
		return newError(KindUnauthorized, CodePasskeySignCount, "this passkey's signature counter went back; it may have been copied, so it is refused")
	}
	id := base64.RawURLEncoding.EncodeToString(cred.ID)
	err := s.store.UsePasskey(ctx, id, int64(counter), s.now().UTC())
	if errors.Is(err, ErrNotFound) {
		return newError(KindUnauthorized, CodePasskeySignCount, "this passkey's signature counter did not increase; it may have been copied, so it is refused")
	}
	return err
}

// PasskeyOptions are a ceremony's options for navigator.credentials
// ({"publicKey": …}) and when its challenge expires.
type PasskeyOptions struct {
	Options   json.RawMessage
	ExpiresAt time.Time
}

func options(v any, exp time.Time) (PasskeyOptions, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return PasskeyOptions{Options: raw, ExpiresAt: exp}, nil
}

// BeginPasskeyRegistration starts adding a passkey for the user of a
// session.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u User, sessionID string) (PasskeyOptions, error) {
	if err := s.passkeysOn(); err != nil {
		return PasskeyOptions{}, err
	}
	wu, pks, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(pks) >= maxPasskeysPerUser {
		return PasskeyOptions{}, newError(KindConflict, CodeLimitExceeded, "you have %d passkeys, the most allowed; remove one first", len(pks))
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range wu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := s.rp.BeginRegistration(wu, webauthn.WithExclusions(exclude))
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("begin passkey registration: %w", err)
	}
	exp, err := s.saveChallenge(ctx, PasskeyChallenge{Purpose: passkeyRegister, UserID: u.ID, SessionID: sessionID}, sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return options(creation, exp)
}

// FinishPasskeyRegistration verifies the authenticator's answer (attestation
// "none" is enough: a passkey proves possession, not a make) and keeps
// the passkey under a name the user chose.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u User, sessionID string, response []byte, name string) (Passkey, error) {
	if err := s.passkeysOn(); err != nil {
		return Passkey{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey " + s.now().In(s.cfg.Day).Format("2006-01-02")
	}
	if n, err := checkNote(name); err != nil || n == "" {
		return Passkey{}, newError(KindInvalid, CodeInvalidPasskeyName, "the passkey's name must have 1 to %d characters", maxNoteRunes)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, passkeyInvalid(err)
	}
	c, sd, err := s.takeChallenge(ctx, parsed.Response.CollectedClientData.Challenge, passkeyRegister)
	if err != nil {
		return Passkey{}, err
	}
	if c.UserID != u.ID || c.SessionID != sessionID {
		return Passkey{}, newError(KindUnauthorized, CodePasskeyChallenge, "this passkey challenge was given to another session; begin again")
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return Passkey{}, err
	}
	cred, err := s.rp.CreateCredential(wu, sd, parsed)
	if err != nil {
		return Passkey{}, passkeyInvalid(err)
	}
	p := Passkey{ID: base64.RawURLEncoding.EncodeToString(cred.ID), UserID: u.ID, PublicKey: cred.PublicKey,
		SignCount: int64(cred.Authenticator.SignCount), Flags: uint8(cred.Flags.ProtocolValue()), AttestationType: cred.AttestationType,
		Name: name, CreatedAt: s.now().UTC()}
	if a, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil {
		p.AAGUID = a.String()
	}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	if err := s.store.CreatePasskey(ctx, p); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Passkey{}, newError(KindConflict, CodeWalletExists, "this passkey is registered already")
		}
		return Passkey{}, fmt.Errorf("add passkey: %w", err)
	}
	s.audit(ctx, u.ID, "passkey_added", u.ID, fmt.Sprintf("passkey %s (%s)", p.ID, p.Name))
	s.notify(u.ID, "passkey_added", "Passkey added",
		fmt.Sprintf("A passkey (%s) was added to your account: it can log in and confirm payments. If this was not you, remove it and change your password.", p.Name))
	return p, nil
}

// Passkeys lists the user's passkeys.
func (s *Service) Passkeys(ctx context.Context, u User) ([]Passkey, error) {
	pks, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return pks, nil
}

// RemovePasskey removes one of the user's passkeys.
func (s *Service) RemovePasskey(ctx context.Context, u User, id string) error {
	err := s.store.DeletePasskey(ctx, u.ID, id)
	if errors.Is(err, ErrNotFound) {
		return newError(KindNotFound, CodeNotFound, "you have no such passkey")
	}
	if err != nil {
		return fmt.Errorf("remove passkey: %w", err)
	}
	s.audit(ctx, u.ID, "passkey_removed", u.ID, "passkey "+id)
	return nil
}

// BeginPasskeyLogin starts a login with a passkey: with a mobile number
// the user's passkeys are allowed, without one any discoverable passkey
// of this site. An unknown number gets the same answer as a number
// without passkeys (a discoverable login), so that it does not tell
// which numbers are registered.
func (s *Service) BeginPasskeyLogin(ctx context.Context, phone string) (PasskeyOptions, error) {
	if err := s.passkeysOn(); err != nil {
		return PasskeyOptions{}, err
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *webauthn.SessionData
		err       error
		userID    string
	)
	if p, perr := NormalizePhone(phone); perr == nil && phone != "" {
		if u, uerr := s.store.UserByPhone(ctx, p); uerr == nil {
			if wu, _, werr := s.webauthnUser(ctx, u); werr == nil && len(wu.creds) > 0 {
				assertion, sd, err = s.rp.BeginLogin(wu)
				userID = u.ID
			}
		}
	}
	if assertion == nil && err == nil {
		assertion, sd, err = s.rp.BeginDiscoverableLogin()
	}
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("begin passkey login: %w", err)
	}
	exp, err := s.saveChallenge(ctx, PasskeyChallenge{Purpose: passkeyLogin, UserID: userID}, sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return options(assertion, exp)
}

// FinishPasskeyLogin verifies the assertion and opens a session, as Login
// does.
func (s *Service) FinishPasskeyLogin(ctx context.Context, response []byte, device DeviceHint) (LoginResult, error) {
	token, sess, err := s.finishPasskeyLogin(ctx, response, device)
	return LoginResult{Token: token, Session: sess.Session, Device: sess.Device, DeviceToken: sess.DeviceToken}, err
}

func (s *Service) finishPasskeyLogin(ctx context.Context, response []byte, device DeviceHint) (token string, sess LoginResult, err error) {
	client := device.Client
	if err := s.passkeysOn(); err != nil {
		return "", LoginResult{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return "", LoginResult{}, passkeyInvalid(err)
	}
	_, sd, err := s.takeChallenge(ctx, parsed.Response.CollectedClientData.Challenge, passkeyLogin)
	if err != nil {
		return "", LoginResult{}, err
	}
	pk, err := s.store.PasskeyByID(ctx, base64.RawURLEncoding.EncodeToString(parsed.RawID))
	if errors.Is(err, ErrNotFound) {
		return "", LoginResult{}, newError(KindUnauthorized, CodePasskeyInvalid, "this passkey is not registered (it may have been removed)")
	}
	if err != nil {
		return "", LoginResult{}, fmt.Errorf("passkey login: %w", err)
	}
	u, err := s.store.UserByID(ctx, pk.UserID)
	if err != nil {
		return "", LoginResult{}, fmt.Errorf("passkey login: %w", err)
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return "", LoginResult{}, err
	}
	var cred *webauthn.Credential
	if len(sd.UserID) > 0 {
		cred, err = s.rp.ValidateLogin(wu, sd, parsed)
	} else {
		cred, err = s.rp.ValidateDiscoverableLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, wu.WebAuthnID()) {
				return nil, errors.New("the user handle is not the passkey's user")
			}
			return wu, nil
		}, sd, parsed)
	}
	if err != nil {
		s.audit(ctx, "", "login_failed", u.ID, "passkey does not verify")
		s.loginEvent(ctx, u.ID, LoginFailed, "passkey", "", client)
		return "", LoginResult{}, passkeyInvalid(err)
	}
	if err := s.usePasskey(ctx, cred, parsed.Response.AuthenticatorData.Counter); err != nil {
		s.audit(ctx, "", "login_failed", u.ID, "passkey counter did not increase")
		s.loginEvent(ctx, u.ID, LoginFailed, "passkey", "", client)
		return "", LoginResult{}, err
	}
	// A passkey is more than a password: its device is trusted.
	d, dtoken, fresh, err := s.deviceFor(ctx, u, device)
	if err != nil {
		return "", LoginResult{}, err
	}
	res, err := s.openOnDevice(ctx, u, d, dtoken, fresh, client, "passkey "+pk.ID, LoginSucceeded)
	return res.Token, res, err
}

// PaymentToConfirm names the payment a passkey is to confirm: a transfer,
// a scanned merchant code, or a till's order waiting for the payer
// (exactly one).
type PaymentToConfirm struct {
	Transfer *P2PRequest
	Scan     *ScanPayment
	OrderID  string
}

// BeginPasskeyPayment returns the options to confirm one payment with a
// passkey: the challenge is SHA-256 over the payment's canonical form and
// a nonce the server keeps, so the signature covers that payment.
func (s *Service) BeginPasskeyPayment(ctx context.Context, u User, sessionID string, p PaymentToConfirm) (PasskeyOptions, error) {
	if err := s.passkeysOn(); err != nil {
		return PasskeyOptions{}, err
	}
	binding, err := s.paymentBinding(ctx, u, p)
	if err != nil {
		return PasskeyOptions{}, err
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(wu.creds) == 0 {
		return PasskeyOptions{}, newError(KindConflict, CodePasskeyNone, "you have no passkey; add one in settings, or pay with the PIN")
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return PasskeyOptions{}, err
	}
	n64 := base64.RawURLEncoding.EncodeToString(nonce)
	assertion, sd, err := s.rp.BeginLogin(wu, webauthn.WithChallenge(paymentChallenge(binding, n64)))
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("begin passkey payment: %w", err)
	}
	exp, err := s.saveChallenge(ctx, PasskeyChallenge{Purpose: passkeyPay, UserID: u.ID, SessionID: sessionID, Binding: binding, Nonce: n64}, sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return options(assertion, exp)
}

// paymentChallenge is the challenge of a payment: a hash of what it binds.
func paymentChallenge(binding, nonce string) []byte {
	h := sha256.New()
	h.Write([]byte("shiliantong/passkey-payment/v1\n"))
	h.Write([]byte(binding))
	h.Write([]byte("\nnonce=" + nonce))
	return h.Sum(nil)
}

// p2pBinding is a transfer's canonical form: the payer, the payee, the
// amount, the note and the transfer's id (derived from the Idempotency-Key;
// "new" without one).
func p2pBinding(payer, payee string, amount int64, cur, note, key string) string {
	id := "new"
	if key != "" {
		id = operationID("p2p", payer, key).String()
	}
	return strings.Join([]string{"p2p", "payer=" + payer, "payee=user:" + payee, "id=" + id,
		"amount=" + strconv.FormatInt(amount, 10), "currency=" + cur, "note=" + hex.EncodeToString([]byte(note))}, "\n")
}

// orderBinding is a merchant payment's canonical form: the order is named
// by the merchant and its out_trade_no (what a retry pays again).
func orderBinding(payer, merchantID, outTradeNo string, amount int64, cur string) string {
	return strings.Join([]string{"order", "payer=" + payer, "payee=merchant:" + merchantID, "id=" + outTradeNo,
		"amount=" + strconv.FormatInt(amount, 10), "currency=" + cur}, "\n")
}

// staticOrderNo is the out_trade_no of a store-code payment (see
// orderToPay).
func staticOrderNo(payerID, key string) string {
	return "w" + strings.ReplaceAll(operationID("static-pay", payerID, key).String(), "-", "")[:31]
}

func (s *Service) paymentBinding(ctx context.Context, u User, p PaymentToConfirm) (string, error) {
	n := 0
	for _, set := range []bool{p.Transfer != nil, p.Scan != nil, p.OrderID != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", newError(KindInvalid, CodeInvalidAmount, "name exactly one payment: a transfer, a scanned code, or an order to confirm")
	}
	switch {
	case p.Transfer != nil:
		r := p.Transfer
		if err := s.checkAmount(r.Amount, r.Currency); err != nil {
			return "", err
		}
		note, err := checkNote(r.Note)
		if err != nil {
			return "", err
		}
		payee, _, err := s.resolvePayeeCode(ctx, r.To)
		if err != nil {
			return "", err
		}
		return p2pBinding(u.ID, payee.ID, r.Amount, r.Currency, note, r.IdempotencyKey), nil
	case p.Scan != nil:
		sc, err := s.Scan(ctx, p.Scan.Payload)
		if err != nil {
			return "", err
		}
		if sc.Order != nil {
			if p.Scan.Amount != 0 && p.Scan.Amount != sc.Order.Amount {
				return "", newError(KindInvalid, CodeInvalidAmount, "this order is for %s", formatCNY(sc.Order.Amount))
			}
			return orderBinding(u.ID, sc.Merchant.ID, sc.Order.OutTradeNo, sc.Order.Amount, "CNY"), nil
		}
		if p.Scan.Amount <= 0 {
			return "", newError(KindInvalid, CodeInvalidAmount, "enter the amount to pay")
		}
		return orderBinding(u.ID, sc.Merchant.ID, staticOrderNo(u.ID, p.Scan.IdempotencyKey), p.Scan.Amount, "CNY"), nil
	default:
		o, err := s.store.MerchantOrderByID(ctx, p.OrderID)
		if err != nil || o.PayerID != u.ID {
			return "", newError(KindNotFound, CodeNotFound, "you have no such payment to confirm")
		}
		if o.Status != OrderUserPaying {
			return "", newError(KindConflict, CodeOrderNotPayable, "this payment is %s", strings.ToLower(o.Status))
		}
		return orderBinding(u.ID, o.MerchantID, o.OutTradeNo, o.Amount, o.Currency), nil
	}
}

// verifyPaymentPasskey checks a passkey assertion in place of the PIN: it
// uses its challenge (once), checks that the challenge was derived from
// this payment, verifies the signature, origin and user verification,
// and that the counter went up.
func (s *Service) verifyPaymentPasskey(ctx context.Context, u User, response []byte, binding string) error {
	if err := s.passkeysOn(); err != nil {
		return err
	}
	if now := s.now(); now.Before(u.PINLockedUntil) {
		return newError(KindLocked, CodePINLocked, "payments are locked after too many wrong PINs, also with a passkey").
			with("locked_until", u.PINLockedUntil)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return passkeyInvalid(err)
	}
	challenge := parsed.Response.CollectedClientData.Challenge
	c, sd, err := s.takeChallenge(ctx, challenge, passkeyPay)
	if err != nil {
		return err
	}
	if c.UserID != u.ID {
		return newError(KindUnauthorized, CodePasskeyChallenge, "this passkey challenge was given to someone else; begin again")
	}
	want := base64.RawURLEncoding.EncodeToString(paymentChallenge(binding, c.Nonce))
	if c.Binding != binding || subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
		return newError(KindUnauthorized, CodePasskeyMismatch, "this passkey confirmation is for another payment (payee, amount or id differ); begin again for this one")
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return err
	}
	cred, err := s.rp.ValidateLogin(wu, sd, parsed)
	if err != nil {
		return passkeyInvalid(err)
	}
	return s.usePasskey(ctx, cred, parsed.Response.AuthenticatorData.Counter)
}

// openSession opens a session for a user who proved who they are; method
// says how, for the audit trail.
func (s *Service) openSession(ctx context.Context, u User, client, method, deviceID string) (string, Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("login: %w", err)
	}
	token := "slt_" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC()
	sess := Session{ID: ledger.NewID().String(), UserID: u.ID, TokenHash: tokenHash(token),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), Client: clipString(client, 200), DeviceID: deviceID}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, fmt.Errorf("login: %w", err)
	}
	details := "session " + sess.ID + "; device " + deviceID
	if method != "" {
		details += "; method " + method
	}
	s.audit(ctx, u.ID, "login", u.ID, details)
	return token, sess, nil
}

// passkeyStepUp is the purpose of a step-up's passkey challenge.
const passkeyStepUp = "step_up"

// BeginStepUpPasskey returns the options to answer a step-up (a login
// from a new device) with one of the user's passkeys.
func (s *Service) BeginStepUpPasskey(ctx context.Context, token string) (PasskeyOptions, error) {
	if err := s.passkeysOn(); err != nil {
		return PasskeyOptions{}, err
	}
	st, u, _, err := s.stepUp(ctx, token)
	if err != nil {
		return PasskeyOptions{}, err
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return PasskeyOptions{}, err
	}
	if len(wu.creds) == 0 {
		return PasskeyOptions{}, newError(KindConflict, CodeStepUpNoPasskeys, "you have no passkey; use the code of your authenticator app")
	}
	assertion, sd, err := s.rp.BeginLogin(wu)
	if err != nil {
		return PasskeyOptions{}, fmt.Errorf("begin passkey step-up: %w", err)
	}
	exp, err := s.saveChallenge(ctx, PasskeyChallenge{Purpose: passkeyStepUp, UserID: u.ID, SessionID: st.ID}, sd)
	if err != nil {
		return PasskeyOptions{}, err
	}
	return options(assertion, exp)
}

// verifyStepUpPasskey checks a passkey assertion answering a step-up's
// challenge: once, for that step-up, by the user's passkey, its counter
// going up.
func (s *Service) verifyStepUpPasskey(ctx context.Context, u User, st StepUp, response []byte) error {
	if err := s.passkeysOn(); err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return passkeyInvalid(err)
	}
	c, sd, err := s.takeChallenge(ctx, parsed.Response.CollectedClientData.Challenge, passkeyStepUp)
	if err != nil {
		return err
	}
	if c.UserID != u.ID || c.SessionID != st.ID {
		return newError(KindUnauthorized, CodePasskeyChallenge, "this passkey challenge was given for another login; begin again")
	}
	wu, _, err := s.webauthnUser(ctx, u)
	if err != nil {
		return err
	}
	cred, err := s.rp.ValidateLogin(wu, sd, parsed)
	if err != nil {
		return passkeyInvalid(err)
	}
	return s.usePasskey(ctx, cred, parsed.Response.AuthenticatorData.Counter)
}
