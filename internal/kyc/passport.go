package kyc

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors returned by ValidPassport, wrapped with a short detail.
var (
	// ErrPassportCountry means the issuing country is not an officially
	// assigned ISO 3166-1 alpha-3 code.
	ErrPassportCountry = errors.New("kyc: unknown passport issuing country")
	// ErrPassportNumber means the passport number is not 5 to 20 letters
	// A-Z and digits.
	ErrPassportNumber = errors.New("kyc: malformed passport number")
)

// Passport number lengths accepted by ValidPassport. ICAO 9303 machine
// readable zones have room for 9 characters, but some countries' numbers
// are longer and are then continued in the optional data field.
const (
	MinPassportLen = 5
	MaxPassportLen = 20
)

// ValidPassport checks the issuing country and number of a passport.
// country must be an officially assigned ISO 3166-1 alpha-3 code, such as
// "CHN" or "USA" (ErrPassportCountry otherwise). number must be 5 to 20
// letters A-Z and digits (ErrPassportNumber otherwise). Both are compared
// after ASCII upper-casing: "chn" and "e1234567" are accepted. Spaces,
// hyphens and non-ASCII letters are not.
func ValidPassport(country, number string) error {
	if !countries[asciiUpper(country)] {
		return ErrPassportCountry
	}
	return checkPassportNumber(asciiUpper(number))
}

// checkPassportNumber checks an upper-cased passport number.
func checkPassportNumber(number string) error {
	if n := utf8.RuneCountInString(number); n < MinPassportLen || n > MaxPassportLen {
		return fmt.Errorf("%w: want %d to %d characters, got %d", ErrPassportNumber, MinPassportLen, MaxPassportLen, n)
	}
	pos := 0
	for _, r := range number {
		pos++
		if !('0' <= r && r <= '9') && !('A' <= r && r <= 'Z') {
			return fmt.Errorf("%w: character %d is not a letter A-Z or a digit", ErrPassportNumber, pos)
		}
	}
	return nil
}

// asciiUpper upper-cases the ASCII letters a-z of s and nothing else, so
// that, unlike strings.ToUpper, it never turns a non-ASCII letter such as
// the long s "ſ" into an ASCII one.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
