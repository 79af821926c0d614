package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shiliantong/shiliantong/internal/money"
	"github.com/shiliantong/shiliantong/pkg/emvqr"
)

// QRCmd groups the EMV merchant-presented QR code commands (PromptPay,
// PayNow, DuitNow, QRIS, VietQR, QR Ph, Pix, FPS, KHQR, ...).
type QRCmd struct {
	Decode QRDecodeCmd `cmd:"" help:"Decode and validate an EMV merchant-presented QR payload and print it as JSON."`
	Encode QREncodeCmd `cmd:"" help:"Build an EMV merchant-presented QR payload from flags and print it."`
}

// QRDecodeCmd decodes one payload.
type QRDecodeCmd struct {
	Payload string `arg:"" help:"The payload: the text inside the QR code."`
}

// Run prints the decoded payload as indented JSON. It fails without
// printing anything if the payload is structurally broken, and prints the
// payload then fails if only the CRC or field contents are wrong.
func (c *QRDecodeCmd) Run(_ context.Context, g *Globals) error {
	p, err := emvqr.Decode(c.Payload)
	if err != nil {
		return err
	}
	verr := p.Validate()
	if err := writeQRJSON(g.stdout, newQRJSON(p, verr)); err != nil {
		return err
	}
	return verr
}

// qrJSON is the decode output: every tag, then the named fields.
type qrJSON struct {
	Tags                 []qrTagJSON             `json:"tags"`
	PayloadFormat        string                  `json:"payload_format"`
	PointOfInitiation    string                  `json:"point_of_initiation,omitempty"`
	MerchantAccounts     []qrAccountJSON         `json:"merchant_accounts,omitempty"`
	MerchantCategoryCode string                  `json:"merchant_category_code,omitempty"`
	Currency             string                  `json:"currency"`
	CurrencyNumeric      string                  `json:"currency_numeric,omitempty"`
	Amount               string                  `json:"amount,omitempty"`
	AmountMinor          *int64                  `json:"amount_minor,omitempty"`
	TipOrConvenience     string                  `json:"tip_or_convenience,omitempty"`
	ConvenienceFixed     string                  `json:"convenience_fee_fixed,omitempty"`
	ConveniencePct       string                  `json:"convenience_fee_percentage,omitempty"`
	Country              string                  `json:"country"`
	MerchantName         string                  `json:"merchant_name"`
	MerchantCity         string                  `json:"merchant_city"`
	PostalCode           string                  `json:"postal_code,omitempty"`
	AdditionalData       *emvqr.AdditionalData   `json:"additional_data,omitempty"`
	Language             *emvqr.LanguageTemplate `json:"language,omitempty"`
	CRC                  string                  `json:"crc"`
	CRCValid             bool                    `json:"crc_valid"`
	Valid                bool                    `json:"valid"`
	Errors               []string                `json:"errors,omitempty"`
}

// qrTagJSON is one data object; length counts characters.
type qrTagJSON struct {
	ID     string      `json:"id"`
	Length int         `json:"length"`
	Value  string      `json:"value"`
	Sub    []qrTagJSON `json:"sub,omitempty"`
}

// qrAccountJSON is merchant account information: a template's GUID, or a
// primitive account's value.
type qrAccountJSON struct {
	ID    string `json:"id"`
	GUID  string `json:"guid,omitempty"`
	Value string `json:"value,omitempty"`
}

func newQRJSON(p *emvqr.Payload, verr error) qrJSON {
	out := qrJSON{
		Tags: qrTags(p.Tags), PayloadFormat: p.PayloadFormat,
		PointOfInitiation: pointOfInitiation(p.PointOfInitiation), MerchantAccounts: qrAccounts(p.MerchantAccounts),
		MerchantCategoryCode: p.MerchantCategoryCode, Currency: p.Currency, CurrencyNumeric: p.CurrencyNumeric,
		Amount: p.Amount, TipOrConvenience: p.TipOrConvenience, ConvenienceFixed: p.ConvenienceFixed,
		ConveniencePct: p.ConveniencePct, Country: p.Country, MerchantName: p.MerchantName,
		MerchantCity: p.MerchantCity, PostalCode: p.PostalCode, AdditionalData: p.AdditionalData,
		Language: p.Language, CRC: p.CRC, CRCValid: p.CRCValid, Valid: verr == nil, Errors: errorList(verr),
	}
	if p.AmountParsed {
		out.AmountMinor = &p.AmountMinor
	}
	return out
}

func qrTags(tags []emvqr.Tag) []qrTagJSON {
	out := make([]qrTagJSON, 0, len(tags))
	for _, t := range tags {
		out = append(out, qrTagJSON{ID: t.ID, Length: t.Len(), Value: t.Value, Sub: qrSub(t.Sub)})
	}
	return out
}

// qrSub keeps the "sub" key out of the JSON of primitive tags.
func qrSub(sub []emvqr.Tag) []qrTagJSON {
	if sub == nil {
		return nil
	}
	return qrTags(sub)
}

func qrAccounts(accounts []emvqr.MerchantAccount) []qrAccountJSON {
	var out []qrAccountJSON
	for _, m := range accounts {
		a := qrAccountJSON{ID: m.ID, GUID: m.GUID}
		if m.Fields == nil {
			a.Value = m.Value
		}
		out = append(out, a)
	}
	return out
}

// pointOfInitiation names "11" and "12"; other values pass through.
func pointOfInitiation(v string) string {
	switch v {
	case emvqr.Static:
		return "static"
	case emvqr.Dynamic:
		return "dynamic"
	}
	return v
}

// errorList splits Validate's joined error into its problems.
func errorList(err error) []string {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func writeQRJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// QREncodeCmd builds a payload with one merchant account template.
type QREncodeCmd struct {
	Static     bool   `xor:"poi" help:"Static QR code (point of initiation 11), the default without --amount."`
	Dynamic    bool   `xor:"poi" help:"Dynamic QR code (point of initiation 12), the default with --amount."`
	GUID       string `name:"guid" required:"" help:"Globally unique identifier of the merchant account template (its sub-tag 00), e.g. A000000677010111, SG.PAYNOW, br.gov.bcb.pix."`
	MerchantID string `name:"merchant-id" help:"Merchant account: sub-tag 01 of the template (proxy, key or account number)."`
	AccountTag int    `name:"account-tag" default:"26" help:"ID of the merchant account template, 26 to 51."`
	MCC        string `name:"mcc" default:"0000" help:"Merchant category code (ISO 18245), four digits."`
	Currency   string `required:"" help:"ISO 4217 alphabetic currency code, e.g. THB."`
	Amount     string `help:"Amount in major units, e.g. 12.50; leave out to let the payer enter it."`
	Country    string `required:"" help:"ISO 3166-1 alpha-2 country code, e.g. TH."`
	Name       string `required:"" help:"Merchant name, at most 25 characters."`
	City       string `required:"" help:"Merchant city, at most 15 characters."`
	PostalCode string `name:"postal-code" help:"Postal code, at most 10 characters."`
	BillNumber string `name:"bill-number" help:"Bill number (62.01)."`
	Reference  string `help:"Reference label (62.05)."`
	Terminal   string `help:"Terminal label (62.07)."`
	Store      string `help:"Store label (62.03)."`
	Purpose    string `help:"Purpose of transaction (62.08)."`
}

// Run prints the payload, or fails with the first reason it cannot be
// built.
func (c *QREncodeCmd) Run(_ context.Context, g *Globals) error {
	b, err := c.builder()
	if err != nil {
		return err
	}
	s, err := emvqr.Build(b)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.stdout, s)
	return err
}

func (c *QREncodeCmd) builder() (emvqr.Builder, error) {
	if c.AccountTag < 26 || c.AccountTag > 51 {
		return emvqr.Builder{}, fmt.Errorf("--account-tag %d: must be 26 to 51", c.AccountTag)
	}
	minor, err := c.minorUnits()
	if err != nil {
		return emvqr.Builder{}, err
	}
	var fields []emvqr.Tag
	if c.MerchantID != "" {
		fields = []emvqr.Tag{{ID: "01", Value: c.MerchantID}}
	}
	return emvqr.Builder{
		Dynamic:  c.Dynamic || (!c.Static && minor > 0),
		Accounts: []emvqr.MerchantAccount{{ID: fmt.Sprintf("%02d", c.AccountTag), GUID: c.GUID, Fields: fields}},
		Merchant: emvqr.Merchant{CategoryCode: c.MCC, Country: c.Country, Name: c.Name, City: c.City, PostalCode: c.PostalCode},
		Currency: c.Currency,
		Amount:   minor,
		AdditionalData: emvqr.AdditionalData{BillNumber: c.BillNumber, ReferenceLabel: c.Reference,
			TerminalLabel: c.Terminal, StoreLabel: c.Store, Purpose: c.Purpose},
	}, nil
}

// minorUnits parses --amount in the currency's minor units; 0 if absent.
func (c *QREncodeCmd) minorUnits() (int64, error) {
	if c.Amount == "" {
		return 0, nil
	}
	cur, err := money.Lookup(c.Currency)
	if err != nil {
		return 0, err
	}
	minor, err := money.ParseAmount(c.Amount, cur)
	if err != nil {
		return 0, err
	}
	if minor == 0 {
		return 0, errors.New("--amount must be more than 0; leave it out to let the payer enter the amount")
	}
	return minor, nil
}
