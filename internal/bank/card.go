package bank

import (
	"errors"
	"fmt"
	"strings"
)

// PAN length limits from ISO/IEC 7812-1.
const (
	MinPANLength = 12
	MaxPANLength = 19
)

// Card number errors. Functions wrap them with detail, so compare with
// errors.Is. The detail never contains the card number itself, so these
// errors are safe to log.
var (
	// ErrPANFormat: after removing spaces and hyphens, the card number is
	// not 12 to 19 ASCII digits.
	ErrPANFormat = errors.New("invalid card number format")

	// ErrPANChecksum: the card number has a valid format but fails the
	// Luhn (mod 10) check, which usually means a typing mistake.
	ErrPANChecksum = errors.New("card number fails the Luhn check")
)

// NormalizePAN returns the card number s as digits only, with the spaces
// and hyphens people type or paste ("6222 0212 3456 7890") removed. It
// fails with an error wrapping ErrPANFormat if the result is not 12 to 19
// ASCII digits, or ErrPANChecksum if it fails the Luhn check.
func NormalizePAN(s string) (string, error) {
	digits, err := panDigits(s)
	if err != nil {
		return "", err
	}
	if !luhnValid(digits) {
		return "", fmt.Errorf("bank: card number ending %s: %w", digits[len(digits)-4:], ErrPANChecksum)
	}
	return digits, nil
}

// ValidPAN reports whether pan is a well-formed card number: 12 to 19
// digits once spaces and hyphens are removed, passing the Luhn check. The
// error wraps ErrPANFormat or ErrPANChecksum.
func ValidPAN(pan string) error {
	_, err := NormalizePAN(pan)
	return err
}

// MaskPAN returns pan for display with only its first 4 and last 4 digits
// visible, always in the shape "6222 **** **** 1234" whatever the card's
// length, so the mask does not reveal the length either. Spaces and hyphens
// in pan are ignored and the Luhn check is not applied, so a mistyped
// number can still be shown back to the user. Input that is not 12 to 19
// digits is masked completely as "****".
func MaskPAN(pan string) string {
	digits, err := panDigits(pan)
	if err != nil {
		return "****"
	}
	return digits[:4] + " **** **** " + digits[len(digits)-4:]
}

// panDigits strips spaces and hyphens from s and checks that what is left
// is 12 to 19 ASCII digits.
func panDigits(s string) (string, error) {
	var b strings.Builder
	b.Grow(MaxPANLength)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case c < '0' || c > '9':
			return "", fmt.Errorf("bank: card number has a character other than a digit, space or hyphen at byte %d: %w", i, ErrPANFormat)
		case b.Len() == MaxPANLength:
			return "", fmt.Errorf("bank: card number has more than %d digits: %w", MaxPANLength, ErrPANFormat)
		}
		b.WriteByte(c)
	}
	if b.Len() < MinPANLength {
		return "", fmt.Errorf("bank: card number has %d digits, want %d to %d: %w", b.Len(), MinPANLength, MaxPANLength, ErrPANFormat)
	}
	return b.String(), nil
}

// luhnValid reports whether the ASCII digit string passes the Luhn check:
// doubling every second digit from the right, the digit sum is a multiple
// of 10.
func luhnValid(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
