package money

import (
	"fmt"
	"slices"
)

//go:generate go run gen_iso4217.go

// maxExponent is the largest exponent this package handles: 10^18 is the
// largest power of ten that fits in an int64. ISO 4217 uses at most 4.
const maxExponent = 18

// Currency is one entry of ISO 4217 List One.
type Currency struct {
	Code     string // alphabetic code, e.g. "CNY"
	Numeric  int    // numeric code, e.g. 156; BHD is 48 ("048")
	Exponent int    // minor units per major unit = 10^Exponent; -1 if none
	Name     string // English name as published in List One
	Fund     bool   // true for fund codes such as CLF, USN, UYI
}

// String returns the alphabetic code.
func (c Currency) String() string { return c.Code }

// HasMinorUnits reports whether ISO 4217 defines a minor unit for c, which is
// required to parse or format amounts in it. It is false for precious metals
// (XAU, XAG, ...), the testing code XTS, the no-currency code XXX and similar
// "N.A." entries.
func (c Currency) HasMinorUnits() bool { return c.Exponent >= 0 }

// NumericCode returns the numeric code as the three-digit string used on the
// wire, keeping leading zeros: "048" for BHD.
func (c Currency) NumericCode() string { return fmt.Sprintf("%03d", c.Numeric) }

// checkAmounts returns nil if amounts can be expressed in c, otherwise an
// unwrapped sentinel error for the caller to wrap with context.
func (c Currency) checkAmounts() error {
	switch {
	case c.Code == "" || c.Exponent > maxExponent:
		return ErrUnknownCurrency
	case c.Exponent < 0:
		return ErrNoMinorUnits
	}
	return nil
}

var (
	byCode    = indexBy(func(c Currency) string { return c.Code })
	byNumeric = indexBy(func(c Currency) int { return c.Numeric })
)

func indexBy[K comparable](key func(Currency) K) map[K]Currency {
	m := make(map[K]Currency, len(iso4217))
	for _, c := range iso4217 {
		m[key(c)] = c
	}
	return m
}

// Lookup returns the currency with the given alphabetic code. The code must
// be exactly three upper-case letters as in ISO 4217 ("CNY", not "cny").
// Unknown codes yield an error wrapping ErrUnknownCurrency.
func Lookup(code string) (Currency, error) {
	if c, ok := byCode[code]; ok {
		return c, nil
	}
	return Currency{}, fmt.Errorf("money: currency code %s: %w", quote(code), ErrUnknownCurrency)
}

// LookupNumeric returns the currency with the given ISO 4217 numeric code.
// Unknown codes yield an error wrapping ErrUnknownCurrency.
func LookupNumeric(numeric int) (Currency, error) {
	if c, ok := byNumeric[numeric]; ok {
		return c, nil
	}
	return Currency{}, fmt.Errorf("money: currency numeric code %03d: %w", numeric, ErrUnknownCurrency)
}

// MustLookup is like Lookup but panics on unknown codes. It is meant for
// fixed codes in tests and examples, not for codes from input.
func MustLookup(code string) Currency {
	c, err := Lookup(code)
	if err != nil {
		panic(err)
	}
	return c
}

// All returns every currency of ISO 4217 List One, sorted by code. The
// slice is a fresh copy that the caller may modify.
func All() []Currency { return slices.Clone(iso4217[:]) }

// quote formats untrusted input for an error message, truncating long
// strings so that errors stay loggable.
func quote(s string) string {
	const maxBytes = 64
	if len(s) <= maxBytes {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:maxBytes], len(s))
}
