package bank

import (
	"context"
	"errors"
	"time"
)

// Connector is the platform's link to a bank: binding a card by a one-time
// code sent to the card holder's phone, then pulling money from the card
// (top-up) and pushing money to it (withdrawal). Implementations must be
// safe for concurrent use.
type Connector interface {
	// SendCardOTP asks the issuing bank to send a one-time code to the
	// card holder's phone; returns a verification id.
	SendCardOTP(ctx context.Context, req CardOTPRequest) (CardOTP, error)

	// VerifyCardOTP checks the code; on success the bank returns a token
	// that stands for the card in later calls.
	VerifyCardOTP(ctx context.Context, verificationID, code string) (cardToken string, err error)

	// Debit pulls money from a card (a top-up); Credit pushes money to a
	// card (a withdrawal). Both are idempotent by RequestID: the same
	// RequestID returns the same outcome and never moves money twice.
	Debit(ctx context.Context, req Payment) (Result, error)
	Credit(ctx context.Context, req Payment) (Result, error)

	// Status returns what the bank knows of a request: pending,
	// succeeded, failed (with a reason), or ErrUnknownRequest.
	Status(ctx context.Context, requestID string) (Result, error)
}

// CardOTPRequest asks the issuer to verify that the person binding a card
// holds it: the bank checks the name and phone number against its records
// and texts a code to that phone.
type CardOTPRequest struct {
	PAN        string
	HolderName string
	Phone      string
}

// CardOTP is the bank's answer to a CardOTPRequest.
type CardOTP struct {
	VerificationID string
	ExpiresAt      time.Time
	// SandboxCode is the code that was texted. Only the sandbox fills it
	// in, so that tests and the demo can complete the flow; a real
	// connector leaves it empty.
	SandboxCode string
}

// Payment is a request to move money between the platform and a bound card.
type Payment struct {
	// RequestID is the idempotency key, chosen by the caller and unique
	// per payment across Debit and Credit.
	RequestID string
	// CardToken is the token VerifyCardOTP returned.
	CardToken string
	// Currency is an ISO 4217 code such as "CNY".
	Currency string
	// Amount is in minor units (fen for CNY) and must be positive.
	Amount int64
}

// State is the lifecycle state of a payment at the bank.
type State string

// Payment states. A payment starts pending and ends succeeded or failed;
// a final state never changes.
const (
	StatePending   State = "pending"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
)

// Final reports whether s is succeeded or failed.
func (s State) Final() bool { return s == StateSucceeded || s == StateFailed }

// Result is what the bank knows of a payment.
type Result struct {
	RequestID string
	State     State
	// Reason says why a payment failed, as a stable lower-case code such
	// as "insufficient_funds"; empty unless State is StateFailed.
	Reason string
	// BankRef is the bank's own reference for the payment, for
	// reconciliation and for support calls.
	BankRef   string
	UpdatedAt time.Time
}

// Payment failure reasons that the sandbox reports in Result.Reason. Real
// banks have many more; connectors map theirs to these where they can.
const (
	ReasonInsufficientFunds = "insufficient_funds"
	ReasonCardBlocked       = "card_blocked"
	ReasonDoNotHonor        = "do_not_honor"
	ReasonLimitExceeded     = "limit_exceeded"
	ReasonAccountClosed     = "account_closed"
)

// Connector errors. Implementations wrap them with detail, so compare with
// errors.Is.
var (
	// ErrTimeout: the call timed out, or its context ended, after the
	// request may have reached the bank. The outcome is UNKNOWN: the
	// payment may still complete. Do not assume it failed; ask Status
	// later, or retry with the same RequestID.
	ErrTimeout = errors.New("bank call timed out: outcome unknown")

	// ErrUnknownRequest: the bank has no request with that id. For a
	// request whose call failed with ErrUnavailable, this means nothing
	// happened and it is safe to send again.
	ErrUnknownRequest = errors.New("unknown request")

	// ErrInvalidOTP: the code is wrong, or the verification id is unknown
	// or already used.
	ErrInvalidOTP = errors.New("invalid one-time code")

	// ErrOTPExpired: the code was not entered in time; ask for a new one.
	ErrOTPExpired = errors.New("one-time code expired")

	// ErrTooManyAttempts: too many wrong codes; the verification is
	// locked and a new one must be requested.
	ErrTooManyAttempts = errors.New("too many wrong one-time codes")

	// ErrCardRejected: the bank refuses the card (blocked, unknown,
	// invalid number, or a card token it did not issue).
	ErrCardRejected = errors.New("card rejected by bank")

	// ErrUnavailable: the bank is temporarily unavailable and did nothing;
	// retry later with the same request.
	ErrUnavailable = errors.New("bank temporarily unavailable")

	// ErrRequestMismatch: a RequestID was reused for a different payment
	// (another operation, card, currency or amount).
	ErrRequestMismatch = errors.New("request id reused with different parameters")

	// ErrInvalidRequest: the request is malformed (empty id, non-positive
	// amount, bad currency code, missing name or phone) and was not sent.
	ErrInvalidRequest = errors.New("invalid bank request")
)
