// Package money represents amounts of money exactly, as an int64 count of
// minor units of an ISO 4217 currency, and converts them to and from
// decimal strings.
//
// # Minor units
//
// An amount is an integer number of the currency's smallest unit: 12.50 CNY
// is 1250 fen, 100 JPY is 100 yen, 1.234 KWD is 1234 fils. The number of
// minor units per major unit is 10^Exponent, where the exponent is the
// "minor unit" column of ISO 4217 List One. The table compiled into this
// package is generated from testdata/iso4217_minor_units.json, a copy of
// List One published 2024-06-25 (see ISO4217Published and the file's
// SOURCE block); a test keeps the two in step. Codes whose minor unit is
// "N.A." in List One (gold XAU, silver XAG, SDR XDR, the testing code XTS,
// the no-currency code XXX, ...) have Exponent -1, and amounts in them can
// be neither parsed nor formatted.
//
// Floating point is never used: decimal fractions such as 0.1 have no
// exact binary representation, and float64 loses integer precision above
// 2^53. All arithmetic is on int64 with explicit overflow checks (Add, Sub,
// Mul, Neg, SumChecked), which fail with ErrOverflow instead of wrapping.
//
// # Strict parsing
//
// ParseAmount and ParseSignedAmount accept only plain ASCII decimals
// ("1250", "12.5", "0.01") with at most Exponent fractional digits. They
// reject whitespace, signs where none is expected, thousands separators,
// exponents, hex, unicode digits and excess precision, each with a distinct
// sentinel error. Amounts arrive from API clients, files and partner
// systems; accepting "1,000" or "1e3" or silently rounding "12.345" would
// make the booked amount depend on a guess about what the sender meant.
// Rejecting ambiguous input pushes the decision back to where it belongs.
//
// # Processor exponents
//
// The exponents here are the ISO 4217 ones. Card networks and payment
// processors do not always agree: some APIs treat ISK, IDR, KRW or VND
// with a different number of decimals than List One, or require amounts in
// a zero-decimal currency to be sent as multiples of 100. Converting
// between ISO minor units and a processor's representation is the job of
// that processor's connector, not of this package.
package money
