package kyc

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by ValidResidentID, wrapped with a short detail. Test for
// them with errors.Is.
var (
	// ErrIDFormat means the number is not 17 digits followed by a digit
	// or X.
	ErrIDFormat = errors.New("kyc: malformed resident identity number")
	// ErrIDChecksum means the check character does not match the first 17
	// digits: most likely a typing error.
	ErrIDChecksum = errors.New("kyc: resident identity number check character mismatch")
	// ErrIDRegion means the first two digits are not a province code.
	ErrIDRegion = errors.New("kyc: resident identity number has an unknown province code")
	// ErrIDBirthDate means digits 7 to 14 are not a calendar date between
	// 1900-01-01 and today.
	ErrIDBirthDate = errors.New("kyc: resident identity number has an invalid birth date")
)

// ResidentIDLen is the length of a resident identity card number.
const ResidentIDLen = 18

// ResidentID is a resident identity card number that passed
// ValidResidentID, with the data encoded in it.
type ResidentID struct {
	// Number is the 18-character number with an upper-case check
	// character X.
	Number string
	// Province is the two-digit province code, e.g. "11" for Beijing.
	Province string
	// BirthDate is midnight UTC of the birth date: a calendar date, not
	// an instant.
	BirthDate time.Time
	// Female is true when the sequence code is even.
	Female bool
}

// String returns the masked number, so that printing a ResidentID with
// %v or %s does not put the full number in a log.
func (r ResidentID) String() string { return MaskID(r.Number) }

// idWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 of the first
// 17 digits; idCheckChars maps the weighted sum mod 11 to the check
// character.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// provinces are the province-level codes of GB/T 2260: the first two digits
// of the administrative division code. 71 is Taiwan; 81, 82 and 83 are the
// residence permits of Hong Kong, Macao and Taiwan residents.
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// chinaTime is China Standard Time, UTC+8, without daylight saving time
// (China has had none since 1991). Identity cards are issued in it.
var chinaTime = time.FixedZone("CST", 8*60*60)

// ValidResidentID checks a mainland China resident identity card number
// (GB 11643-1999) and returns the data encoded in it.
//
// The number must be exactly 18 characters: 17 digits and a check
// character 0-9 or X; a lower-case x is accepted and returned upper-case.
// Nothing else is corrected: surrounding spaces are an ErrIDFormat. The
// checks, in order, fail with ErrIDFormat, ErrIDChecksum, ErrIDRegion or
// ErrIDBirthDate. The birth date must be a real date not before 1900 and
// not after today's date in China Standard Time at now.
func ValidResidentID(id string, now time.Time) (ResidentID, error) {
	if err := checkIDFormat(id); err != nil {
		return ResidentID{}, err
	}
	id = strings.ToUpper(id) // only the check character can be a letter
	if want := IDCheckChar(id[:17]); id[17] != want {
		return ResidentID{}, ErrIDChecksum
	}
	province := id[:2]
	if !provinces[province] {
		return ResidentID{}, fmt.Errorf("%w: %s", ErrIDRegion, province)
	}
	birth, err := idBirthDate(id[6:14], now)
	if err != nil {
		return ResidentID{}, err
	}
	female := (id[16]-'0')%2 == 0
	return ResidentID{Number: id, Province: province, BirthDate: birth, Female: female}, nil
}

// checkIDFormat requires 17 ASCII digits and a digit, X or x.
func checkIDFormat(id string) error {
	if len(id) != ResidentIDLen {
		if n := utf8.RuneCountInString(id); n != ResidentIDLen {
			return fmt.Errorf("%w: want %d characters, got %d", ErrIDFormat, ResidentIDLen, n)
		}
		return fmt.Errorf("%w: contains a character that is not a digit", ErrIDFormat)
	}
	for i := range 17 {
		if !isDigit(id[i]) {
			return fmt.Errorf("%w: character %d is not a digit", ErrIDFormat, i+1)
		}
	}
	if c := id[17]; !isDigit(c) && c != 'X' && c != 'x' {
		return fmt.Errorf("%w: check character is not a digit or X", ErrIDFormat)
	}
	return nil
}

// IDCheckChar returns the ISO 7064 MOD 11-2 check character ('0'-'9' or
// 'X') of the first 17 digits of a resident identity number. It returns 0
// if digits is not 17 ASCII digits.
func IDCheckChar(digits string) byte {
	if len(digits) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		if !isDigit(digits[i]) {
			return 0
		}
		sum += int(digits[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// idBirthDate parses the YYYYMMDD birth date of a resident identity number,
// whose eight bytes are known to be digits.
func idBirthDate(s string, now time.Time) (time.Time, error) {
	year := atoi(s[:4])
	month := time.Month(atoi(s[4:6]))
	day := atoi(s[6:])
	birth := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 1990-02-30 to 1990-03-02: a changed date was
	// not a real one.
	if birth.Year() != year || birth.Month() != month || birth.Day() != day {
		return time.Time{}, fmt.Errorf("%w: not a calendar date", ErrIDBirthDate)
	}
	if year < 1900 {
		return time.Time{}, fmt.Errorf("%w: before 1900", ErrIDBirthDate)
	}
	ty, tm, td := now.In(chinaTime).Date()
	if birth.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, fmt.Errorf("%w: in the future", ErrIDBirthDate)
	}
	return birth, nil
}

// MaskID hides the middle of a document number for display: an 18-character
// resident identity number keeps its first 3 and last 4 characters, as in
// "110***********002X". The result has as many characters (runes) as id.
// Shorter numbers keep at most a quarter of their characters visible at
// each end, so that at least half is hidden; fewer than 4 characters are
// hidden entirely.
func MaskID(id string) string {
	n := utf8.RuneCountInString(id)
	head, tail := min(3, n/4), min(4, n/4)
	var b strings.Builder
	b.Grow(n)
	i := 0
	for _, r := range id {
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoi converts a string of ASCII digits known to be short enough not to
// overflow.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
