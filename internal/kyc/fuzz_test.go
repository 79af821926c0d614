package kyc_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "440524188001010014",
		withCheck("31010119900307123"), withCheck("44030520000229004"),
		withCheck("99010519491231002"), withCheck("11010519990230002"),
		"110105194912310021", "", "X", "１1010519491231002X", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := utf8.RuneCountInString(kyc.MaskID(s)); n != utf8.RuneCountInString(s) {
			t.Errorf("MaskID(%q) has %d runes", s, n)
		}
		checkResidentID(t, s)
		checkResidentID(t, completeID(s))
	})
}

// checkResidentID checks the properties of ValidResidentID for one input.
func checkResidentID(t *testing.T, s string) {
	r, err := kyc.ValidResidentID(s, testNow)
	if err != nil {
		if !isIDError(err) || r != (kyc.ResidentID{}) {
			t.Errorf("ValidResidentID(%q) = %#v, %v", s, r, err)
		}
		return
	}
	if r.Number != strings.ToUpper(s) || r.Province != s[:2] ||
		r.BirthDate.Format("20060102") != s[6:14] || r.Female != ((s[16]-'0')%2 == 0) {
		t.Errorf("ValidResidentID(%q) = %#v, inconsistent with the number", s, r)
	}
	for _, variant := range []string{r.Number, strings.ToLower(s)} {
		if again, err := kyc.ValidResidentID(variant, testNow); err != nil || again != r {
			t.Errorf("ValidResidentID(%q) = %#v, %v; want %#v as for %q", variant, again, err, r, s)
		}
	}
	for i := range 17 {
		changed := s[:i] + string('0'+(s[i]-'0'+1)%10) + s[i+1:]
		if _, err := kyc.ValidResidentID(changed, testNow); !errors.Is(err, kyc.ErrIDChecksum) {
			t.Errorf("ValidResidentID(%q), one digit off %q, error = %v; want ErrIDChecksum", changed, s, err)
		}
	}
}

// completeID makes a well-formed number from the digits of s, so that the
// fuzzer reaches the region and birth-date checks.
func completeID(s string) string {
	digits := []byte(strings.Repeat("0", 17))
	n := 0
	for i := 0; i < len(s) && n < 17; i++ {
		if '0' <= s[i] && s[i] <= '9' {
			digits[n] = s[i]
			n++
		}
	}
	return withCheck(string(digits))
}

func isIDError(err error) bool {
	for _, target := range []error{kyc.ErrIDFormat, kyc.ErrIDChecksum, kyc.ErrIDRegion, kyc.ErrIDBirthDate} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func FuzzValidName(f *testing.F) {
	seeds := [][2]string{
		{"张三", "张 三"}, {"阿沛 · 阿旺晋美", "阿沛•阿旺晋美"}, {"Zhang San", "ZHANG SAN"},
		{"O’Brien", "o'brien"}, {"Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"}, {"Işık", "IŞIK"},
		{"", " "}, {"a\tb", "a b"}, {"张三1", "张三"}, {"\xff", "ſ"}, {"ǅ", "Ǆ"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkName(t, a)
		if kyc.SameName(a, b) != kyc.SameName(b, a) {
			t.Errorf("SameName(%q, %q) is not symmetric", a, b)
		}
		if kyc.SameName(a, b) {
			checkCaseVariant(t, a, b)
		}
	})
}

// checkName checks the properties of ValidName, NormalizeName and SameName
// for one input.
func checkName(t *testing.T, s string) {
	norm := kyc.NormalizeName(s)
	if again := kyc.NormalizeName(norm); again != norm {
		t.Errorf("NormalizeName(%q) = %q, but NormalizeName(%q) = %q", s, norm, norm, again)
	}
	err := kyc.ValidName(s)
	if err != nil {
		if !errors.Is(err, kyc.ErrName) || kyc.SameName(s, s) {
			t.Errorf("ValidName(%q) = %v, SameName with itself %v", s, err, kyc.SameName(s, s))
		}
		return
	}
	if err := kyc.ValidName(norm); err != nil {
		t.Errorf("ValidName(%q) = nil, but ValidName(%q) = %v", s, norm, err)
	}
	if !kyc.SameName(s, s) || !kyc.SameName(s, norm) {
		t.Errorf("SameName(%q, itself or %q) = false", s, norm)
	}
	for _, variant := range []string{strings.ToUpper(s), strings.ToLower(s)} {
		if kyc.ValidName(variant) == nil && !kyc.SameName(s, variant) {
			t.Errorf("SameName(%q, %q) = false", s, variant)
		}
	}
}

// checkCaseVariant checks that two matching names have normal forms of the
// same length in runes, which they must: case folding maps rune to rune.
func checkCaseVariant(t *testing.T, a, b string) {
	na, nb := kyc.NormalizeName(a), kyc.NormalizeName(b)
	if utf8.RuneCountInString(na) != utf8.RuneCountInString(nb) {
		t.Errorf("SameName(%q, %q) = true with normal forms %q and %q of different lengths", a, b, na, nb)
	}
}
