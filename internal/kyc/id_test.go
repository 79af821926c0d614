package kyc_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

// testNow is the clock of the tests: 2025-06-01 20:00 in China.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// withCheck appends the GB 11643 check character to 17 digits. It computes
// the weights 2^(17-i) mod 11 itself rather than trusting the package's
// table.
func withCheck(body string) string {
	sum, weight := 0, 1
	for i := 16; i >= 0; i-- {
		weight = weight * 2 % 11
		sum += int(body[i]-'0') * weight
	}
	return body + string("10X98765432"[sum%11])
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestValidResidentIDPublishedExamples(t *testing.T) {
	// The example of GB 11643-1999: Beijing, Chaoyang; 1949-12-31; female.
	for _, in := range []string{"11010519491231002X", "11010519491231002x"} {
		got, err := kyc.ValidResidentID(in, testNow)
		want := kyc.ResidentID{Number: "11010519491231002X", Province: "11", BirthDate: date(1949, 12, 31), Female: true}
		if err != nil || got != want {
			t.Errorf("ValidResidentID(%q) = %#v, %v; want %#v", in, got, err, want)
		}
	}
	// The standard's other example, Guangdong, has a correct check digit
	// but was born in 1880, before the range this package accepts.
	if c := kyc.IDCheckChar("44052418800101001"); c != '4' {
		t.Errorf("IDCheckChar(44052418800101001) = %q, want '4'", c)
	}
	if _, err := kyc.ValidResidentID("440524188001010014", testNow); !errors.Is(err, kyc.ErrIDBirthDate) {
		t.Errorf("ValidResidentID(440524188001010014) error = %v, want ErrIDBirthDate", err)
	}
}

func TestValidResidentIDGenerated(t *testing.T) {
	tests := []struct {
		body     string
		province string
		birth    time.Time
		female   bool
	}{
		{"31010119900307123", "31", date(1990, 3, 7), false},
		{"44030520000229004", "44", date(2000, 2, 29), true},
		{"65010219000101001", "65", date(1900, 1, 1), false},
		{"81000019851111010", "81", date(1985, 11, 11), true},
		{"83000020010704777", "83", date(2001, 7, 4), false},
		{"71000019700101002", "71", date(1970, 1, 1), true},
		{"15010220250601999", "15", date(2025, 6, 1), false}, // born today
	}
	for _, tt := range tests {
		id := withCheck(tt.body)
		got, err := kyc.ValidResidentID(id, testNow)
		want := kyc.ResidentID{Number: id, Province: tt.province, BirthDate: tt.birth, Female: tt.female}
		if err != nil || got != want {
			t.Errorf("ValidResidentID(%q) = %#v, %v; want %#v", id, got, err, want)
		}
		if c := kyc.IDCheckChar(tt.body); c != id[17] {
			t.Errorf("IDCheckChar(%q) = %q, want %q", tt.body, c, id[17])
		}
	}
}

func TestValidResidentIDErrors(t *testing.T) {
	tests := []struct {
		id   string
		want error
	}{
		{"", kyc.ErrIDFormat},
		{"11010519491231002", kyc.ErrIDFormat},
		{"11010519491231002XX", kyc.ErrIDFormat},
		{" 11010519491231002X", kyc.ErrIDFormat},
		{"11010519491231002X ", kyc.ErrIDFormat},
		{"1101051949123100AX", kyc.ErrIDFormat},
		{"11010519491231002Y", kyc.ErrIDFormat},
		{"110105-9491231002X", kyc.ErrIDFormat},
		{"１1010519491231002X", kyc.ErrIDFormat}, // full-width digit
		{"110105194912310X2X", kyc.ErrIDFormat},
		{"110105194912310021", kyc.ErrIDChecksum},
		{"110105194912310020", kyc.ErrIDChecksum},
		{"11010519491231003X", kyc.ErrIDChecksum},
		{withCheck("00010519491231002"), kyc.ErrIDRegion},
		{withCheck("10010519491231002"), kyc.ErrIDRegion},
		{withCheck("16010519491231002"), kyc.ErrIDRegion},
		{withCheck("24010519491231002"), kyc.ErrIDRegion},
		{withCheck("55010519491231002"), kyc.ErrIDRegion},
		{withCheck("72010519491231002"), kyc.ErrIDRegion},
		{withCheck("84010519491231002"), kyc.ErrIDRegion},
		{withCheck("99010519491231002"), kyc.ErrIDRegion},
		{withCheck("11010518991231002"), kyc.ErrIDBirthDate}, // before 1900
		{withCheck("11010519000229002"), kyc.ErrIDBirthDate}, // 1900 is no leap year
		{withCheck("11010519990230002"), kyc.ErrIDBirthDate},
		{withCheck("11010519991301002"), kyc.ErrIDBirthDate},
		{withCheck("11010519990001002"), kyc.ErrIDBirthDate},
		{withCheck("11010519990100002"), kyc.ErrIDBirthDate},
		{withCheck("11010519990431002"), kyc.ErrIDBirthDate},
		{withCheck("11010520250602002"), kyc.ErrIDBirthDate}, // tomorrow
		{withCheck("11010599991231002"), kyc.ErrIDBirthDate},
	}
	for _, tt := range tests {
		got, err := kyc.ValidResidentID(tt.id, testNow)
		if !errors.Is(err, tt.want) || got != (kyc.ResidentID{}) {
			t.Errorf("ValidResidentID(%q) = %#v, %v; want error %v", tt.id, got, err, tt.want)
		}
	}
}

// TestValidResidentIDSingleErrors checks that every change of one digit and
// every swap of two different adjacent digits of a valid number is caught
// by the check character, as ISO 7064 MOD 11-2 guarantees.
func TestValidResidentIDSingleErrors(t *testing.T) {
	valid := []string{"11010519491231002X", withCheck("31010119900307123"), withCheck("44030520000229004")}
	for _, id := range valid {
		for i := range 18 {
			for _, c := range "0123456789X" {
				changed := id[:i] + string(c) + id[i+1:]
				if changed == id || (c == 'X' && i < 17) {
					continue
				}
				if _, err := kyc.ValidResidentID(changed, testNow); !errors.Is(err, kyc.ErrIDChecksum) {
					t.Errorf("ValidResidentID(%q) (from %q) error = %v, want ErrIDChecksum", changed, id, err)
				}
			}
		}
		for i := range 16 {
			if id[i] == id[i+1] {
				continue
			}
			swapped := id[:i] + id[i+1:i+2] + id[i:i+1] + id[i+2:]
			if _, err := kyc.ValidResidentID(swapped, testNow); !errors.Is(err, kyc.ErrIDChecksum) {
				t.Errorf("ValidResidentID(%q) (from %q) error = %v, want ErrIDChecksum", swapped, id, err)
			}
		}
	}
}

// TestValidResidentIDChinaDate checks that "today" is the date in China:
// at 01:00 on 1 June in Beijing it is still 31 May in UTC.
func TestValidResidentIDChinaDate(t *testing.T) {
	id := withCheck("11010520240601002")
	tests := []struct {
		now  time.Time
		want error
	}{
		{time.Date(2024, 5, 31, 15, 59, 59, 0, time.UTC), kyc.ErrIDBirthDate},
		{time.Date(2024, 5, 31, 16, 0, 0, 0, time.UTC), nil},
		{time.Date(2024, 5, 31, 12, 0, 0, 0, time.FixedZone("EDT", -4*60*60)), nil},
	}
	for _, tt := range tests {
		if _, err := kyc.ValidResidentID(id, tt.now); !errors.Is(err, tt.want) {
			t.Errorf("ValidResidentID(%q, %v) error = %v, want %v", id, tt.now, err, tt.want)
		}
	}
}

func TestValidResidentIDErrorsHideNumber(t *testing.T) {
	for _, id := range []string{"110105194912310021", withCheck("99010519491231002"), withCheck("11010599991231002"), "11010519491231002"} {
		_, err := kyc.ValidResidentID(id, testNow)
		if err == nil || strings.Contains(err.Error(), id[6:14]) {
			t.Errorf("ValidResidentID(%q) error %q reveals the birth date or is nil", id, err)
		}
	}
}

func TestIDCheckCharInvalid(t *testing.T) {
	for _, in := range []string{"", "1101051949123100", "110105194912310021", "1101051949123100a", "1101051949123100\x00"} {
		if c := kyc.IDCheckChar(in); c != 0 {
			t.Errorf("IDCheckChar(%q) = %q, want 0", in, c)
		}
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "110***********002X"},
		{"11010519491231002x", "110***********002x"},
		{"E12345678", "E1*****78"},
		{"G1234567890123", "G12********123"},
		{"AB12345", "A*****5"},
		{"1234", "1**4"},
		{"123", "***"},
		{"", ""},
		{"张三丰李四王五赵六", "张三*****赵六"},
		{"ab\xffcdefgh", "ab*****gh"},
	}
	for _, tt := range tests {
		got := kyc.MaskID(tt.in)
		if got != tt.want {
			t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if utf8.RuneCountInString(got) != utf8.RuneCountInString(tt.in) {
			t.Errorf("MaskID(%q) = %q changes the length", tt.in, got)
		}
	}
}

func TestResidentIDPrintsMasked(t *testing.T) {
	r, err := kyc.ValidResidentID("11010519491231002X", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%v %s %+v", r, r, r)} {
		if strings.Contains(s, r.Number) || !strings.Contains(s, "110***********002X") {
			t.Errorf("printed ResidentID %q is not masked", s)
		}
	}
}
