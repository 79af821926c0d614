package money_test

import (
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

// mustLookup is MustLookup that reports failure through t instead of a panic.
func mustLookup(t testing.TB, code string) money.Currency {
	t.Helper()
	c, err := money.Lookup(code)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", code, err)
	}
	return c
}

// Hand-built currencies exercising the largest supported exponent and
// invalid Currency values.
var (
	exp18      = money.Currency{Code: "E18", Exponent: 18}
	exp19      = money.Currency{Code: "E19", Exponent: 19}
	noCurrency = money.Currency{}
)

var referenceAmountRE = regexp.MustCompile(`^([0-9]+)(?:\.([0-9]+))?$`)

// referenceParse is an independent implementation of the ParseAmount and
// ParseSignedAmount rules, built on regexp and math/big, used as a test
// oracle. It returns bare sentinels.
func referenceParse(s string, c money.Currency, signed bool) (int64, error) {
	if c.Code == "" || c.Exponent > 18 {
		return 0, money.ErrUnknownCurrency
	}
	if !c.HasMinorUnits() {
		return 0, money.ErrNoMinorUnits
	}
	if s == "" {
		return 0, money.ErrEmptyAmount
	}
	if strings.HasPrefix(s, "+") || (strings.HasPrefix(s, "-") && !signed) {
		return 0, money.ErrSignNotAllowed
	}
	body, negative := strings.CutPrefix(s, "-")
	m := referenceAmountRE.FindStringSubmatch(body)
	if m == nil {
		return 0, money.ErrAmountSyntax
	}
	whole, frac := m[1], m[2]
	if len(frac) > c.Exponent {
		return 0, money.ErrTooManyDecimals
	}
	n, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", c.Exponent-len(frac)), 10)
	if !ok {
		panic("referenceParse: regexp admitted non-digits: " + s)
	}
	if negative {
		n.Neg(n)
	}
	if !n.IsInt64() {
		return 0, money.ErrAmountOutOfRange
	}
	return n.Int64(), nil
}

// referenceFormat formats minor units with math/big's exact rational
// arithmetic, as an oracle for FormatAmount.
func referenceFormat(minor int64, c money.Currency) string {
	denominator := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.Exponent)), nil)
	r := new(big.Rat).SetFrac(big.NewInt(minor), denominator)
	return r.FloatString(c.Exponent)
}

// normalise rewrites an amount accepted by the parser into the form
// FormatAmount produces: no redundant leading zeros, exactly
// c.Exponent fractional digits, and no sign on zero.
func normalise(s string, c money.Currency) string {
	body, negative := strings.CutPrefix(s, "-")
	whole, frac, _ := strings.Cut(body, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac += strings.Repeat("0", c.Exponent-len(frac))
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if negative && strings.Trim(whole+frac, "0") != "" {
		out = "-" + out
	}
	return out
}
