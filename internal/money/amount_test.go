package money_test

import (
	"errors"
	"math"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

func TestAmountString(t *testing.T) {
	tests := []struct {
		a    money.Amount
		want string
	}{
		{money.Amount{Minor: 1250, Currency: money.MustLookup("CNY")}, "12.50 CNY"},
		{money.Amount{Minor: -5, Currency: money.MustLookup("USD")}, "-0.05 USD"},
		{money.Amount{Minor: 100, Currency: money.MustLookup("JPY")}, "100 JPY"},
		{money.Amount{Minor: 1234, Currency: money.MustLookup("KWD")}, "1.234 KWD"},
		{money.Amount{Minor: math.MinInt64, Currency: money.MustLookup("CNY")}, "-92233720368547758.08 CNY"},
		{money.Amount{Minor: 3, Currency: money.MustLookup("XAU")}, "%!money(3 XAU: currency has no minor units) XAU"},
		{money.Amount{}, "%!money(0 <zero Currency>: unknown currency) <zero Currency>"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestAmountAddSub(t *testing.T) {
	cny, usd := money.MustLookup("CNY"), money.MustLookup("USD")
	yuan := func(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: cny} }
	// Same code, different exponent: must not be treated as the same currency.
	fakeCNY := money.Currency{Code: "CNY", Numeric: 156, Exponent: 0}

	tests := []struct {
		name    string
		op      func(a, b money.Amount) (money.Amount, error)
		a, b    money.Amount
		want    money.Amount
		wantErr error
	}{
		{"Add", money.Amount.Add, yuan(1250), yuan(5), yuan(1255), nil},
		{"Add", money.Amount.Add, yuan(1250), yuan(-2500), yuan(-1250), nil},
		{"Add", money.Amount.Add, yuan(math.MaxInt64), yuan(1), money.Amount{}, money.ErrOverflow},
		{"Add", money.Amount.Add, yuan(1), money.Amount{Minor: 1, Currency: usd}, money.Amount{}, money.ErrCurrencyMismatch},
		{"Add", money.Amount.Add, yuan(1), money.Amount{Minor: 1, Currency: fakeCNY}, money.Amount{}, money.ErrCurrencyMismatch},
		{"Add", money.Amount.Add, yuan(1), money.Amount{Minor: 1}, money.Amount{}, money.ErrCurrencyMismatch},
		{"Sub", money.Amount.Sub, yuan(1250), yuan(5), yuan(1245), nil},
		{"Sub", money.Amount.Sub, yuan(0), yuan(math.MaxInt64), yuan(-math.MaxInt64), nil},
		{"Sub", money.Amount.Sub, yuan(math.MinInt64), yuan(1), money.Amount{}, money.ErrOverflow},
		{"Sub", money.Amount.Sub, money.Amount{Minor: 1, Currency: usd}, yuan(1), money.Amount{}, money.ErrCurrencyMismatch},
	}
	for _, tt := range tests {
		got, err := tt.op(tt.a, tt.b)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("%s(%v, %v) = %v, %v; want %v, %v", tt.name, tt.a, tt.b, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestAmountErrorMessages(t *testing.T) {
	cny, usd := money.MustLookup("CNY"), money.MustLookup("USD")
	_, err := money.Amount{Minor: 1250, Currency: cny}.Add(money.Amount{Minor: 100, Currency: usd})
	if want := "money: add 12.50 CNY and 1.00 USD: currency mismatch"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	_, err = money.Amount{Minor: 1250, Currency: cny}.Sub(money.Amount{Minor: 100, Currency: usd})
	if want := "money: subtract 12.50 CNY and 1.00 USD: currency mismatch"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
