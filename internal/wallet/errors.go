package wallet

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the edge that maps it to a status.
type Kind uint8

// The kinds of error a service returns.
const (
	KindInvalid      Kind = iota + 1 // the request can not be done as asked (422)
	KindUnauthorized                 // no valid session or credentials (401)
	KindForbidden                    // the caller may not do this (403)
	KindNotFound                     // no such thing, or not the caller's (404)
	KindConflict                     // it exists already or the state forbids it (409)
	KindLocked                       // locked for a while (423)
	KindUnavailable                  // a partner or the ledger can not answer now (503)
)

// Error is a service error with a stable code, a message a person can
// read, and details a client can act on (remaining tries, the limit).
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) with(key string, v any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = v
	return e
}

// AsError returns the service error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Stable error codes. Clients rely on them; never change one.
const (
	CodeInvalidPhone          = "invalid_phone"
	CodeWeakPassword          = "weak_password"
	CodeInvalidName           = "invalid_name"
	CodePhoneTaken            = "phone_taken"
	CodeInvalidCredentials    = "invalid_credentials"
	CodeSessionInvalid        = "session_invalid"
	CodeForbidden             = "forbidden"
	CodeNotFound              = "not_found"
	CodeInvalidPIN            = "invalid_pin"
	CodePINNotSet             = "pin_not_set"
	CodePINIncorrect          = "pin_incorrect"
	CodePINLocked             = "pin_locked"
	CodePINRequired           = "pin_required"
	CodeInvalidAmount         = "invalid_amount"
	CodeCurrencyNotSupported  = "currency_not_supported"
	CodeWalletExists          = "wallet_exists"
	CodeWalletNotOpen         = "wallet_not_open"
	CodeInsufficientBalance   = "insufficient_balance"
	CodeUnknownPayee          = "unknown_payee"
	CodeSelfTransfer          = "self_transfer"
	CodePayeeCurrencyNotOpen  = "payee_currency_not_open"
	CodeLimitExceeded         = "limit_exceeded"
	CodeIdempotencyKeyReused  = "idempotency_key_reused"
	CodeInvalidIdempotencyKey = "invalid_idempotency_key"
	CodeInvalidNote           = "invalid_note"
	CodeInvalidLimits         = "invalid_limits"
	CodeInvalidCursor         = "invalid_cursor"
	CodeRequestNotPending     = "request_not_pending"
	CodeUnavailable           = "unavailable"
	CodeRiskDenied            = "risk_denied"
)

var errUnavailable = newError(KindUnavailable, CodeUnavailable, "the ledger can not answer now; try again")
