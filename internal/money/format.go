package money

import (
	"fmt"
	"strconv"
)

// FormatAmount renders minor units of c as a decimal string in major units
// with exactly c.Exponent fractional digits: 1250 CNY is "12.50", 100 JPY
// is "100", 1234 KWD is "1.234", -5 CNY is "-0.05". The output is always
// accepted by ParseSignedAmount and parses back to minor.
//
// FormatAmount cannot fail for currencies from Lookup that have minor
// units. For a currency without minor units (HasMinorUnits is false) or an
// invalid Currency value it returns a "%!money(...)" marker that is not a
// valid amount; use AppendAmount to get an error instead.
func FormatAmount(minor int64, c Currency) string {
	if err := c.checkAmounts(); err != nil {
		return fmt.Sprintf("%%!money(%d %s: %v)", minor, currencyLabel(c), err)
	}
	var buf [24]byte // longest output is 21 bytes: "-9.223372036854775808"
	return string(appendAmount(buf[:0], minor, c.Exponent))
}

// AppendAmount appends FormatAmount(minor, c) to dst. It fails, leaving dst
// unchanged, with an error wrapping ErrNoMinorUnits or ErrUnknownCurrency
// if amounts cannot be expressed in c.
func AppendAmount(dst []byte, minor int64, c Currency) ([]byte, error) {
	if err := c.checkAmounts(); err != nil {
		return dst, fmt.Errorf("money: format %d minor units as %s: %w", minor, currencyLabel(c), err)
	}
	return appendAmount(dst, minor, c.Exponent), nil
}

// appendAmount formats minor for a validated exponent in 0..maxExponent.
func appendAmount(dst []byte, minor int64, exponent int) []byte {
	magnitude := uint64(minor)
	if minor < 0 {
		dst = append(dst, '-')
		magnitude = -magnitude // exact for math.MinInt64
	}
	var buf [20]byte // 1<<63 has 19 digits
	digits := strconv.AppendUint(buf[:0], magnitude, 10)
	return appendDecimal(dst, digits, exponent)
}

// appendDecimal appends digits with a decimal point inserted exponent
// places from the right, padding with zeros so that there is at least one
// digit before the point.
func appendDecimal(dst, digits []byte, exponent int) []byte {
	if exponent == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= exponent {
		dst = append(dst, '0', '.')
		for range exponent - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	point := len(digits) - exponent
	dst = append(dst, digits[:point]...)
	dst = append(dst, '.')
	return append(dst, digits[point:]...)
}
