package emvqr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/money"
)

// Validate checks p against EMV QRCPS MPM v1.1 and returns nil or every
// problem found, joined (errors.Join), each a *FieldError or *SyntaxError
// matching ErrSyntax, ErrCRC, ErrMissing or ErrInvalidField; an excess of
// amount decimals matches ErrAmountDecimals as well as ErrInvalidField.
//
// It checks the CRC (present, last, correct); the payload format indicator
// (00: first, "01", or "02" for DuitNow); the point of initiation method
// (01: "11" or "12"); at least one merchant account (02–51), each template
// with a GUID (sub-tag 00) of at most 32 characters; the merchant category
// code (52: four digits); the currency (53: a known ISO 4217 numeric
// code); the amount (54: at most 13 characters, digits and one optional
// '.', no more decimals than the currency's exponent); the tip or
// convenience indicator and fees (55–57); the country code (58: two
// upper-case letters); merchant name (59: at most 25 characters) and city
// (60: at most 15); postal code (61: at most 10); the additional data
// (62.01–62.08: at most 25 characters each) and the language template (64:
// 00 two letters, 01 at most 25, 02 at most 15 characters). Every data
// object must have a value, and no ID may repeat within a level.
//
// Validate reads only p.Tags, the same data Encode writes.
func (p *Payload) Validate() error {
	s, err := Encode(p)
	if err != nil {
		return err
	}
	q, err := Decode(s)
	if err != nil {
		return err
	}
	return errors.Join(q.problems()...)
}

// problems returns every problem of a decoded payload, CRC first.
func (p *Payload) problems() []error {
	errs := p.checkCRC()
	errs = append(errs, checkLevel(p.Tags, "", topRules)...)
	errs = append(errs, p.checkOrder()...)
	errs = append(errs, p.checkAccounts()...)
	errs = append(errs, p.checkAmount()...)
	errs = append(errs, p.checkTip()...)
	for _, t := range p.Tags {
		if t.ID == "62" || t.ID == "64" || isAccountTemplate(t.ID) {
			errs = append(errs, checkLevel(t.Sub, t.ID, subRules[t.ID])...)
		}
	}
	return errs
}

// rule checks one data object of a level. check returns "" if the
// non-empty value v conforms, otherwise the reason.
type rule struct {
	id       string
	required bool
	check    func(v string) string
}

var topRules = []rule{
	{"00", true, oneOf("01", "02")},
	{"01", false, oneOf(Static, Dynamic)},
	{"52", true, digitsN(4)},
	{"53", true, currencyRule},
	{"54", false, amountRule},
	{"55", false, oneOf("01", "02", "03")},
	{"56", false, amountRule},
	{"57", false, percentRule},
	{"58", true, countryRule},
	{"59", true, maxLen(25)},
	{"60", true, maxLen(15)},
	{"61", false, maxLen(10)},
}

var subRules = map[string][]rule{
	"62": {
		{"01", false, maxLen(25)}, {"02", false, maxLen(25)}, {"03", false, maxLen(25)},
		{"04", false, maxLen(25)}, {"05", false, maxLen(25)}, {"06", false, maxLen(25)},
		{"07", false, maxLen(25)}, {"08", false, maxLen(25)}, {"09", false, consumerDataRule},
		{"10", false, maxLen(20)}, {"11", false, lenN(3)},
	},
	"64": {
		{"00", true, languageRule}, {"01", true, maxLen(25)}, {"02", false, maxLen(15)},
	},
}

// checkLevel applies rules to one level of tags (parent "" for the top),
// and requires every other tag to be non-empty and every ID to be unique.
func checkLevel(tags []Tag, parent string, rules []rule) []error {
	errs := checkDuplicates(tags, parent)
	ruled := make(map[string]bool)
	for _, r := range rules {
		ruled[r.id] = true
		if err := r.apply(tags, parent); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range tags {
		if t.Value == "" && t.ID != "63" && !ruled[t.ID] {
			errs = append(errs, fieldErr(joinPath(parent, t.ID), ErrInvalidField, "empty value"))
		}
	}
	return errs
}

func (r rule) apply(tags []Tag, parent string) error {
	path := joinPath(parent, r.id)
	t, ok := Find(tags, r.id)
	switch {
	case !ok && r.required:
		return fieldErr(path, ErrMissing, "missing")
	case !ok:
		return nil
	case t.Value == "" && r.required:
		return fieldErr(path, ErrMissing, "empty")
	case t.Value == "":
		return fieldErr(path, ErrInvalidField, "empty value")
	}
	if reason := r.check(t.Value); reason != "" {
		return fieldErr(path, ErrInvalidField, "%s", reason)
	}
	return nil
}

func checkDuplicates(tags []Tag, parent string) []error {
	var errs []error
	count := make(map[string]int)
	for _, t := range tags {
		if count[t.ID]++; count[t.ID] == 2 {
			errs = append(errs, fieldErr(joinPath(parent, t.ID), ErrInvalidField, "appears more than once"))
		}
	}
	return errs
}

func (p *Payload) checkCRC() []error {
	switch {
	case len(p.Tags) == 0 || p.Tags[len(p.Tags)-1].ID != "63":
		return []error{fieldErr("63", errCRCMissing, "missing")}
	case !p.CRCValid:
		s, _ := Encode(p)
		want := Checksum(s[:len(s)-len(p.CRC)])
		return []error{fieldErr("63", ErrCRC, "%q does not match the computed %s", p.CRC, want)}
	}
	return nil
}

// checkOrder requires the payload format indicator to come first.
func (p *Payload) checkOrder() []error {
	if _, ok := Find(p.Tags, "00"); ok && p.Tags[0].ID != "00" {
		return []error{fieldErr("00", ErrInvalidField, "must be the first data object")}
	}
	return nil
}

// checkAccounts requires merchant account information, and a GUID in
// each template.
func (p *Payload) checkAccounts() []error {
	if len(p.MerchantAccounts) == 0 {
		return []error{fieldErr("02-51", ErrMissing, "no merchant account information (IDs 02 to 51)")}
	}
	var errs []error
	for _, m := range p.MerchantAccounts {
		if !isAccountTemplate(m.ID) || m.Value == "" {
			continue
		}
		path := m.ID + ".00"
		if _, ok := Find(m.Fields, "00"); !ok {
			errs = append(errs, fieldErr(path, ErrMissing, "missing"))
		} else if n := utf8.RuneCountInString(m.GUID); n > 32 {
			errs = append(errs, fieldErr(path, ErrInvalidField, "%d characters, at most 32", n))
		}
	}
	return errs
}

// checkAmount compares the amount's decimals with the currency exponent.
func (p *Payload) checkAmount() []error {
	if p.Currency == "" || !amountSyntax(p.Amount) {
		return nil
	}
	cur, err := money.Lookup(p.Currency)
	if err != nil || cur.Exponent < 0 {
		return nil
	}
	if d := amountDecimals(p.Amount); d > cur.Exponent {
		return []error{fieldErr("54", ErrAmountDecimals, "%q has %d decimals, %s allows %d", p.Amount, d, cur.Code, cur.Exponent)}
	}
	return nil
}

// checkTip ties the convenience fees (56, 57) to the indicator (55).
func (p *Payload) checkTip() []error {
	var errs []error
	for _, f := range []struct{ id, indicator string }{{"56", "02"}, {"57", "03"}} {
		_, present := Find(p.Tags, f.id)
		switch {
		case p.TipOrConvenience == f.indicator && !present:
			errs = append(errs, fieldErr(f.id, ErrMissing, "required when tag 55 is %q", f.indicator))
		case present && p.TipOrConvenience != f.indicator:
			errs = append(errs, fieldErr(f.id, ErrInvalidField, "present but tag 55 is %q, not %q", p.TipOrConvenience, f.indicator))
		}
	}
	return errs
}

func oneOf(allowed ...string) func(string) string {
	return func(v string) string {
		for _, a := range allowed {
			if v == a {
				return ""
			}
		}
		return fmt.Sprintf("%q is not one of %q", v, allowed)
	}
}

func digitsN(n int) func(string) string {
	return func(v string) string {
		if len(v) != n || !isDigits(v) {
			return fmt.Sprintf("%q is not %d digits", v, n)
		}
		return ""
	}
}

func lenN(n int) func(string) string {
	return func(v string) string {
		if c := utf8.RuneCountInString(v); c != n {
			return fmt.Sprintf("%d characters, must be %d", c, n)
		}
		return ""
	}
}

func maxLen(n int) func(string) string {
	return func(v string) string {
		if c := utf8.RuneCountInString(v); c > n {
			return fmt.Sprintf("%d characters, at most %d", c, n)
		}
		return ""
	}
}

func currencyRule(v string) string {
	if reason := digitsN(3)(v); reason != "" {
		return reason
	}
	if currencyCode(v) == "" {
		return fmt.Sprintf("%q is not an ISO 4217 numeric currency code", v)
	}
	return ""
}

func amountRule(v string) string {
	if !amountSyntax(v) {
		return fmt.Sprintf("%q is not an amount (at most 13 characters: digits and one optional '.')", v)
	}
	return ""
}

// percentRule accepts a percentage from 00.01 to 99.99 (tag 57).
func percentRule(v string) string {
	f, err := strconv.ParseFloat(normalizeAmount(v), 64)
	if len(v) > 5 || !amountSyntax(v) || err != nil || f <= 0 || f >= 100 {
		return fmt.Sprintf("%q is not a percentage between 00.01 and 99.99", v)
	}
	return ""
}

func countryRule(v string) string {
	if len(v) != 2 || !isUpper(v) {
		return fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 code (two upper-case letters)", v)
	}
	return ""
}

func languageRule(v string) string {
	if len(v) != 2 || !isUpper(strings.ToUpper(v)) {
		return fmt.Sprintf("%q is not an ISO 639 two-letter code", v)
	}
	return ""
}

// consumerDataRule accepts up to three distinct letters of "AME"
// (address, mobile number, email) (tag 62.09).
func consumerDataRule(v string) string {
	seen := make(map[rune]bool)
	for _, r := range v {
		if !strings.ContainsRune("AME", r) || seen[r] {
			return fmt.Sprintf("%q is not up to three distinct letters of A, M, E", v)
		}
		seen[r] = true
	}
	return ""
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
