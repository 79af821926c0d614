package emvqr

import (
	"errors"
	"testing"
)

func TestDecodeSyntaxErrors(t *testing.T) {
	// 62.05 starts at offset 57 with 12 characters left in 62.
	account := "2628" + "0012D15600000000" + "0108ABCDEFGH"
	nested := "000201010212" + account + "6225" + "0105ABCDE" + "0530" + "xxxxxxxxxxxx" + "63041234"
	tests := []struct {
		name, payload, want string
	}{
		{"empty", "", "emvqr: empty payload at offset 0"},
		{"truncated header", "0002010", "emvqr: truncated: a data object needs at least 4 characters, 1 left at offset 6"},
		{"non-digit ID", "0A0201", `emvqr: invalid ID "0A" at offset 0`},
		{"non-digit length", "00A201", `emvqr: tag 00: invalid length "A2" at offset 0`},
		{"length too long", "000501", "emvqr: tag 00: length 5 exceeds remaining 2 characters at offset 0"},
		{"nested", nested, "emvqr: tag 62.05: length 30 exceeds remaining 12 characters at offset 57"},
		{"offset in characters", "000201" + "64080104最佳运输" + "5901", "emvqr: tag 59: length 1 exceeds remaining 0 characters at offset 18"},
		{"nested after CJK", "64080104最佳运输" + "6403" + "01X", "emvqr: tag 64: truncated: a data object needs at least 4 characters, 3 left at offset 16"},
		{"template not TLV", "000201" + "2604ABCD", `emvqr: tag 26: invalid ID "AB" at offset 10`},
		{"language not TLV", "6403abc", `emvqr: tag 64: truncated: a data object needs at least 4 characters, 3 left at offset 4`},
		{"CRC not last", "000201" + "6304ABCD" + "5802CN", "emvqr: tag 63: CRC is not the last data object at offset 6"},
		{"CRC length", "000201" + "6305ABCDE", "emvqr: tag 63: length 5, must be 4 at offset 6"},
		{"invalid UTF-8", "0004ab\xffc", "emvqr: invalid UTF-8 at offset 6"},
		{"invalid UTF-8 after CJK", "0004北京\xff\xfe", "emvqr: invalid UTF-8 at offset 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(tt.payload)
			var se *SyntaxError
			if p != nil || !errors.Is(err, ErrSyntax) || !errors.As(err, &se) {
				t.Fatalf("Decode = %v, %v; want a *SyntaxError", p, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestDecodeLenient lists inputs that decode although they do not
// validate: the CRC and field contents are Validate's business.
func TestDecodeLenient(t *testing.T) {
	for _, s := range []string{
		"000201",                           // no CRC
		"63041234",                         // CRC alone
		"000201" + "8104zzzz" + "63040000", // opaque unreserved template
		"6200" + "2600" + "8000",           // empty templates
		"00020163047f3a",                   // lower-case CRC, wrong
	} {
		p, err := Decode(s)
		if err != nil {
			t.Errorf("Decode(%q): %v", s, err)
			continue
		}
		if got, _ := Encode(p); got != s {
			t.Errorf("Encode(Decode(%q)) = %q", s, got)
		}
	}
}

func TestDecodeNamedFields(t *testing.T) {
	_, p := decodeVector(t, "emvco-annexB-best-transport")
	checks := []struct{ name, got, want string }{
		{"PayloadFormat", p.PayloadFormat, "01"},
		{"PointOfInitiation", p.PointOfInitiation, Dynamic},
		{"MerchantCategoryCode", p.MerchantCategoryCode, "4111"},
		{"CurrencyNumeric", p.CurrencyNumeric, "156"},
		{"Currency", p.Currency, "CNY"},
		{"Amount", p.Amount, "23.72"},
		{"TipOrConvenience", p.TipOrConvenience, "01"},
		{"Country", p.Country, "CN"},
		{"MerchantName", p.MerchantName, "BEST TRANSPORT"},
		{"MerchantCity", p.MerchantCity, "BEIJING"},
		{"StoreLabel", p.AdditionalData.StoreLabel, "1234"},
		{"CustomerLabel", p.AdditionalData.CustomerLabel, "***"},
		{"TerminalLabel", p.AdditionalData.TerminalLabel, "A6008667"},
		{"ConsumerDataRequest", p.AdditionalData.ConsumerDataRequest, "ME"},
		{"CRC", p.CRC, "A13A"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !p.Dynamic() || !p.AmountParsed || p.AmountMinor != 2372 || !p.CRCValid {
		t.Errorf("Dynamic=%v AmountMinor=%d parsed=%v CRCValid=%v", p.Dynamic(), p.AmountMinor, p.AmountParsed, p.CRCValid)
	}
	if len(p.MerchantAccounts) != 2 || p.MerchantAccounts[0].ID != "29" || p.MerchantAccounts[0].GUID != "D15600000000" ||
		p.MerchantAccounts[0].Field("05") != "A93FO3230Q" || p.MerchantAccounts[1].Field("03") != "12345678" {
		t.Errorf("MerchantAccounts = %+v", p.MerchantAccounts)
	}
	if v, ok := p.Get("91.07"); !ok || v != "12345678" {
		t.Errorf("Get(91.07) = %q, %v", v, ok)
	}
}

func TestDecodePrimitiveAccountAndRFU(t *testing.T) {
	_, p := decodeVector(t, "mvallim-decoder-success")
	m := p.MerchantAccounts[0]
	if m.ID != "02" || m.Value != "0004hoge0104abcd" || m.GUID != "" || m.Fields != nil {
		t.Errorf("primitive account 02 = %+v", m)
	}
	if v, ok := p.Get("65"); !ok || v != "00" {
		t.Errorf("RFU tag 65 = %q, %v", v, ok)
	}
	if p.ConvenienceFixed != "500" || p.ConveniencePct != "5" || p.PostalCode != "1234567" {
		t.Errorf("56/57/61 = %q %q %q", p.ConvenienceFixed, p.ConveniencePct, p.PostalCode)
	}
}

func TestAmountMinorUnits(t *testing.T) {
	tests := []struct {
		id     string
		cur    string
		minor  int64
		parsed bool
	}{
		{"vn-giautm-2", "VND", 70001, true},
		{"br-nascent-fetch-6", "BRL", 1300, true}, // "13.0"
		{"kh-khqr-decode-individual", "KHR", 500000, true},
		{"id-qris-astrapay-18", "IDR", 3900000, true},
		{"kh-khqr-decode-unsupported_currency", "", 0, false},
	}
	for _, tt := range tests {
		_, p := decodeVector(t, tt.id)
		if p.Currency != tt.cur || p.AmountMinor != tt.minor || p.AmountParsed != tt.parsed {
			t.Errorf("%s: %s %d parsed=%v, want %s %d %v", tt.id, p.Currency, p.AmountMinor, p.AmountParsed, tt.cur, tt.minor, tt.parsed)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	long := make([]byte, 100)
	for i := range long {
		long[i] = 'x'
	}
	tests := []struct {
		name string
		tags []Tag
		kind error
		want string
	}{
		{"bad ID", []Tag{{ID: "5", Value: "x"}}, ErrSyntax, "emvqr: tag 5: ID must be two digits"},
		{"too long", []Tag{{ID: "59", Value: string(long)}}, ErrInvalidField, "emvqr: tag 59 (merchant name): value is 100 characters, at most 99"},
		{"nested too long", []Tag{{ID: "62", Sub: []Tag{{ID: "05", Value: string(long)}}}}, ErrInvalidField, "emvqr: tag 62.05 (reference label): value is 100 characters, at most 99"},
		{"CRC not last", []Tag{{ID: "63"}, {ID: "00", Value: "01"}}, ErrSyntax, "emvqr: tag 63 (CRC): CRC is not the last data object"},
		{"CRC length", []Tag{{ID: "63", Value: "12345"}}, ErrInvalidField, `emvqr: tag 63 (CRC): value must be 4 characters, got "12345"`},
		{"invalid UTF-8", []Tag{{ID: "59", Value: "\xff"}}, ErrInvalidField, "emvqr: tag 59 (merchant name): value is not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := Encode(&Payload{Tags: tt.tags})
		if !errors.Is(err, tt.kind) || err.Error() != tt.want {
			t.Errorf("%s: Encode error = %v, want %s", tt.name, err, tt.want)
		}
	}
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}

func TestEncodeComputesCRCPlaceholder(t *testing.T) {
	s, err := Encode(&Payload{Tags: []Tag{{ID: "00", Value: "01"}, {ID: "63"}}})
	if err != nil || s != "0002016304"+Checksum("0002016304") {
		t.Errorf("Encode = %q, %v", s, err)
	}
}
