package money_test

import (
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/money"
)

func ExampleParseAmount() {
	cny := money.MustLookup("CNY")
	for _, s := range []string{"12.5", "12.345", "1,000", "-1"} {
		minor, err := money.ParseAmount(s, cny)
		fmt.Println(minor, err)
	}
	// Output:
	// 1250 <nil>
	// 0 money: parse "12.345" as CNY: too many decimal places (at most 2)
	// 0 money: parse "1,000" as CNY: invalid amount syntax
	// 0 money: parse "-1" as CNY: sign not allowed
}

func ExampleFormatAmount() {
	fmt.Println(money.FormatAmount(1250, money.MustLookup("CNY")))
	fmt.Println(money.FormatAmount(100, money.MustLookup("JPY")))
	fmt.Println(money.FormatAmount(-1234, money.MustLookup("KWD")))
	// Output:
	// 12.50
	// 100
	// -1.234
}

func ExampleAmount_Add() {
	cny := money.MustLookup("CNY")
	total, err := money.Amount{Minor: 1250, Currency: cny}.Add(money.Amount{Minor: 99, Currency: cny})
	fmt.Println(total, err)

	_, err = total.Add(money.Amount{Minor: 1, Currency: money.MustLookup("USD")})
	fmt.Println(errors.Is(err, money.ErrCurrencyMismatch))
	// Output:
	// 13.49 CNY <nil>
	// true
}

func ExampleLookup() {
	c, err := money.Lookup("BHD")
	fmt.Println(c.Code, c.NumericCode(), c.Exponent, err)

	_, err = money.Lookup("bhd")
	fmt.Println(errors.Is(err, money.ErrUnknownCurrency), err)
	// Output:
	// BHD 048 3 <nil>
	// true money: currency code "bhd": unknown currency
}
