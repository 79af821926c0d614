package emvqr

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

// statedAliases maps the field names some sources use (go-khqr, odoo,
// promptparse) to tag paths. Names not listed and not tag paths (proxy
// types, scheme-specific account fields, timestamps) are not checked.
var statedAliases = map[string]string{
	"PayloadFormatIndicator": "00", "PointOfInitiationMethod": "01",
	"MerchantCategoryCode": "52", "TransactionCurrency": "53", "TransactionAmount": "54",
	"CountryCode": "58", "MerchantName": "59", "MerchantCity": "60", "CRC": "63", "crc": "63",
	"BillNumber": "62.01", "MobileNumber": "62.02", "StoreLabel": "62.03",
	"TerminalLabel": "62.07", "Purpose": "62.08", "AltLanguagePreference": "64.00",
	"AltMerchantName": "64.01", "AltMerchantCity": "64.02", "city": "60", "amount": "54",
}

// statedSkips are stated values that this package reads differently, each
// covered by a dedicated test.
var statedSkips = map[string]string{
	"vn-napas-6.1.1-static-account 38.01.00": "NAPAS typo; see TestNAPASTableRowTypo",
	"vn-napas-6.1.1-static-account 38.01.01": "NAPAS typo; see TestNAPASTableRowTypo",
}

var tagPath = regexp.MustCompile(`^\d\d(\.\d\d)*$`)

// statedPath turns a key such as "54 amount", "26.01 key" or "MerchantName"
// into a tag path, or "".
func statedPath(key string) string {
	if p, ok := statedAliases[key]; ok {
		return p
	}
	first, _, _ := strings.Cut(key, " ")
	if tagPath.MatchString(first) {
		return first
	}
	return ""
}

// statedValues splits "100 / 100.5" into alternatives and drops comments
// such as the one in "12 (dynamic)".
func statedValues(v any) []string {
	switch v := v.(type) {
	case float64:
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}
	case string:
		alts := strings.Split(v, " / ")
		for i, a := range alts {
			if j := strings.Index(a, " ("); j > 0 {
				alts[i] = a[:j]
			}
		}
		return alts
	}
	return nil
}

// checkStated compares the fields a source states with the decoded tags
// and named fields.
func checkStated(t *testing.T, c vector, p *Payload) {
	t.Helper()
	for key, v := range c.Stated {
		path := statedPath(key)
		if path == "" {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			for k, sv := range sub {
				checkStatedValue(t, c, p, path+"."+statedPath(k), sv)
			}
			continue
		}
		checkStatedValue(t, c, p, path, v)
	}
}

func checkStatedValue(t *testing.T, c vector, p *Payload, path string, v any) {
	t.Helper()
	if strings.HasSuffix(path, ".") || statedSkips[c.ID+" "+path] != "" {
		return
	}
	got, ok := p.Get(path)
	want := statedValues(v)
	if !ok && slices.Contains(want, "absent") {
		return
	}
	if !ok || !matchesStated(path, got, want) {
		t.Errorf("tag %s = %q (found %v), source states %q", path, got, ok, want)
	}
	if named := namedField(p, path); named != nil && *named != got {
		t.Errorf("named field for %s = %q, tag has %q", path, *named, got)
	}
	if path == "53" {
		checkCurrencyName(t, p)
	}
}

// matchesStated compares exactly, or numerically for amounts stated as
// numbers ("30" for "30.00").
func matchesStated(path, got string, want []string) bool {
	for _, w := range want {
		if got == w {
			return true
		}
		g, err1 := strconv.ParseFloat(got, 64)
		f, err2 := strconv.ParseFloat(w, 64)
		if path == "54" && err1 == nil && err2 == nil && g == f {
			return true
		}
	}
	return false
}

func namedField(p *Payload, path string) *string {
	switch path {
	case "53":
		return &p.CurrencyNumeric
	case "62.01":
		if p.AdditionalData != nil {
			return &p.AdditionalData.BillNumber
		}
	case "64.01":
		if p.Language != nil {
			return &p.Language.Name
		}
	}
	return p.primitive(path)
}

// checkCurrencyName checks the alphabetic code and the minor units.
func checkCurrencyName(t *testing.T, p *Payload) {
	t.Helper()
	n, _ := strconv.Atoi(p.CurrencyNumeric)
	cur, err := money.LookupNumeric(n)
	if err != nil {
		if p.Currency != "" {
			t.Errorf("Currency = %q for unknown %s", p.Currency, p.CurrencyNumeric)
		}
		return
	}
	if p.Currency != cur.Code {
		t.Errorf("Currency = %q, want %s", p.Currency, cur.Code)
	}
	if p.Amount == "" || !p.AmountParsed {
		return
	}
	if got := money.FormatAmount(p.AmountMinor, cur); !matchesStated("54", got, []string{p.Amount}) {
		t.Errorf("AmountMinor %d %s = %s, amount is %s", p.AmountMinor, cur.Code, got, p.Amount)
	}
}

// TestStatedFieldsCount makes sure the stated-field checks run at all.
func TestStatedFieldsCount(t *testing.T) {
	n := 0
	for _, c := range loadVectors(t).Cases {
		for key, v := range c.Stated {
			if path := statedPath(key); path != "" {
				if sub, ok := v.(map[string]any); ok {
					n += len(sub)
				} else {
					n++
				}
			}
		}
	}
	if n < 490 {
		t.Errorf("only %d stated fields are checked", n)
	}
	t.Logf("%d stated fields checked", n)
}
