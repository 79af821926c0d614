package money_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{1250, "CNY", "12.50"},
		{1200, "CNY", "12.00"},
		{1, "CNY", "0.01"},
		{10, "CNY", "0.10"},
		{0, "CNY", "0.00"},
		{-5, "CNY", "-0.05"},
		{-1250, "CNY", "-12.50"},
		{100, "JPY", "100"},
		{0, "JPY", "0"},
		{-7, "JPY", "-7"},
		{1234, "KWD", "1.234"},
		{1, "BHD", "0.001"},
		{12345, "CLF", "1.2345"},
		{1, "UYW", "0.0001"},
		{math.MaxInt64, "CNY", "92233720368547758.07"},
		{math.MinInt64, "CNY", "-92233720368547758.08"},
		{math.MinInt64 + 1, "CNY", "-92233720368547758.07"},
		{math.MaxInt64, "JPY", "9223372036854775807"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
		{math.MinInt64, "KWD", "-9223372036854775.808"},
		{math.MinInt64, "CLF", "-922337203685477.5808"},
		{math.MinInt64, "E18", "-9.223372036854775808"},
		{1, "E18", "0.000000000000000001"},
		{-1, "E18", "-0.000000000000000001"},
	}
	for _, tt := range tests {
		c := currencyOrSpecial(t, tt.code)
		if got := money.FormatAmount(tt.minor, c); got != tt.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tt.minor, tt.code, got, tt.want)
		}
		if ref := referenceFormat(tt.minor, c); ref != tt.want {
			t.Errorf("referenceFormat(%d, %s) = %q, table says %q", tt.minor, tt.code, ref, tt.want)
		}
	}
}

func TestFormatAmountWithoutMinorUnits(t *testing.T) {
	tests := []struct {
		c       money.Currency
		wantErr error
		want    string
	}{
		{mustLookup(t, "XAU"), money.ErrNoMinorUnits, "%!money(5 XAU: currency has no minor units)"},
		{mustLookup(t, "XXX"), money.ErrNoMinorUnits, "%!money(5 XXX: currency has no minor units)"},
		{noCurrency, money.ErrUnknownCurrency, "%!money(5 <zero Currency>: unknown currency)"},
		{exp19, money.ErrUnknownCurrency, "%!money(5 E19: unknown currency)"},
	}
	for _, tt := range tests {
		got := money.FormatAmount(5, tt.c)
		if got != tt.want {
			t.Errorf("FormatAmount(5, %s) = %q, want %q", tt.c, got, tt.want)
		}
		if _, err := money.ParseSignedAmount(strings.TrimPrefix(got, "-"), mustLookup(t, "CNY")); err == nil {
			t.Errorf("FormatAmount(5, %s) = %q parses as an amount", tt.c, got)
		}

		dst := []byte("prefix")
		out, err := money.AppendAmount(dst, 5, tt.c)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("AppendAmount(5, %s) error = %v, want %v", tt.c, err, tt.wantErr)
		}
		if string(out) != "prefix" {
			t.Errorf("AppendAmount(5, %s) changed dst to %q on error", tt.c, out)
		}
	}
}

func TestAppendAmount(t *testing.T) {
	out, err := money.AppendAmount([]byte("total="), -1250, mustLookup(t, "CNY"))
	if err != nil || string(out) != "total=-12.50" {
		t.Errorf("AppendAmount = %q, %v; want %q", out, err, "total=-12.50")
	}
}

// edgeInt64s are values around every power of ten and the int64 limits.
func edgeInt64s() []int64 {
	xs := []int64{0, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1}
	for p := int64(1); ; p *= 10 {
		for _, x := range []int64{p - 1, p, p + 1} {
			xs = append(xs, x, -x)
		}
		if p > math.MaxInt64/10 {
			return xs
		}
	}
}

func TestFormatParseRoundTripEveryCurrency(t *testing.T) {
	currencies := append(money.All(), exp18)
	for _, c := range currencies {
		if !c.HasMinorUnits() {
			continue
		}
		for _, x := range edgeInt64s() {
			checkRoundTrip(t, x, c)
		}
	}
}

// checkRoundTrip asserts that FormatAmount(x, c) matches the reference
// formatter and parses back to x.
func checkRoundTrip(t *testing.T, x int64, c money.Currency) {
	t.Helper()
	s := money.FormatAmount(x, c)
	if want := referenceFormat(x, c); s != want {
		t.Fatalf("FormatAmount(%d, %s) = %q, want %q", x, c, s, want)
	}
	got, err := money.ParseSignedAmount(s, c)
	if err != nil || got != x {
		t.Fatalf("ParseSignedAmount(FormatAmount(%d, %s) = %q) = %d, %v", x, c, s, got, err)
	}
	if x >= 0 {
		got, err := money.ParseAmount(s, c)
		if err != nil || got != x {
			t.Fatalf("ParseAmount(FormatAmount(%d, %s) = %q) = %d, %v", x, c, s, got, err)
		}
	}
}
