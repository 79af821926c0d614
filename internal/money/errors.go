package money

import "errors"

// Sentinel errors. Functions in this package wrap them with context (the
// input and the currency), so compare with errors.Is, never with ==.
var (
	// ErrUnknownCurrency: the code is not in ISO 4217 List One, or a Currency
	// value is not usable (zero value, unsupported exponent).
	ErrUnknownCurrency = errors.New("unknown currency")

	// ErrNoMinorUnits: the currency has no minor unit in ISO 4217 (precious
	// metals, testing and no-currency codes), so amounts in it cannot be
	// expressed as integer minor units.
	ErrNoMinorUnits = errors.New("currency has no minor units")

	// ErrEmptyAmount: the amount string is empty.
	ErrEmptyAmount = errors.New("empty amount")

	// ErrAmountSyntax: the amount string is not digits, optionally followed
	// by '.' and at least one digit.
	ErrAmountSyntax = errors.New("invalid amount syntax")

	// ErrSignNotAllowed: the amount has a sign where none is accepted.
	ErrSignNotAllowed = errors.New("sign not allowed")

	// ErrTooManyDecimals: the amount has more fractional digits than the
	// currency's exponent, even if the extra digits are zeros.
	ErrTooManyDecimals = errors.New("too many decimal places")

	// ErrAmountOutOfRange: the amount does not fit in int64 minor units.
	ErrAmountOutOfRange = errors.New("amount out of range")

	// ErrOverflow: an arithmetic result does not fit in int64.
	ErrOverflow = errors.New("int64 overflow")

	// ErrCurrencyMismatch: an operation combined amounts in different
	// currencies.
	ErrCurrencyMismatch = errors.New("currency mismatch")
)
