package money

import "fmt"

// Amount is a quantity of money: an integer count of minor units of a
// currency. 12.50 CNY is Amount{Minor: 1250, Currency: MustLookup("CNY")}.
type Amount struct {
	Minor    int64
	Currency Currency
}

// String returns the amount and currency code, e.g. "12.50 CNY" or
// "-0.05 USD".
func (a Amount) String() string {
	return FormatAmount(a.Minor, a.Currency) + " " + currencyLabel(a.Currency)
}

// Add returns a+b. It fails with an error wrapping ErrCurrencyMismatch if
// the currencies differ, or ErrOverflow if the sum does not fit in int64.
func (a Amount) Add(b Amount) (Amount, error) {
	if err := sameCurrency("add", a, b); err != nil {
		return Amount{}, err
	}
	sum, err := Add(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: sum, Currency: a.Currency}, nil
}

// Sub returns a-b. It fails with an error wrapping ErrCurrencyMismatch if
// the currencies differ, or ErrOverflow if the difference does not fit in
// int64.
func (a Amount) Sub(b Amount) (Amount, error) {
	if err := sameCurrency("subtract", a, b); err != nil {
		return Amount{}, err
	}
	diff, err := Sub(a.Minor, b.Minor)
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: diff, Currency: a.Currency}, nil
}

// sameCurrency requires identical Currency values, not just equal codes, so
// that a hand-built Currency with a different exponent never mixes with the
// table entry of the same code.
func sameCurrency(op string, a, b Amount) error {
	if a.Currency == b.Currency {
		return nil
	}
	return fmt.Errorf("money: %s %s and %s: %w", op, a, b, ErrCurrencyMismatch)
}
