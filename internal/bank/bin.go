package bank

import "strings"

// CardType says whether a card draws on the holder's own money (debit) or
// on a line of credit.
type CardType string

// Card types. CardUnknown is returned when only the card network is known.
const (
	CardDebit   CardType = "debit"
	CardCredit  CardType = "credit"
	CardUnknown CardType = "unknown"
)

// Card networks, as reported in BIN.Network.
const (
	NetworkUnionPay   = "UnionPay"
	NetworkVisa       = "Visa"
	NetworkMastercard = "Mastercard"
	NetworkAmex       = "Amex"
	NetworkJCB        = "JCB"
	NetworkDiscover   = "Discover"
	NetworkDiners     = "Diners"
)

// BIN describes the issuer of a card, identified by the leading digits of
// its number (the Bank Identification Number, or Issuer Identification
// Number in ISO/IEC 7812).
type BIN struct {
	// Prefix is the leading digits of the card number that matched.
	Prefix string
	// Issuer is the issuing bank's English name, or "" when only the
	// network is known.
	Issuer string
	// Network is one of the Network constants.
	Network string
	// Type is CardDebit or CardCredit for a known issuer BIN, CardUnknown
	// for a network-level match.
	Type CardType
}

// LookupBIN identifies the issuer and network of a card from its leading
// digits, by longest-prefix match over the table compiled into this
// package: the issuer BINs of the main Chinese banks, then the network
// ranges. pan may be a whole card number or only its first digits (as the
// user types); spaces and hyphens are ignored and no Luhn check is done. It
// returns false if pan has anything other than digits, spaces and hyphens,
// more than 19 digits, or no known prefix.
func LookupBIN(pan string) (BIN, bool) {
	digits, ok := binDigits(pan)
	if !ok {
		return BIN{}, false
	}
	best := -1
	for i, r := range binTable {
		if r.matches(digits) && (best < 0 || len(r.lo) > len(binTable[best].lo)) {
			best = i
		}
	}
	if best < 0 {
		return BIN{}, false
	}
	r := binTable[best]
	return BIN{Prefix: digits[:len(r.lo)], Issuer: r.issuer, Network: r.network, Type: r.typ}, true
}

// binDigits strips spaces and hyphens from s, and reports whether what is
// left is 1 to 19 ASCII digits.
func binDigits(s string) (string, bool) {
	digits := strings.NewReplacer(" ", "", "-", "").Replace(s)
	if digits == "" || len(digits) > MaxPANLength {
		return "", false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", false
		}
	}
	return digits, true
}

// binRange is a row of the BIN table: card numbers whose first len(lo)
// digits lie between lo and hi inclusive. lo and hi have the same length,
// so comparing them as strings compares them as numbers.
type binRange struct {
	lo, hi  string
	issuer  string
	network string
	typ     CardType
}

func (r binRange) matches(digits string) bool {
	if len(digits) < len(r.lo) {
		return false
	}
	p := digits[:len(r.lo)]
	return r.lo <= p && p <= r.hi
}

// issuer returns a table row for one issuer BIN.
func issuer(prefix, name, network string, typ CardType) binRange {
	return binRange{lo: prefix, hi: prefix, issuer: name, network: network, typ: typ}
}

// network returns a table row for a range of prefixes of a card network.
func network(lo, hi, name string) binRange {
	return binRange{lo: lo, hi: hi, network: name, typ: CardUnknown}
}
