package emvqr

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDecode: Decode never panics, every error is a *SyntaxError, and
// whatever decodes re-encodes to the same bytes and can be validated.
func FuzzDecode(f *testing.F) {
	for _, c := range loadVectors(f).Cases {
		f.Add(c.Payload)
	}
	for _, s := range []string{"", "0", "0000", "6304", "63041234", "000201\xff", "62040100", "8104abcd", "2600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Decode(s)
		if err != nil {
			var se *SyntaxError
			if p != nil || !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Decode(%q) = %v, %v", s, p, err)
			}
			return
		}
		got, err := Encode(p)
		if err != nil || got != s {
			t.Fatalf("Encode(Decode(%q)) = %q, %v", s, got, err)
		}
		checkValidateKinds(t, p.Validate())
		_, _ = p.Get("62.05.01")
	})
}

// checkValidateKinds requires every problem to have one of the kinds.
func checkValidateKinds(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) || kindName(fe.Kind)[0] == '?' {
			t.Fatalf("unexpected problem %v", e)
		}
	}
}

// FuzzBuild: whatever Build accepts decodes, validates, carries the
// given fields and re-encodes identically; whatever it refuses is a
// *FieldError of a known kind.
func FuzzBuild(f *testing.F) {
	f.Add("SOMTAM SHOP", "BANGKOK", "A000000677010111", "0066812345678", "INV-001", "THB", int64(12050), true)
	f.Add("最佳运输", "北京", "D15600000000", "12345678", "", "CNY", int64(0), false)
	f.Add("ចន ស្មីន", "ភ្នំពញ", "khqr@devb", "", "#1", "KHR", int64(1), true)
	f.Fuzz(func(t *testing.T, name, city, guid, id, bill, cur string, amount int64, dynamic bool) {
		b := baseBuilder()
		b.Merchant.Name, b.Merchant.City, b.Currency, b.Amount, b.Dynamic = name, city, cur, amount, dynamic
		b.Accounts = []MerchantAccount{{GUID: guid, Fields: []Tag{{ID: "01", Value: id}}}}
		b.AdditionalData.BillNumber = bill
		s, err := Build(b)
		if err != nil {
			checkBuildError(t, err)
			return
		}
		p, err := Decode(s)
		if err != nil || !p.CRCValid || p.Validate() != nil {
			t.Fatalf("Build gave %q: %v", s, err)
		}
		if p.MerchantName != name || p.MerchantCity != city || p.MerchantAccounts[0].GUID != guid ||
			p.AdditionalData.BillNumber != bill || p.Currency != cur || p.Dynamic() != dynamic ||
			(amount > 0 && p.AmountMinor != amount) || (amount == 0 && p.Amount != "") {
			t.Fatalf("Build(%+v) decoded as %+v", b, p)
		}
		if again, _ := Encode(p); again != s {
			t.Fatalf("Encode(Decode(%q)) = %q", s, again)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
	})
}

func checkBuildError(t *testing.T, err error) {
	t.Helper()
	if _, joined := err.(interface{ Unwrap() []error }); joined {
		checkValidateKinds(t, err) // from Validate
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) || kindName(fe.Kind)[0] == '?' {
		t.Fatalf("Build error %v", err)
	}
}
