package money_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

type parseCase struct {
	in      string
	code    string
	want    int64
	wantErr error
}

// checkParse runs parse on every case and also checks that the reference
// implementation agrees, so the oracle used by the fuzzers is itself tested.
func checkParse(t *testing.T, name string, signed bool, cases []parseCase) {
	t.Helper()
	parse := money.ParseAmount
	if signed {
		parse = money.ParseSignedAmount
	}
	for _, tt := range cases {
		c := currencyOrSpecial(t, tt.code)
		got, err := parse(tt.in, c)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s(%q, %s): unexpected error %v", name, tt.in, tt.code, err)
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Errorf("%s(%q, %s) = %d, %v; want error %v", name, tt.in, tt.code, got, err, tt.wantErr)
		case tt.wantErr != nil && got != 0:
			t.Errorf("%s(%q, %s) returned %d along with error", name, tt.in, tt.code, got)
		case tt.wantErr == nil && got != tt.want:
			t.Errorf("%s(%q, %s) = %d, want %d", name, tt.in, tt.code, got, tt.want)
		}
		refGot, refErr := referenceParse(tt.in, c, signed)
		if refGot != tt.want || !errors.Is(refErr, tt.wantErr) {
			t.Errorf("reference %s(%q, %s) = %d, %v; table says %d, %v", name, tt.in, tt.code, refGot, refErr, tt.want, tt.wantErr)
		}
	}
}

func currencyOrSpecial(t *testing.T, code string) money.Currency {
	switch code {
	case "E18":
		return exp18
	case "E19":
		return exp19
	case "":
		return noCurrency
	}
	return mustLookup(t, code)
}

func TestParseAmountValid(t *testing.T) {
	checkParse(t, "ParseAmount", false, []parseCase{
		{"12.5", "CNY", 1250, nil},
		{"12.50", "CNY", 1250, nil},
		{"12", "CNY", 1200, nil},
		{"0.01", "CNY", 1, nil},
		{"0.1", "CNY", 10, nil},
		{"0", "CNY", 0, nil},
		{"0.0", "CNY", 0, nil},
		{"0.00", "CNY", 0, nil},
		{"007.50", "CNY", 750, nil},
		{"00000000000000000000000000000000000001", "CNY", 100, nil},
		{"100", "JPY", 100, nil},
		{"0", "JPY", 0, nil},
		{"1.234", "KWD", 1234, nil},
		{"1.2", "KWD", 1200, nil},
		{"0.001", "BHD", 1, nil},
		{"1.2345", "CLF", 12345, nil},
		{"1", "UYW", 10000, nil},
		{"1.5", "USD", 150, nil},
		{"92233720368547758.07", "CNY", math.MaxInt64, nil},
		{"9223372036854775807", "JPY", math.MaxInt64, nil},
		{"9223372036854775.807", "KWD", math.MaxInt64, nil},
		{"922337203685477.5807", "CLF", math.MaxInt64, nil},
		{"9.223372036854775807", "E18", math.MaxInt64, nil},
		{"0.000000000000000001", "E18", 1, nil},
	})
}

func TestParseAmountErrors(t *testing.T) {
	checkParse(t, "ParseAmount", false, []parseCase{
		{"", "CNY", 0, money.ErrEmptyAmount},
		{"", "JPY", 0, money.ErrEmptyAmount},

		{"abc", "CNY", 0, money.ErrAmountSyntax},
		{"1a", "CNY", 0, money.ErrAmountSyntax},
		{"a1", "CNY", 0, money.ErrAmountSyntax},
		{" 1", "CNY", 0, money.ErrAmountSyntax},
		{"1 ", "CNY", 0, money.ErrAmountSyntax},
		{"\t1", "CNY", 0, money.ErrAmountSyntax},
		{"1\n", "CNY", 0, money.ErrAmountSyntax},
		{"1 000", "CNY", 0, money.ErrAmountSyntax},
		{"1\u00a0000", "CNY", 0, money.ErrAmountSyntax},
		{"1,000", "CNY", 0, money.ErrAmountSyntax},
		{"1,5", "CNY", 0, money.ErrAmountSyntax},
		{"1'000", "CNY", 0, money.ErrAmountSyntax},
		{"1_000", "CNY", 0, money.ErrAmountSyntax},
		{"1e3", "CNY", 0, money.ErrAmountSyntax},
		{"1E3", "CNY", 0, money.ErrAmountSyntax},
		{"1.5e2", "CNY", 0, money.ErrAmountSyntax},
		{"0x10", "CNY", 0, money.ErrAmountSyntax},
		{"0b1", "CNY", 0, money.ErrAmountSyntax},
		{".5", "CNY", 0, money.ErrAmountSyntax},
		{"5.", "CNY", 0, money.ErrAmountSyntax},
		{"5.", "JPY", 0, money.ErrAmountSyntax},
		{".", "CNY", 0, money.ErrAmountSyntax},
		{"1.2.3", "CNY", 0, money.ErrAmountSyntax},
		{"1.2.3", "JPY", 0, money.ErrAmountSyntax},
		{"1..2", "CNY", 0, money.ErrAmountSyntax},
		{"1.-5", "CNY", 0, money.ErrAmountSyntax},
		{"1-", "CNY", 0, money.ErrAmountSyntax},
		{"1:30", "CNY", 0, money.ErrAmountSyntax}, // ':' follows '9' in ASCII
		{"1/2", "CNY", 0, money.ErrAmountSyntax},  // '/' precedes '0'
		{"12.345x", "CNY", 0, money.ErrAmountSyntax},
		{"١٢", "CNY", 0, money.ErrAmountSyntax},  // Arabic-Indic digits
		{"１２", "CNY", 0, money.ErrAmountSyntax},  // full-width digits
		{"1.５", "CNY", 0, money.ErrAmountSyntax}, // full-width fraction digit
		{"²", "CNY", 0, money.ErrAmountSyntax},   // superscript two
		{"NaN", "CNY", 0, money.ErrAmountSyntax}, // float specials
		{"Inf", "CNY", 0, money.ErrAmountSyntax},
		{"Infinity", "CNY", 0, money.ErrAmountSyntax},
		{"12.5\x00", "CNY", 0, money.ErrAmountSyntax},
		{"\ufeff1", "CNY", 0, money.ErrAmountSyntax}, // byte-order mark
		{"¥1", "CNY", 0, money.ErrAmountSyntax},
		{"1 CNY", "CNY", 0, money.ErrAmountSyntax},

		{"-1", "CNY", 0, money.ErrSignNotAllowed},
		{"+1", "CNY", 0, money.ErrSignNotAllowed},
		{"-0", "CNY", 0, money.ErrSignNotAllowed},
		{"+0", "JPY", 0, money.ErrSignNotAllowed},
		{"-", "CNY", 0, money.ErrSignNotAllowed},
		{"+", "CNY", 0, money.ErrSignNotAllowed},
		{"-1.50", "CNY", 0, money.ErrSignNotAllowed},
		{"-Inf", "CNY", 0, money.ErrSignNotAllowed},
		{"+Inf", "CNY", 0, money.ErrSignNotAllowed},

		{"12.345", "CNY", 0, money.ErrTooManyDecimals},
		{"12.500", "CNY", 0, money.ErrTooManyDecimals},
		{"0.000", "CNY", 0, money.ErrTooManyDecimals},
		{"1.0", "JPY", 0, money.ErrTooManyDecimals},
		{"100.00", "JPY", 0, money.ErrTooManyDecimals},
		{"1.2345", "KWD", 0, money.ErrTooManyDecimals},
		{"1.00000", "CLF", 0, money.ErrTooManyDecimals},
		{"1.00000", "UYW", 0, money.ErrTooManyDecimals},
		{"99999999999999999999.999", "CNY", 0, money.ErrTooManyDecimals},

		{"92233720368547758.08", "CNY", 0, money.ErrAmountOutOfRange},
		{"92233720368547759", "CNY", 0, money.ErrAmountOutOfRange},
		{"100000000000000000", "CNY", 0, money.ErrAmountOutOfRange},
		{"9223372036854775808", "JPY", 0, money.ErrAmountOutOfRange},
		{"18446744073709551616", "JPY", 0, money.ErrAmountOutOfRange}, // 2^64
		{"18446744073709551615", "JPY", 0, money.ErrAmountOutOfRange}, // 2^64-1
		{"99999999999999999999999999999999", "JPY", 0, money.ErrAmountOutOfRange},
		{"9223372036854775.808", "KWD", 0, money.ErrAmountOutOfRange},
		{"922337203685477.5808", "CLF", 0, money.ErrAmountOutOfRange},
		{"9.223372036854775808", "E18", 0, money.ErrAmountOutOfRange},
		{"10", "E18", 0, money.ErrAmountOutOfRange},

		{"1", "XAU", 0, money.ErrNoMinorUnits},
		{"1", "XAG", 0, money.ErrNoMinorUnits},
		{"1", "XTS", 0, money.ErrNoMinorUnits},
		{"1", "XXX", 0, money.ErrNoMinorUnits},
		{"1", "XDR", 0, money.ErrNoMinorUnits},
		{"", "XAU", 0, money.ErrNoMinorUnits},
		{"abc", "XPT", 0, money.ErrNoMinorUnits},

		{"1", "", 0, money.ErrUnknownCurrency},
		{"1", "E19", 0, money.ErrUnknownCurrency},
	})
}

func TestParseSignedAmount(t *testing.T) {
	checkParse(t, "ParseSignedAmount", true, []parseCase{
		{"12.5", "CNY", 1250, nil},
		{"-12.5", "CNY", -1250, nil},
		{"-0.01", "CNY", -1, nil},
		{"-0", "CNY", 0, nil},
		{"-0.00", "CNY", 0, nil},
		{"-007.50", "CNY", -750, nil},
		{"-100", "JPY", -100, nil},
		{"-1.234", "KWD", -1234, nil},
		{"92233720368547758.07", "CNY", math.MaxInt64, nil},
		{"-92233720368547758.07", "CNY", -math.MaxInt64, nil},
		{"-92233720368547758.08", "CNY", math.MinInt64, nil},
		{"-9223372036854775808", "JPY", math.MinInt64, nil},
		{"-0009223372036854775808", "JPY", math.MinInt64, nil},
		{"-9223372036854775.808", "KWD", math.MinInt64, nil},
		{"-922337203685477.5808", "CLF", math.MinInt64, nil},
		{"-9.223372036854775808", "E18", math.MinInt64, nil},

		{"", "CNY", 0, money.ErrEmptyAmount},
		{"+1", "CNY", 0, money.ErrSignNotAllowed},
		{"+0", "CNY", 0, money.ErrSignNotAllowed},
		{"+-1", "CNY", 0, money.ErrSignNotAllowed},
		{"+", "CNY", 0, money.ErrSignNotAllowed},
		{"-", "CNY", 0, money.ErrAmountSyntax},
		{"--1", "CNY", 0, money.ErrAmountSyntax},
		{"-+1", "CNY", 0, money.ErrAmountSyntax},
		{"- 1", "CNY", 0, money.ErrAmountSyntax},
		{" -1", "CNY", 0, money.ErrAmountSyntax},
		{"1-", "CNY", 0, money.ErrAmountSyntax},
		{"-.5", "CNY", 0, money.ErrAmountSyntax},
		{"-5.", "CNY", 0, money.ErrAmountSyntax},
		{"\u22121", "CNY", 0, money.ErrAmountSyntax}, // U+2212 minus sign
		{"-NaN", "CNY", 0, money.ErrAmountSyntax},
		{"-Inf", "CNY", 0, money.ErrAmountSyntax},
		{"-12.345", "CNY", 0, money.ErrTooManyDecimals},
		{"-1.0", "JPY", 0, money.ErrTooManyDecimals},
		{"-92233720368547758.09", "CNY", 0, money.ErrAmountOutOfRange},
		{"-9223372036854775809", "JPY", 0, money.ErrAmountOutOfRange},
		{"92233720368547758.08", "CNY", 0, money.ErrAmountOutOfRange},
		{"-1", "XAU", 0, money.ErrNoMinorUnits},
		{"-1", "", 0, money.ErrUnknownCurrency},
	})
}

func TestParseErrorMessages(t *testing.T) {
	cny, jpy, xau := mustLookup(t, "CNY"), mustLookup(t, "JPY"), mustLookup(t, "XAU")
	tests := []struct {
		in     string
		c      money.Currency
		signed bool
		want   string
	}{
		{"", cny, false, `money: parse "" as CNY: empty amount`},
		{"1,000", cny, false, `money: parse "1,000" as CNY: invalid amount syntax`},
		{"-1", cny, false, `money: parse "-1" as CNY: sign not allowed`},
		{"+1", cny, true, `money: parse "+1" as CNY: sign not allowed`},
		{"12.345", cny, false, `money: parse "12.345" as CNY: too many decimal places (at most 2)`},
		{"1.0", jpy, false, `money: parse "1.0" as JPY: too many decimal places (at most 0)`},
		{"92233720368547758.08", cny, false, `money: parse "92233720368547758.08" as CNY: amount out of range`},
		{"1", xau, false, `money: parse "1" as XAU: currency has no minor units`},
		{"1", noCurrency, false, `money: parse "1" as <zero Currency>: unknown currency`},
		{"\x00", cny, false, `money: parse "\x00" as CNY: invalid amount syntax`},
	}
	for _, tt := range tests {
		parse := money.ParseAmount
		if tt.signed {
			parse = money.ParseSignedAmount
		}
		_, err := parse(tt.in, tt.c)
		if err == nil || err.Error() != tt.want {
			t.Errorf("parse(%q, %s) error = %v, want %q", tt.in, tt.c, err, tt.want)
		}
	}
}

func TestParseLongInputTruncatedInError(t *testing.T) {
	in := strings.Repeat("9", 10_000)
	_, err := money.ParseAmount(in, mustLookup(t, "CNY"))
	if !errors.Is(err, money.ErrAmountOutOfRange) {
		t.Fatalf("err = %v, want ErrAmountOutOfRange", err)
	}
	if msg := err.Error(); len(msg) > 200 || !strings.Contains(msg, "(10000 bytes)") {
		t.Errorf("error for 10000-byte input not truncated: %.300q", msg)
	}
}

// TestParseBoundaryEveryCurrency checks, for every currency with minor
// units, that the largest and smallest representable amounts parse and the
// next ones out do not.
func TestParseBoundaryEveryCurrency(t *testing.T) {
	for _, c := range money.All() {
		if !c.HasMinorUnits() {
			continue
		}
		for _, x := range []int64{math.MaxInt64, math.MinInt64} {
			s := referenceFormat(x, c)
			got, err := money.ParseSignedAmount(s, c)
			if err != nil || got != x {
				t.Errorf("ParseSignedAmount(%q, %s) = %d, %v; want %d", s, c, got, err, x)
			}
			beyond := bumpLastDigit(s)
			if _, err := money.ParseSignedAmount(beyond, c); !errors.Is(err, money.ErrAmountOutOfRange) {
				t.Errorf("ParseSignedAmount(%q, %s) error = %v, want ErrAmountOutOfRange", beyond, c, err)
			}
		}
	}
}

// bumpLastDigit increases the magnitude of a decimal ending in a digit
// below 9 by one unit in the last place.
func bumpLastDigit(s string) string {
	last := s[len(s)-1]
	if last == '9' {
		panic("bumpLastDigit: " + s)
	}
	return s[:len(s)-1] + string(last+1)
}
