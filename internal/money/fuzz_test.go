package money_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

// fuzzCurrencies covers every exponent in List One, the largest supported
// exponent, a code without minor units and the zero Currency.
var fuzzCurrencies = []money.Currency{
	money.MustLookup("CNY"),
	money.MustLookup("JPY"),
	money.MustLookup("KWD"),
	money.MustLookup("CLF"),
	exp18,
	money.MustLookup("XAU"),
	noCurrency,
}

func FuzzParseAmount(f *testing.F) {
	seeds := []string{
		"", "0", "12.5", "12.50", "12.345", "007.50", "-1", "+1", "-0", "1.0",
		"1,000", "1e3", "0x10", ".5", "5.", "1.2.3", " 1", "1 ", "١٢", "NaN",
		"92233720368547758.07", "92233720368547758.08", "-92233720368547758.08",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"18446744073709551616", "0.000000000000000001", "9.223372036854775808",
		strings.Repeat("0", 40) + "1",
	}
	for _, s := range seeds {
		for i := range fuzzCurrencies {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, index uint8) {
		c := fuzzCurrencies[int(index)%len(fuzzCurrencies)]
		checkParseAgainstReference(t, s, c, false)
		checkParseAgainstReference(t, s, c, true)
	})
}

func checkParseAgainstReference(t *testing.T, s string, c money.Currency, signed bool) {
	parse, name := money.ParseAmount, "ParseAmount"
	if signed {
		parse, name = money.ParseSignedAmount, "ParseSignedAmount"
	}
	got, err := parse(s, c)
	want, wantErr := referenceParse(s, c, signed)
	if got != want || !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
		t.Fatalf("%s(%q, %s) = %d, %v; reference says %d, %v", name, s, c, got, err, want, wantErr)
	}
	if err != nil {
		checkParseErrorText(t, name, s, c, err)
		return
	}
	if !signed && got < 0 {
		t.Fatalf("ParseAmount(%q, %s) = %d < 0", s, c, got)
	}
	formatted := money.FormatAmount(got, c)
	if norm := normalise(s, c); formatted != norm {
		t.Fatalf("FormatAmount(%s(%q, %s)) = %q, want normalised %q", name, s, c, formatted, norm)
	}
	again, err := money.ParseSignedAmount(formatted, c)
	if err != nil || again != got {
		t.Fatalf("ParseSignedAmount(%q, %s) = %d, %v; want %d", formatted, c, again, err, got)
	}
}

func checkParseErrorText(t *testing.T, name, s string, c money.Currency, err error) {
	msg := err.Error()
	if !strings.HasPrefix(msg, "money: parse ") {
		t.Fatalf("%s(%q, %s) error %q lacks context prefix", name, s, c, msg)
	}
	if len(s) <= 64 && !strings.Contains(msg, strconv.Quote(s)) {
		t.Fatalf("%s(%q, %s) error %q does not quote the input", name, s, c, msg)
	}
}

func FuzzFormatParseRoundTrip(f *testing.F) {
	for _, x := range []int64{0, 1, -1, 5, -5, 1250, 99, 100, 101, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		for _, i := range []uint16{0, 1, 2, 3, 100, 178, 179} {
			f.Add(x, i)
		}
	}
	currencies := append(money.All(), exp18)
	f.Fuzz(func(t *testing.T, x int64, index uint16) {
		c := currencies[int(index)%len(currencies)]
		if !c.HasMinorUnits() {
			if s := money.FormatAmount(x, c); !strings.HasPrefix(s, "%!money(") {
				t.Fatalf("FormatAmount(%d, %s) = %q, want %%!money marker", x, c, s)
			}
			return
		}
		checkRoundTrip(t, x, c)
	})
}

func FuzzArithmetic(f *testing.F) {
	for _, a := range []int64{0, 1, -1, 3037000500, math.MaxInt64, math.MinInt64} {
		for _, b := range []int64{0, 1, -1, 2, -2, math.MaxInt64, math.MinInt64} {
			f.Add(a, b)
		}
	}
	f.Fuzz(func(t *testing.T, a, b int64) {
		checkAgainstBig(t, a, b)
	})
}
