package kyc

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrName is returned, wrapped with a short detail, by ValidName for a
// string that is not acceptable as a person's real name.
var ErrName = errors.New("kyc: invalid name")

// MaxNameLen is the maximum length of a normalised name, in runes.
const MaxNameLen = 64

// middleDot is the separator of the parts of transliterated foreign and of
// some ethnic-minority names in Chinese, as in "阿沛·阿旺晋美".
const middleDot = '·' // U+00B7

// ValidName checks a person's real name as given on an identity document or
// a bank card. After NormalizeName it must be 1 to 64 runes of letters of
// any script (including CJK ideographs), combining marks, spaces, the
// middle dot "·", the hyphen "-" and the apostrophe "'", and contain at
// least one letter. Digits, control characters (even ones NormalizeName
// would turn into a space, such as tab or newline) and other punctuation or
// symbols fail with ErrName.
func ValidName(name string) error {
	if strings.ContainsFunc(name, unicode.IsControl) {
		return fmt.Errorf("%w: contains a control character", ErrName)
	}
	name = NormalizeName(name)
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxNameLen {
		return fmt.Errorf("%w: want 1 to %d characters, got %d", ErrName, MaxNameLen, n)
	}
	letters := 0
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsMark(r), r == ' ', r == middleDot, r == '-', r == '\'':
		case unicode.IsDigit(r):
			return fmt.Errorf("%w: contains a digit", ErrName)
		default:
			return fmt.Errorf("%w: character %U is not allowed", ErrName, r)
		}
	}
	if letters == 0 {
		return fmt.Errorf("%w: contains no letter", ErrName)
	}
	return nil
}

// NormalizeName returns name in the form in which names are stored and
// compared:
//
//   - leading and trailing white space is removed, and every other run of
//     white space (including the ideographic space U+3000) becomes one
//     space;
//   - the space is dropped next to a middle dot and between two CJK
//     ideographs, where it carries no meaning: "阿沛 · 阿旺晋美" becomes
//     "阿沛·阿旺晋美" and "张 三" becomes "张三";
//   - full-width ASCII forms (U+FF01 to U+FF5E) become ASCII, the look-alike
//     dots U+2022, U+2027, U+30FB and U+FF65 become the middle dot, and the
//     typographic apostrophe U+2019 becomes "'".
//
// Case is kept. NormalizeName does not validate; it is idempotent.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, word := range strings.Fields(strings.Map(foldNameRune, name)) {
		if b.Len() > 0 && needsSpace(b.String(), word) {
			b.WriteByte(' ')
		}
		b.WriteString(word)
	}
	return b.String()
}

// foldNameRune maps full-width ASCII and look-alikes of the middle dot and
// apostrophe to their canonical forms.
func foldNameRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == '•', r == '‧', r == '・', r == '･':
		return middleDot
	case r == '’':
		return '\''
	}
	return r
}

// needsSpace reports whether the words before and after a run of white
// space stay separated by a space.
func needsSpace(before, after string) bool {
	last, _ := utf8.DecodeLastRuneInString(before)
	first, _ := utf8.DecodeRuneInString(after)
	if last == middleDot || first == middleDot {
		return false
	}
	return !unicode.Is(unicode.Han, last) || !unicode.Is(unicode.Han, first)
}

// SameName reports whether a and b are the same valid name: equal after
// NormalizeName, ignoring case (Latin, Greek, Cyrillic and other cased
// scripts; the Turkish dotted and dotless i match i and I). It is false if
// either is not a valid name, so two empty or malformed names never match.
func SameName(a, b string) bool {
	if ValidName(a) != nil || ValidName(b) != nil {
		return false
	}
	return foldCase(NormalizeName(a)) == foldCase(NormalizeName(b))
}

// foldCase maps every cased letter to a single representative. Going
// through upper case first joins letters that have no lower-case form of
// their own in common with the others, such as the dotless ı (upper case I)
// and the long s ſ (upper case S).
func foldCase(s string) string {
	return strings.ToLower(strings.ToUpper(s))
}
