package money

import (
	"fmt"
	"math"
	"strings"
)

// ParseAmount converts a non-negative decimal string in major units to
// integer minor units of c: "12.5" CNY is 1250, "100" JPY is 100, "1.234"
// KWD is 1234.
//
// The grammar is deliberately strict so that every accepted string has
// exactly one meaning:
//
//	amount = digit+ [ "." digit{1,c.Exponent} ]
//	digit  = "0" ... "9"                         (ASCII only)
//
// No sign, whitespace, thousands separator, exponent, hex prefix or bare
// leading/trailing '.' is accepted. Leading zeros are. More fractional
// digits than the currency's exponent is an error even when they are
// zeros, because rounding is a business decision, not a parsing one.
//
// Errors wrap ErrEmptyAmount, ErrAmountSyntax, ErrSignNotAllowed,
// ErrTooManyDecimals, ErrAmountOutOfRange, ErrNoMinorUnits or
// ErrUnknownCurrency (zero or unsupported Currency value).
func ParseAmount(s string, c Currency) (int64, error) {
	return parse(s, c, false)
}

// ParseSignedAmount is ParseAmount with an optional single leading '-'.
// A leading '+' is rejected with ErrSignNotAllowed. "-0" parses as 0, and
// the full int64 range down to math.MinInt64 minor units is accepted.
func ParseSignedAmount(s string, c Currency) (int64, error) {
	return parse(s, c, true)
}

func parse(s string, c Currency, allowMinus bool) (int64, error) {
	minor, err := parseMinor(s, c, allowMinus)
	if err != nil {
		return 0, parseError(s, c, err)
	}
	return minor, nil
}

// parseMinor does the work of parse and returns unwrapped sentinels, except
// for ErrTooManyDecimals which carries the allowed precision.
func parseMinor(s string, c Currency, allowMinus bool) (int64, error) {
	if err := c.checkAmounts(); err != nil {
		return 0, err
	}
	if s == "" {
		return 0, ErrEmptyAmount
	}
	negative := false
	switch s[0] {
	case '+':
		return 0, ErrSignNotAllowed
	case '-':
		if !allowMinus {
			return 0, ErrSignNotAllowed
		}
		negative, s = true, s[1:]
	}

	whole, frac, hasPoint := strings.Cut(s, ".")
	if !isDigits(whole) || (hasPoint && !isDigits(frac)) {
		return 0, ErrAmountSyntax
	}
	if len(frac) > c.Exponent {
		return 0, fmt.Errorf("%w (at most %d)", ErrTooManyDecimals, c.Exponent)
	}

	limit := uint64(math.MaxInt64)
	if negative {
		limit++ // |math.MinInt64|
	}
	magnitude, ok := accumulate(0, whole, limit)
	if ok {
		magnitude, ok = accumulate(magnitude, frac, limit)
	}
	for i := len(frac); i < c.Exponent && ok; i++ {
		magnitude, ok = appendDigit(magnitude, 0, limit) // scale to minor units
	}
	if !ok {
		return 0, ErrAmountOutOfRange
	}
	return applySign(magnitude, negative), nil
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// accumulate appends the decimal digits of s to n, failing if the result
// would exceed limit. s must contain only ASCII digits.
func accumulate(n uint64, digits string, limit uint64) (uint64, bool) {
	ok := true
	for i := 0; i < len(digits) && ok; i++ {
		n, ok = appendDigit(n, uint64(digits[i]-'0'), limit)
	}
	return n, ok
}

// appendDigit returns n*10+d, or false if that would exceed limit. The
// comparison is done before multiplying, so nothing wraps.
func appendDigit(n, d, limit uint64) (uint64, bool) {
	if n > (limit-d)/10 {
		return n, false
	}
	return n*10 + d, true
}

// applySign turns a magnitude of at most 1<<63 into an int64. Negating in
// uint64 is exact for 1<<63, which int64 negation is not.
func applySign(magnitude uint64, negative bool) int64 {
	if negative {
		return int64(-magnitude)
	}
	return int64(magnitude)
}

func parseError(s string, c Currency, err error) error {
	return fmt.Errorf("money: parse %s as %s: %w", quote(s), currencyLabel(c), err)
}

// currencyLabel names c in error messages, including the zero Currency.
func currencyLabel(c Currency) string {
	if c.Code == "" {
		return "<zero Currency>"
	}
	return c.Code
}
