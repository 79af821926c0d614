package emvqr

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

func TestBuild(t *testing.T) {
	s, err := Build(baseBuilder())
	if err != nil {
		t.Fatal(err)
	}
	want := "000201010212" + "26370016A000000677010111011300668123456785204581253037645406120.50" +
		"5802TH5911SOMTAM SHOP6007BANGKOK610510110" + "62170107INV-0010702T1" +
		"64300002TH0109ร้านส้มตำ0207กรุงเทพ" + "6304"
	want += Checksum(want)
	if s != want {
		t.Fatalf("Build =\n%s\nwant\n%s", s, want)
	}
	p, _ := Decode(s)
	if !p.CRCValid || !p.Dynamic() || p.Currency != "THB" || p.AmountMinor != 12050 || p.Language.City != "กรุงเทพ" {
		t.Errorf("decoded %+v", p)
	}
}

func TestBuildStaticWithoutAmount(t *testing.T) {
	b := baseBuilder()
	b.Dynamic, b.Amount, b.Language, b.AdditionalData = false, 0, nil, AdditionalData{}
	b.Merchant.PostalCode = ""
	s, err := Build(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := "00020101021126370016A00000067701011101130066812345678520458125303764" +
		"5802TH5911SOMTAM SHOP6007BANGKOK6304"; !strings.HasPrefix(s, want) || len(s) != len(want)+4 {
		t.Errorf("Build = %s", s)
	}
}

func TestBuildAccounts(t *testing.T) {
	b := baseBuilder()
	b.Accounts = []MerchantAccount{
		{GUID: "com.example.a", Fields: []Tag{{ID: "01", Value: "A"}}},
		{ID: "27", GUID: "com.example.b"},
		{GUID: "com.example.c"},
		{ID: "04", Value: "5555444433332222"},
		// VietQR: 38.01 is itself TLV (acquirer BIN, account).
		{ID: "38", GUID: "A000000727", Fields: []Tag{
			{ID: "01", Sub: []Tag{{ID: "00", Value: "970403"}, {ID: "01", Value: "0011012345678"}}},
			{ID: "02", Value: "QRIBFTTA"},
		}},
	}
	s, err := Build(b)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Decode(s)
	var ids []string
	for _, m := range p.MerchantAccounts {
		if m.GUID == "" {
			m.GUID = m.Value
		}
		ids = append(ids, m.ID+"="+m.GUID)
	}
	if got := strings.Join(ids, " "); got != "26=com.example.a 27=com.example.b 28=com.example.c 04=5555444433332222 38=A000000727" {
		t.Errorf("accounts %s", got)
	}
	if v, _ := p.Get("38.01.01"); v != "0011012345678" {
		t.Errorf("38.01.01 = %q", v)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(b *Builder)
		kind error
		want string
	}{
		{"unknown currency", func(b *Builder) { b.Currency = "XYZ" }, ErrInvalidField,
			`emvqr: tag 53 (transaction currency): "XYZ" is not an ISO 4217 alphabetic currency code`},
		{"negative amount", func(b *Builder) { b.Amount = -1 }, ErrInvalidField,
			"emvqr: tag 54 (transaction amount): negative amount -1"},
		{"no minor units", func(b *Builder) { b.Currency = "XAU" }, ErrInvalidField,
			"emvqr: tag 54 (transaction amount): XAU has no minor units"},
		{"long name", func(b *Builder) { b.Merchant.Name = strings.Repeat("N", 26) }, ErrInvalidField,
			"emvqr: tag 59 (merchant name): 26 characters, at most 25"},
		{"no city", func(b *Builder) { b.Merchant.City = "" }, ErrMissing,
			"emvqr: tag 60 (merchant city): empty"},
		{"no accounts", func(b *Builder) { b.Accounts = nil }, ErrMissing,
			"emvqr: tag 02-51 (merchant account information): no merchant account information (IDs 02 to 51)"},
		{"account ID", func(b *Builder) { b.Accounts[0].ID = "52" }, ErrInvalidField,
			`emvqr: tag 02-51 (merchant account information): account ID "52" is not 02 to 51`},
		{"GUID as field", func(b *Builder) { b.Accounts[0].Fields = []Tag{{ID: "00", Value: "x"}} }, ErrInvalidField,
			"emvqr: tag 26.00 (globally unique identifier): set GUID, not a field with ID 00"},
		{"value over 99", func(b *Builder) { b.Unreserved = []Tag{{ID: "80", Value: strings.Repeat("x", 100)}} }, ErrInvalidField,
			"emvqr: tag 80: value is 100 characters, at most 99"},
		{"bad MCC", func(b *Builder) { b.Merchant.CategoryCode = "" }, ErrMissing,
			"emvqr: tag 52 (merchant category code): empty"},
	}
	for _, tt := range tests {
		b := baseBuilder()
		tt.edit(&b)
		s, err := Build(b)
		if s != "" || !errors.Is(err, tt.kind) || err.Error() != tt.want {
			t.Errorf("%s: Build = %q, %v; want %s", tt.name, s, err, tt.want)
		}
	}
}

func TestBuildAllAccountIDsUsed(t *testing.T) {
	b := baseBuilder()
	b.Accounts = nil
	for range 27 {
		b.Accounts = append(b.Accounts, MerchantAccount{GUID: "g"})
	}
	_, err := Build(b)
	if !errors.Is(err, ErrInvalidField) || !strings.Contains(err.Error(), `account ID "" is not 02 to 51`) {
		t.Errorf("27 templates: %v", err)
	}
}

// builderFrom turns a decoded payload back into a Builder.
func builderFrom(p *Payload) Builder {
	b := Builder{
		Dynamic:  p.Dynamic(),
		Merchant: Merchant{CategoryCode: p.MerchantCategoryCode, Country: p.Country, Name: p.MerchantName, City: p.MerchantCity, PostalCode: p.PostalCode},
		Currency: p.Currency, Amount: p.AmountMinor, Language: p.Language,
	}
	for _, m := range p.MerchantAccounts {
		if len(m.Fields) > 0 && m.Fields[0].ID == "00" {
			m.Fields = m.Fields[1:]
		}
		b.Accounts = append(b.Accounts, m)
	}
	if p.AdditionalData != nil {
		b.AdditionalData = *p.AdditionalData
	}
	for _, t := range p.Tags {
		if isUnreserved(t.ID) {
			b.Unreserved = append(b.Unreserved, t)
		}
	}
	return b
}

// TestBuildReproducesVectors rebuilds every valid vector from its decoded
// fields. Those whose generator used the specification's tag order, a
// point of initiation and amounts with the currency's full decimals come
// out byte for byte.
func TestBuildReproducesVectors(t *testing.T) {
	var same []string
	built := 0
	for _, c := range loadVectors(t).Cases {
		p, err := Decode(c.Payload)
		if err != nil || p.Validate() != nil {
			continue
		}
		s, err := Build(builderFrom(p))
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		built++
		if s == c.Payload {
			same = append(same, c.ID)
		}
	}
	if built != 94 || len(same) < 31 {
		t.Errorf("rebuilt %d valid vectors, %d identical: %v", built, len(same), same)
	}
	t.Logf("rebuilt %d valid vectors; %d byte for byte", built, len(same))
}

func TestBuildAmountFormatting(t *testing.T) {
	for _, tt := range []struct {
		cur   string
		minor int64
		want  string
	}{{"VND", 70001, "70001"}, {"KWD", 1234, "1.234"}, {"CNY", 5, "0.05"}, {"JPY", 100, "100"}} {
		b := baseBuilder()
		b.Currency, b.Amount = tt.cur, tt.minor
		s, err := Build(b)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := Decode(s)
		cur := money.MustLookup(tt.cur)
		if p.Amount != tt.want || p.CurrencyNumeric != cur.NumericCode() || p.AmountMinor != tt.minor {
			t.Errorf("%s %d: amount %q numeric %q", tt.cur, tt.minor, p.Amount, p.CurrencyNumeric)
		}
	}
}
