package emvqr

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// baseBuilder describes a valid dynamic PromptPay-style payload.
func baseBuilder() Builder {
	return Builder{
		Dynamic:        true,
		Accounts:       []MerchantAccount{{GUID: "A000000677010111", Fields: []Tag{{ID: "01", Value: "0066812345678"}}}},
		Merchant:       Merchant{CategoryCode: "5812", Country: "TH", Name: "SOMTAM SHOP", City: "BANGKOK", PostalCode: "10110"},
		Currency:       "THB",
		Amount:         12050,
		AdditionalData: AdditionalData{BillNumber: "INV-001", TerminalLabel: "T1"},
		Language:       &LanguageTemplate{Language: "TH", Name: "ร้านส้มตำ", City: "กรุงเทพ"},
	}
}

// basePayload decodes baseBuilder's payload with its CRC turned into a
// placeholder, so that edits to Tags keep a correct CRC.
func basePayload(t *testing.T) *Payload {
	t.Helper()
	s, err := Build(baseBuilder())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	p.Tags[len(p.Tags)-1].Value = ""
	return p
}

// setTag replaces the first tag with id at path "id" or "id.sub", or
// inserts it before the CRC.
func setTag(p *Payload, path, value string) {
	id, sub, nested := strings.Cut(path, ".")
	tags := &p.Tags
	if nested {
		i := slices.IndexFunc(p.Tags, func(t Tag) bool { return t.ID == id })
		tags, id = &p.Tags[i].Sub, sub
	}
	if i := slices.IndexFunc(*tags, func(t Tag) bool { return t.ID == id }); i >= 0 {
		(*tags)[i].Value = value
		return
	}
	n := len(*tags)
	if !nested {
		n-- // before the CRC
	}
	*tags = slices.Insert(*tags, n, Tag{ID: id, Value: value})
}

func deleteTag(p *Payload, path string) {
	id, sub, nested := strings.Cut(path, ".")
	tags := &p.Tags
	if nested {
		i := slices.IndexFunc(p.Tags, func(t Tag) bool { return t.ID == id })
		tags, id = &p.Tags[i].Sub, sub
	}
	*tags = slices.DeleteFunc(*tags, func(t Tag) bool { return t.ID == id })
}

func TestValidateFields(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Payload)
		want string // problemList
	}{
		{"valid", func(p *Payload) {}, ""},
		{"format 02 (DuitNow)", func(p *Payload) { setTag(p, "00", "02") }, ""},
		{"format 03", func(p *Payload) { setTag(p, "00", "03") }, "00:invalid"},
		{"format not first", func(p *Payload) { p.Tags[0], p.Tags[1] = p.Tags[1], p.Tags[0] }, "00:invalid"},
		{"no format", func(p *Payload) { deleteTag(p, "00") }, "00:missing"},
		{"static", func(p *Payload) { setTag(p, "01", "11") }, ""},
		{"no POI (optional)", func(p *Payload) { deleteTag(p, "01") }, ""},
		{"POI 13", func(p *Payload) { setTag(p, "01", "13") }, "01:invalid"},
		{"no account", func(p *Payload) { deleteTag(p, "26") }, "02-51:missing"},
		{"primitive account only", func(p *Payload) { deleteTag(p, "26"); setTag(p, "04", "5555444433332222") }, ""},
		{"empty primitive account", func(p *Payload) { setTag(p, "04", "") }, "04:invalid"},
		{"no GUID", func(p *Payload) { deleteTag(p, "26.00") }, "26.00:missing"},
		{"GUID too long", func(p *Payload) { setTag(p, "26.00", strings.Repeat("A", 33)) }, "26.00:invalid"},
		{"empty account field", func(p *Payload) { setTag(p, "26.01", "") }, "26.01:invalid"},
		{"MCC letters", func(p *Payload) { setTag(p, "52", "58A2") }, "52:invalid"},
		{"no MCC", func(p *Payload) { deleteTag(p, "52") }, "52:missing"},
		{"unknown currency", func(p *Payload) { setTag(p, "53", "000") }, "53:invalid"},
		{"alphabetic currency", func(p *Payload) { setTag(p, "53", "THB") }, "53:invalid"},
		{"no currency", func(p *Payload) { deleteTag(p, "53") }, "53:missing"},
		{"amount with trailing point", func(p *Payload) { setTag(p, "54", "120.") }, ""},
		{"amount decimals", func(p *Payload) { setTag(p, "54", "120.505") }, "54:decimals"},
		{"JPY decimals", func(p *Payload) { setTag(p, "53", "392"); setTag(p, "54", "100.5") }, "54:decimals"},
		{"amount comma", func(p *Payload) { setTag(p, "54", "1,000") }, "54:invalid"},
		{"amount two points", func(p *Payload) { setTag(p, "54", "1.0.0") }, "54:invalid"},
		{"amount 14 characters", func(p *Payload) { setTag(p, "54", "12345678901.00") }, "54:invalid"},
		{"amount empty", func(p *Payload) { setTag(p, "54", "") }, "54:invalid"},
		{"tip prompt", func(p *Payload) { setTag(p, "55", "01") }, ""},
		{"tip 04", func(p *Payload) { setTag(p, "55", "04") }, "55:invalid"},
		{"fixed fee missing", func(p *Payload) { setTag(p, "55", "02") }, "56:missing"},
		{"fixed fee", func(p *Payload) { setTag(p, "55", "02"); setTag(p, "56", "10.00") }, ""},
		{"fixed fee without 55", func(p *Payload) { setTag(p, "56", "10.00") }, "56:invalid"},
		{"percentage", func(p *Payload) { setTag(p, "55", "03"); setTag(p, "57", "3.25") }, ""},
		{"percentage 100", func(p *Payload) { setTag(p, "55", "03"); setTag(p, "57", "100") }, "57:invalid"},
		{"percentage missing", func(p *Payload) { setTag(p, "55", "03") }, "57:missing"},
		{"country lower case", func(p *Payload) { setTag(p, "58", "th") }, "58:invalid"},
		{"country 3 letters", func(p *Payload) { setTag(p, "58", "THA") }, "58:invalid"},
		{"name 25 characters of Thai", func(p *Payload) { setTag(p, "59", strings.Repeat("ก", 25)) }, ""},
		{"name 26 characters", func(p *Payload) { setTag(p, "59", strings.Repeat("N", 26)) }, "59:invalid"},
		{"empty name", func(p *Payload) { setTag(p, "59", "") }, "59:missing"},
		{"city 16 characters", func(p *Payload) { setTag(p, "60", strings.Repeat("C", 16)) }, "60:invalid"},
		{"postal code 11", func(p *Payload) { setTag(p, "61", "12345678901") }, "61:invalid"},
		{"bill number 26", func(p *Payload) { setTag(p, "62.01", strings.Repeat("B", 26)) }, "62.01:invalid"},
		{"purpose 25", func(p *Payload) { setTag(p, "62.08", strings.Repeat("P", 25)) }, ""},
		{"empty terminal", func(p *Payload) { setTag(p, "62.07", "") }, "62.07:invalid"},
		{"consumer data AME", func(p *Payload) { setTag(p, "62.09", "AME") }, ""},
		{"consumer data AA", func(p *Payload) { setTag(p, "62.09", "AA") }, "62.09:invalid"},
		{"merchant channel", func(p *Payload) { setTag(p, "62.11", "521") }, ""},
		{"merchant channel 4", func(p *Payload) { setTag(p, "62.11", "5211") }, "62.11:invalid"},
		{"language lower case", func(p *Payload) { setTag(p, "64.00", "th") }, ""},
		{"language 3 letters", func(p *Payload) { setTag(p, "64.00", "THA") }, "64.00:invalid"},
		{"no language", func(p *Payload) { deleteTag(p, "64.00") }, "64.00:missing"},
		{"no alternate name", func(p *Payload) { deleteTag(p, "64.01") }, "64.01:missing"},
		{"duplicate name", func(p *Payload) { p.Tags = slices.Insert(p.Tags, 1, Tag{ID: "59", Value: "X"}) }, "59:invalid"},
		{"duplicate bill number", func(p *Payload) {
			i := slices.IndexFunc(p.Tags, func(t Tag) bool { return t.ID == "62" })
			p.Tags[i].Sub = append(p.Tags[i].Sub, Tag{ID: "01", Value: "x"})
		}, "62.01:invalid"},
		{"empty unreserved", func(p *Payload) { setTag(p, "80", "") }, "80:invalid"},
		{"RFU tag", func(p *Payload) { setTag(p, "65", "x") }, ""},
		{"wrong CRC", func(p *Payload) { setTag(p, "63", "0000") }, "63:crc"},
		{"lower-case CRC", func(p *Payload) { s, _ := Encode(p); setTag(p, "63", strings.ToLower(s[len(s)-4:])) }, ""},
		{"no CRC", func(p *Payload) { deleteTag(p, "63") }, "63:nocrc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := basePayload(t)
			tt.edit(p)
			err := p.Validate()
			if got := problemList(err); got != tt.want {
				t.Errorf("problems = %q, want %q\n%v", got, tt.want, err)
			}
		})
	}
}

func TestValidateErrorKinds(t *testing.T) {
	p := basePayload(t)
	setTag(p, "54", "1.005")
	err := p.Validate()
	if !errors.Is(err, ErrAmountDecimals) || !errors.Is(err, ErrInvalidField) || errors.Is(err, ErrMissing) {
		t.Errorf("amount decimals: %v", err)
	}
	if want := `emvqr: tag 54 (transaction amount): "1.005" has 3 decimals, THB allows 2`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	deleteTag(p, "63")
	err = p.Validate()
	if !errors.Is(err, ErrCRC) || !errors.Is(err, ErrMissing) {
		t.Errorf("no CRC: %v", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "63" {
		t.Errorf("first problem = %+v, want the CRC", fe)
	}
}

func TestValidateMessages(t *testing.T) {
	p := basePayload(t)
	setTag(p, "59", strings.Repeat("N", 26))
	setTag(p, "26.00", strings.Repeat("G", 33))
	deleteTag(p, "60")
	want := "emvqr: tag 59 (merchant name): 26 characters, at most 25\n" +
		"emvqr: tag 60 (merchant city): missing\n" +
		"emvqr: tag 26.00 (globally unique identifier): 33 characters, at most 32"
	if err := p.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate =\n%v\nwant\n%s", err, want)
	}
}

// TestValidateReadsTags: the named fields are a view; Validate and
// Encode follow Tags.
func TestValidateReadsTags(t *testing.T) {
	p := basePayload(t)
	p.MerchantName = strings.Repeat("N", 40)
	if err := p.Validate(); err != nil {
		t.Errorf("Validate looked at the named field: %v", err)
	}
}
