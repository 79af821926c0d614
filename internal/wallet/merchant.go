package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// Merchants: a verified user applies, an operator approves (which opens
// the merchant's ledger account), the owner makes API keys, and the
// merchant's server signs every request with one (see SignatureBase).

// Codes of merchant errors.
const (
	CodeInvalidMerchant    = "invalid_merchant"
	CodeMerchantNotActive  = "merchant_not_active"
	CodeSignatureInvalid   = "signature_invalid"
	CodeSignatureExpired   = "signature_expired"
	CodeNonceReused        = "nonce_reused"
	CodeOutTradeNoReused   = "out_trade_no_reused"
	CodeOrderNotPayable    = "order_not_payable"
	CodeOrderPaid          = "order_paid"
	CodeQRNotSupported     = "qr_not_supported"
	CodeInvalidOutTradeNo  = "invalid_out_trade_no"
	CodeInvalidDescription = "invalid_description"
)

// Ledger codes of merchant money.
const (
	AccountMerchant     uint16 = 20 // a merchant's balance
	TransferPayment     uint16 = 5  // a payer pays a merchant
	TransferMerchantFee uint16 = 6  // the merchant's fee for a payment
	TransferRefund      uint16 = 7  // a merchant pays a payer back
	TransferSettlement  uint16 = 8  // a merchant's balance paid out to its bank
)

// Merchant limits.
const (
	DefaultFeeBPS      = 60                 // 0.6 %, the usual rate for small merchants in China
	SignatureMaxAge    = 5 * time.Minute    // requests signed longer ago (or ahead) are refused
	maxOrderAmount     = 1_000_000_000_000  // minor units; keeps amount × fee rate far from overflow
	defaultOrderExpiry = 2 * time.Hour      // as WeChat Pay
	maxOrderExpiry     = 7 * 24 * time.Hour // beyond it, a new order
	claimFor           = time.Minute        // a payer's claim on an order (USERPAYING) lapses after this
	merchantKeyPrefix  = "sk_live_"
)

// MerchantApplication is what a user gives to become a merchant.
type MerchantApplication struct {
	Name, DisplayName, MCC, Country, City string
}

func checkMerchant(a MerchantApplication) (MerchantApplication, error) {
	bad := func(format string, args ...any) error {
		return newError(KindInvalid, CodeInvalidMerchant, format, args...)
	}
	a.Name, a.DisplayName, a.City = strings.TrimSpace(a.Name), strings.TrimSpace(a.DisplayName), strings.TrimSpace(a.City)
	switch {
	case a.Name == "" || utf8.RuneCountInString(a.Name) > 64:
		return a, bad("the business name must have 1 to 64 characters")
	case a.DisplayName == "" || utf8.RuneCountInString(a.DisplayName) > 25:
		return a, bad("the display name (on QR codes) must have 1 to 25 characters")
	case a.City == "" || utf8.RuneCountInString(a.City) > 15:
		return a, bad("the city must have 1 to 15 characters")
	case len(a.MCC) != 4 || strings.Trim(a.MCC, "0123456789") != "":
		return a, bad("the merchant category code (ISO 18245) is four digits")
	case len(a.Country) != 2 || strings.Trim(a.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "":
		return a, bad("the country is two capital letters (ISO 3166-1)")
	}
	return a, nil
}

// ApplyMerchant makes the user the owner of a new merchant, pending an
// operator's approval. Only users with a verified real name may.
func (s *Service) ApplyMerchant(ctx context.Context, owner User, a MerchantApplication) (Merchant, error) {
	if owner.Tier < Tier1 {
		return Merchant{}, newError(KindForbidden, CodeVerifyIdentity, "verify your real name before opening a merchant")
	}
	a, err := checkMerchant(a)
	if err != nil {
		return Merchant{}, err
	}
	m := Merchant{ID: ledger.NewID().String(), OwnerID: owner.ID, Name: a.Name, DisplayName: a.DisplayName, MCC: a.MCC,
		Country: a.Country, City: a.City, FeeBPS: DefaultFeeBPS, Status: "pending", CreatedAt: s.now().UTC()}
	if err := s.store.CreateMerchant(ctx, m); err != nil {
		return Merchant{}, fmt.Errorf("apply merchant: %w", err)
	}
	if _, err := s.screen(ctx, "merchant", m.ID, m.Name, "merchant application", m.Name, m.DisplayName); err != nil {
		s.log.Warn("screening failed", "merchant", m.ID, "err", err) // approval screens again
	}
	return m, nil
}

// merchantAccount is the ledger account of a merchant.
func merchantAccount(merchantID string) ledger.ID {
	return ledger.NameID("wallet/merchant-account", merchantID)
}

// ApproveMerchant (an operator) lets a merchant take money: its CNY
// ledger account is opened.
func (s *Service) ApproveMerchant(ctx context.Context, id string) (Merchant, error) {
	m, err := s.merchant(ctx, id)
	if err != nil {
		return Merchant{}, err
	}
	if m.Status == "pending" {
		if err := s.checkMerchantScreening(ctx, m); err != nil {
			return Merchant{}, err
		}
	}
	acct := merchantAccount(m.ID)
	res, err := s.ledger.CreateAccounts(ctx, []ledger.Account{{ID: acct, Currency: "CNY", Code: AccountMerchant,
		Flags: ledger.DebitsMustNotExceedCredits, Owner: "merchant:" + m.ID}})
	if err != nil {
		return Merchant{}, fmt.Errorf("approve merchant: %w", err)
	}
	if !res[0].OK() {
		return Merchant{}, fmt.Errorf("approve merchant: %s", res[0])
	}
	if err := s.store.ApproveMerchant(ctx, m.ID, acct.String()); err != nil && !errors.Is(err, ErrNotFound) {
		return Merchant{}, fmt.Errorf("approve merchant: %w", err)
	} else if err == nil {
		s.audit(ctx, "", "merchant_approved", "merchant:"+m.ID, m.DisplayName)
	}
	s.cache.forgetMerchants()
	return s.merchant(ctx, id)
}

func (s *Service) merchant(ctx context.Context, id string) (Merchant, error) {
	m, err := s.cache.merchants.get(ctx, id, func() (Merchant, error) { return s.store.MerchantByID(ctx, id) })
	if errors.Is(err, ErrNotFound) {
		return Merchant{}, newError(KindNotFound, CodeNotFound, "no such merchant")
	}
	return m, err
}

// ownMerchant returns a merchant the user owns.
func (s *Service) ownMerchant(ctx context.Context, u User, id string) (Merchant, error) {
	m, err := s.merchant(ctx, id)
	if err != nil {
		return Merchant{}, err
	}
	if m.OwnerID != u.ID {
		return Merchant{}, newError(KindNotFound, CodeNotFound, "no such merchant")
	}
	return m, nil
}

// NewMerchantKey makes an API key for an approved merchant. Without a
// public key it is an HMAC key whose secret is returned once and kept
// sealed; with an Ed25519 public key (base64, 32 bytes) the merchant signs
// with its private key, which never leaves it, and no secret is returned.
func (s *Service) NewMerchantKey(ctx context.Context, owner User, merchantID, ed25519Public string) (keyID, secret string, err error) {
	m, err := s.ownMerchant(ctx, owner, merchantID)
	if err != nil {
		return "", "", err
	}
	if m.Status != "approved" {
		return "", "", newError(KindConflict, CodeMerchantNotActive, "the merchant is %s: an operator must approve it first", m.Status)
	}
	keyID = "key_" + ledger.NewID().String()
	k := MerchantKey{ID: keyID, MerchantID: m.ID, Kind: "hmac", Status: "active", CreatedAt: s.now().UTC()}
	if ed25519Public != "" {
		pub, err := base64.StdEncoding.DecodeString(ed25519Public)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return "", "", newError(KindInvalid, CodeInvalidRequest, "ed25519_public_key is the base64 of 32 bytes")
		}
		k.Kind, k.Secret = "ed25519", base64.StdEncoding.EncodeToString(pub)
	} else {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return "", "", err
		}
		secret = merchantKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
		if k.Secret, err = s.vault.Seal([]byte(secret), []byte("merchant-key:"+keyID)); err != nil {
			return "", "", err
		}
	}
	if err := s.store.CreateMerchantKey(ctx, k); err != nil {
		return "", "", fmt.Errorf("new merchant key: %w", err)
	}
	s.audit(ctx, owner.ID, "merchant_key_created", "merchant:"+m.ID, keyID+" ("+k.Kind+")")
	return keyID, secret, nil
}

// RevokeMerchantKey revokes a key at once.
func (s *Service) RevokeMerchantKey(ctx context.Context, owner User, merchantID, keyID string) error {
	if _, err := s.ownMerchant(ctx, owner, merchantID); err != nil {
		return err
	}
	defer s.cache.forgetMerchants()
	if err := s.store.RevokeMerchantKey(ctx, merchantID, keyID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return newError(KindNotFound, CodeNotFound, "no such active key")
		}
		return err
	}
	s.audit(ctx, owner.ID, "merchant_key_revoked", "merchant:"+merchantID, keyID)
	return nil
}

// SignedRequest is what a merchant's request carries for its signature.
type SignedRequest struct {
	KeyID, Timestamp, Nonce, Signature string
	Method, Path                       string // the path with its query
	Body                               []byte
}

// SignatureBase is the string a merchant signs: the method, the path with
// its query, the Unix timestamp in seconds, the nonce, and the hex SHA-256
// of the body, each followed by a newline. The signature is the base64
// (standard, padded) HMAC-SHA256 of it under the key's secret.
func SignatureBase(method, path, timestamp, nonce string, body []byte) string {
	h := sha256.Sum256(body)
	return method + "\n" + path + "\n" + timestamp + "\n" + nonce + "\n" + hex.EncodeToString(h[:]) + "\n"
}

// Sign signs a request (for merchants' clients and tests).
func Sign(secret, method, path, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(SignatureBase(method, path, timestamp, nonce, body)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// AuthenticateMerchant checks a signed request: an active key of an
// approved merchant, a timestamp within SignatureMaxAge, a valid
// signature, and a nonce the key has not used.
func (s *Service) AuthenticateMerchant(ctx context.Context, r SignedRequest) (Merchant, error) {
	invalid := newError(KindUnauthorized, CodeSignatureInvalid, "the request signature is missing or invalid (see the merchant API guide)")
	if r.KeyID == "" || r.Signature == "" || r.Nonce == "" || len(r.Nonce) > 64 {
		return Merchant{}, invalid
	}
	k, err := s.cache.keys.get(ctx, r.KeyID, func() (signingKey, error) { return s.signingKey(ctx, r.KeyID) })
	if err != nil || k.Status != "active" {
		return Merchant{}, invalid
	}
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return Merchant{}, invalid
	}
	if d := s.now().Sub(time.Unix(ts, 0)); d > SignatureMaxAge || d < -SignatureMaxAge {
		return Merchant{}, newError(KindUnauthorized, CodeSignatureExpired, "the request was signed more than %s from now; check the clock", SignatureMaxAge)
	}
	ok, err := s.checkSignature(k, r)
	if err != nil {
		return Merchant{}, err
	}
	if !ok {
		return Merchant{}, invalid
	}
	if err := s.store.UseNonce(ctx, k.ID, r.Nonce, time.Unix(ts, 0)); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return Merchant{}, newError(KindUnauthorized, CodeNonceReused, "this nonce was used before: a replayed request")
		}
		return Merchant{}, err
	}
	m, err := s.merchant(ctx, k.MerchantID)
	if err != nil {
		return Merchant{}, err
	}
	if m.Status != "approved" {
		return Merchant{}, newError(KindForbidden, CodeMerchantNotActive, "the merchant is %s", m.Status)
	}
	return m, nil
}

// signingKey is an API key as the signature check needs it, read once
// into the cache: an HMAC key's secret unsealed (AES-GCM at every request
// was 2 % of the server's CPU at the till), an Ed25519 key decoded.
type signingKey struct {
	MerchantKey
	hmacSecret string
	publicKey  ed25519.PublicKey // nil: not a valid Ed25519 key
	openErr    error             // the secret could not be unsealed
}

func (s *Service) signingKey(ctx context.Context, id string) (signingKey, error) {
	k, err := s.store.MerchantKeyByID(ctx, id)
	if err != nil {
		return signingKey{}, err
	}
	sk := signingKey{MerchantKey: k}
	if k.Kind == "ed25519" {
		if pub, err := base64.StdEncoding.DecodeString(k.Secret); err == nil && len(pub) == ed25519.PublicKeySize {
			sk.publicKey = pub
		}
		return sk, nil
	}
	secret, err := s.vault.Open(k.Secret, []byte("merchant-key:"+k.ID))
	if err != nil {
		sk.openErr = fmt.Errorf("merchant key: %w", err)
	}
	sk.hmacSecret = string(secret)
	return sk, nil
}

// checkSignature verifies a request's signature under a key: HMAC-SHA256
// with the key's secret, or Ed25519 with the merchant's public key.
func (s *Service) checkSignature(k signingKey, r SignedRequest) (bool, error) {
	if k.Kind == "ed25519" {
		sig, err := base64.StdEncoding.DecodeString(r.Signature)
		if err != nil || k.publicKey == nil {
			return false, nil
		}
		return ed25519.Verify(k.publicKey, []byte(SignatureBase(r.Method, r.Path, r.Timestamp, r.Nonce, r.Body)), sig), nil
	}
	if k.openErr != nil {
		return false, k.openErr
	}
	want := Sign(k.hmacSecret, r.Method, r.Path, r.Timestamp, r.Nonce, r.Body)
	return hmac.Equal([]byte(want), []byte(r.Signature)), nil
}
