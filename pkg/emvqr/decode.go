package emvqr

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shiliantong/shiliantong/internal/money"
)

// Point of initiation method values (ID 01).
const (
	Static  = "11" // the same QR code for every transaction
	Dynamic = "12" // a QR code for one transaction
)

// Payload is a decoded merchant-presented QR code.
//
// Tags is authoritative: Encode and Validate read only Tags. The named
// fields are a read-only view of Tags filled by Decode (from the first
// occurrence of each ID); editing them changes nothing.
type Payload struct {
	// Tags holds every top-level data object in payload order, unknown
	// ones and the CRC (63) included.
	Tags []Tag

	PayloadFormat        string            // 00
	PointOfInitiation    string            // 01: Static, Dynamic or as found
	MerchantAccounts     []MerchantAccount // 02–51, in payload order
	MerchantCategoryCode string            // 52
	CurrencyNumeric      string            // 53 as found, e.g. "764"
	Currency             string            // 53 as an ISO 4217 alphabetic code, "" if unknown
	Amount               string            // 54 as found, e.g. "23.72"
	// AmountMinor is Amount in minor units of Currency, set only when
	// AmountParsed: Amount is well formed, Currency is known and Amount
	// has no more decimals than the currency's exponent.
	AmountMinor      int64
	AmountParsed     bool
	TipOrConvenience string            // 55: "01" prompt, "02" fixed fee, "03" percentage
	ConvenienceFixed string            // 56
	ConveniencePct   string            // 57
	Country          string            // 58
	MerchantName     string            // 59
	MerchantCity     string            // 60
	PostalCode       string            // 61
	AdditionalData   *AdditionalData   // 62, nil if absent
	Language         *LanguageTemplate // 64, nil if absent
	CRC              string            // 63 as found, "" if absent
	// CRCValid reports whether tag 63 is present, last, and equal
	// (ignoring hexadecimal case) to the checksum of the payload.
	CRCValid bool
}

// MerchantAccount is merchant account information: a primitive value for
// IDs 02–25 (reserved for card schemes), a template for IDs 26–51.
type MerchantAccount struct {
	ID string // "02" to "51"
	// GUID is the template's sub-tag 00 (a globally unique identifier,
	// AID or reverse domain name such as "br.gov.bcb.pix"). Build writes
	// it first.
	GUID string
	// Value is the raw value. Build uses it only for primitive accounts
	// (02–25), which have no GUID and no Fields.
	Value string
	// Fields are the template's sub-tags. When decoded they include 00;
	// when building they must not (Build writes GUID as 00).
	Fields []Tag
}

// Field returns the value of the sub-tag with the given ID, or "".
func (m MerchantAccount) Field(id string) string {
	t, _ := Find(m.Fields, id)
	return t.Value
}

// AdditionalData is the additional data field template (62).
type AdditionalData struct {
	BillNumber          string `json:"bill_number,omitempty"`           // 01
	MobileNumber        string `json:"mobile_number,omitempty"`         // 02
	StoreLabel          string `json:"store_label,omitempty"`           // 03
	LoyaltyNumber       string `json:"loyalty_number,omitempty"`        // 04
	ReferenceLabel      string `json:"reference_label,omitempty"`       // 05
	CustomerLabel       string `json:"customer_label,omitempty"`        // 06
	TerminalLabel       string `json:"terminal_label,omitempty"`        // 07
	Purpose             string `json:"purpose,omitempty"`               // 08
	ConsumerDataRequest string `json:"consumer_data_request,omitempty"` // 09: letters A, M, E
}

// fields pairs each sub-tag ID with its field, in ID order.
func (a *AdditionalData) fields() []idField {
	return []idField{
		{"01", &a.BillNumber}, {"02", &a.MobileNumber}, {"03", &a.StoreLabel},
		{"04", &a.LoyaltyNumber}, {"05", &a.ReferenceLabel}, {"06", &a.CustomerLabel},
		{"07", &a.TerminalLabel}, {"08", &a.Purpose}, {"09", &a.ConsumerDataRequest},
	}
}

// LanguageTemplate is the merchant information - language template (64):
// the merchant's name and city in an alternate language.
type LanguageTemplate struct {
	Language string `json:"language"`       // 00: ISO 639 two-letter code
	Name     string `json:"name"`           // 01
	City     string `json:"city,omitempty"` // 02
}

func (l *LanguageTemplate) fields() []idField {
	return []idField{{"00", &l.Language}, {"01", &l.Name}, {"02", &l.City}}
}

// idField is a named field of a template and its sub-tag ID.
type idField struct {
	id    string
	field *string
}

// fill sets each field from the first sub-tag with its ID.
func fill(fields []idField, sub []Tag) {
	for _, f := range fields {
		t, _ := Find(sub, f.id)
		*f.field = t.Value
	}
}

// Decode parses a payload. It fails only if the payload is structurally
// broken, with a *SyntaxError giving the tag path and character offset;
// a missing or wrong CRC is reported in CRCValid and by Validate.
func Decode(payload string) (*Payload, error) {
	tags, err := decodeTags(payload)
	if err != nil {
		return nil, err
	}
	p := view(tags)
	p.CRCValid = crcValid(payload, tags)
	return p, nil
}

// decodeTags parses the top level, then one level inside templates.
func decodeTags(payload string) ([]Tag, error) {
	if payload == "" {
		return nil, &SyntaxError{Msg: "empty payload"}
	}
	if !utf8.ValidString(payload) {
		return nil, invalidUTF8(payload)
	}
	p := parser{rs: []rune(payload)}
	tags, starts, err := p.level(0, len(p.rs), "")
	if err != nil {
		return nil, err
	}
	for i := range tags {
		if err := p.nest(&tags[i], starts[i]); err != nil {
			return nil, err
		}
	}
	return tags, checkCRCPlacement(tags, starts)
}

// nest parses the value of a template tag into its Sub. Unreserved
// templates (80–99) whose value does not nest stay opaque.
func (p *parser) nest(t *Tag, start int) error {
	if !isTemplate(t.ID) {
		return nil
	}
	sub, _, err := p.level(start, start+utf8.RuneCountInString(t.Value), t.ID)
	if err != nil && isUnreserved(t.ID) {
		return nil
	}
	t.Sub = sub
	return err
}

// checkCRCPlacement requires tag 63, if present, to be last and four
// characters long.
func checkCRCPlacement(tags []Tag, starts []int) error {
	for i, t := range tags {
		if t.ID != "63" {
			continue
		}
		if i != len(tags)-1 {
			return &SyntaxError{Path: "63", Offset: starts[i] - 4, Msg: "CRC is not the last data object"}
		}
		if n := utf8.RuneCountInString(t.Value); n != 4 {
			return &SyntaxError{Path: "63", Offset: starts[i] - 4, Msg: "length " + strconv.Itoa(n) + ", must be 4"}
		}
	}
	return nil
}

// crcValid checks the CRC of a payload whose tags were decoded from it.
func crcValid(payload string, tags []Tag) bool {
	if len(tags) == 0 || tags[len(tags)-1].ID != "63" {
		return false
	}
	v := tags[len(tags)-1].Value
	return strings.EqualFold(v, Checksum(payload[:len(payload)-len(v)]))
}

// view fills the named fields of a Payload from its tags.
func view(tags []Tag) *Payload {
	p := &Payload{Tags: tags}
	seen := make(map[string]bool)
	for _, t := range tags {
		if isAccount(t.ID) {
			p.MerchantAccounts = append(p.MerchantAccounts, account(t))
		}
		if !seen[t.ID] {
			seen[t.ID] = true
			p.set(t)
		}
	}
	p.parseAmount()
	return p
}

// set fills the named field for t.
func (p *Payload) set(t Tag) {
	switch t.ID {
	case "62":
		p.AdditionalData = new(AdditionalData)
		fill(p.AdditionalData.fields(), t.Sub)
	case "64":
		p.Language = new(LanguageTemplate)
		fill(p.Language.fields(), t.Sub)
	case "53":
		p.CurrencyNumeric = t.Value
		p.Currency = currencyCode(t.Value)
	default:
		if f := p.primitive(t.ID); f != nil {
			*f = t.Value
		}
	}
}

// primitive returns the named string field for a primitive ID, or nil.
func (p *Payload) primitive(id string) *string {
	if f, ok := primitiveFields[id]; ok {
		return f(p)
	}
	return nil
}

// primitiveFields maps the primitive IDs with a named field to it.
var primitiveFields = map[string]func(*Payload) *string{
	"00": func(p *Payload) *string { return &p.PayloadFormat },
	"01": func(p *Payload) *string { return &p.PointOfInitiation },
	"52": func(p *Payload) *string { return &p.MerchantCategoryCode },
	"54": func(p *Payload) *string { return &p.Amount },
	"55": func(p *Payload) *string { return &p.TipOrConvenience },
	"56": func(p *Payload) *string { return &p.ConvenienceFixed },
	"57": func(p *Payload) *string { return &p.ConveniencePct },
	"58": func(p *Payload) *string { return &p.Country },
	"59": func(p *Payload) *string { return &p.MerchantName },
	"60": func(p *Payload) *string { return &p.MerchantCity },
	"61": func(p *Payload) *string { return &p.PostalCode },
	"63": func(p *Payload) *string { return &p.CRC },
}

func account(t Tag) MerchantAccount {
	m := MerchantAccount{ID: t.ID, Value: t.Value, Fields: t.Sub}
	if isAccountTemplate(t.ID) {
		m.GUID = m.Field("00")
	}
	return m
}

// currencyCode maps a three-digit ISO 4217 numeric code to its alphabetic
// code, or "".
func currencyCode(numeric string) string {
	if len(numeric) != 3 || !isDigits(numeric) {
		return ""
	}
	n, _ := strconv.Atoi(numeric)
	c, err := money.LookupNumeric(n)
	if err != nil {
		return ""
	}
	return c.Code
}

// parseAmount sets AmountMinor when Amount can be expressed in Currency.
func (p *Payload) parseAmount() {
	if p.Currency == "" || !amountSyntax(p.Amount) {
		return
	}
	cur, err := money.Lookup(p.Currency)
	if err != nil {
		return
	}
	minor, err := money.ParseAmount(normalizeAmount(p.Amount), cur)
	p.AmountMinor, p.AmountParsed = minor, err == nil
}

// amountSyntax reports whether s is 1–13 characters of digits with at
// most one '.', and at least one digit.
func amountSyntax(s string) bool {
	if s == "" || len(s) > 13 || strings.Count(s, ".") > 1 {
		return false
	}
	return isDigits(strings.Replace(s, ".", "", 1))
}

// normalizeAmount turns the spec's "12." and ".5" into "12" and "0.5".
func normalizeAmount(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

// amountDecimals returns the number of digits after the '.'.
func amountDecimals(s string) int {
	_, frac, _ := strings.Cut(s, ".")
	return len(frac)
}

// Dynamic reports whether the point of initiation method is "12".
func (p *Payload) Dynamic() bool { return p.PointOfInitiation == Dynamic }

// Get returns the value at a tag path: "59", "62.05", or deeper such as
// "38.01.00", where each further level is read from the value with
// DecodeTLV. ok is false if any step is missing or does not parse.
func (p *Payload) Get(path string) (value string, ok bool) {
	ids := strings.Split(path, ".")
	t, ok := Find(p.Tags, ids[0])
	for _, id := range ids[1:] {
		if !ok {
			return "", false
		}
		sub := t.Sub
		if sub == nil {
			var err error
			if sub, err = DecodeTLV(t.Value); err != nil {
				return "", false
			}
		}
		t, ok = Find(sub, id)
	}
	return t.Value, ok
}
