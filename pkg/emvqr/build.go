package emvqr

import (
	"fmt"

	"github.com/shiliantong/shiliantong/internal/money"
)

// Merchant identifies the merchant (IDs 52 and 58–61).
type Merchant struct {
	CategoryCode string // 52: ISO 18245 merchant category code, four digits ("0000" if none)
	Country      string // 58: ISO 3166-1 alpha-2, e.g. "TH"
	Name         string // 59: at most 25 characters
	City         string // 60: at most 15 characters
	PostalCode   string // 61: optional, at most 10 characters
}

// Builder describes a payload for Build.
type Builder struct {
	// Dynamic selects point of initiation "12" (one transaction);
	// otherwise the QR code is static ("11").
	Dynamic bool
	// Accounts are the merchant account information objects, at least
	// one. An empty ID takes the next free ID from 26.
	Accounts []MerchantAccount
	Merchant Merchant
	// Currency is the ISO 4217 alphabetic code, e.g. "THB"; Build writes
	// its numeric code.
	Currency string
	// Amount in minor units of Currency; 0 leaves the amount out so that
	// the payer enters it.
	Amount int64
	// AdditionalData fields that are non-empty are written to tag 62.
	AdditionalData AdditionalData
	// Language, if not nil, is written to tag 64.
	Language *LanguageTemplate
	// Unreserved are extra top-level tags (typically templates 80–99),
	// written in order before the CRC.
	Unreserved []Tag
}

// Build assembles, encodes and validates a payload: lengths are counted in
// characters and the CRC is appended. It returns an error, and no payload,
// if the result would not pass Validate.
func Build(b Builder) (string, error) {
	tags, err := b.tags()
	if err != nil {
		return "", err
	}
	s, err := Encode(&Payload{Tags: tags})
	if err != nil {
		return "", err
	}
	p, err := Decode(s)
	if err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	return s, nil
}

// tags lays out the data objects in the specification's order.
func (b *Builder) tags() ([]Tag, error) {
	cur, err := money.Lookup(b.Currency)
	if err != nil {
		return nil, fieldErr("53", ErrInvalidField, "%q is not an ISO 4217 alphabetic currency code", b.Currency)
	}
	poi := Static
	if b.Dynamic {
		poi = Dynamic
	}
	tags := []Tag{{ID: "00", Value: "01"}, {ID: "01", Value: poi}}
	accounts, err := b.accountTags()
	if err != nil {
		return nil, err
	}
	tags = append(tags, accounts...)
	tags = append(tags, Tag{ID: "52", Value: b.Merchant.CategoryCode}, Tag{ID: "53", Value: cur.NumericCode()})
	amount, err := amountTag(b.Amount, cur)
	if err != nil {
		return nil, err
	}
	tags = append(tags, amount...)
	tags = append(tags, b.merchantTags()...)
	tags = append(tags, b.Unreserved...)
	return append(tags, Tag{ID: "63"}), nil
}

// accountTags turns Accounts into tags, numbering those without an ID.
func (b *Builder) accountTags() ([]Tag, error) {
	used := make(map[string]bool)
	for _, m := range b.Accounts {
		used[m.ID] = true
	}
	next := 26
	var tags []Tag
	for _, m := range b.Accounts {
		for m.ID == "" && next <= 51 {
			if id := fmt.Sprint(next); !used[id] {
				m.ID, used[id] = id, true
			}
			next++
		}
		t, err := accountTag(m)
		if err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// accountTag writes GUID as sub-tag 00, then Fields; a primitive account
// (02–25) is written from Value.
func accountTag(m MerchantAccount) (Tag, error) {
	if !isAccount(m.ID) {
		return Tag{}, fieldErr("02-51", ErrInvalidField, "account ID %q is not 02 to 51", m.ID)
	}
	if !isAccountTemplate(m.ID) {
		return Tag{ID: m.ID, Value: m.Value}, nil
	}
	if _, ok := Find(m.Fields, "00"); ok {
		return Tag{}, fieldErr(m.ID+".00", ErrInvalidField, "set GUID, not a field with ID 00")
	}
	sub := append([]Tag{{ID: "00", Value: m.GUID}}, m.Fields...)
	return Tag{ID: m.ID, Sub: sub}, nil
}

// amountTag formats a positive amount for tag 54.
func amountTag(minor int64, cur money.Currency) ([]Tag, error) {
	switch {
	case minor == 0:
		return nil, nil
	case minor < 0:
		return nil, fieldErr("54", ErrInvalidField, "negative amount %d", minor)
	case !cur.HasMinorUnits():
		return nil, fieldErr("54", ErrInvalidField, "%s has no minor units", cur.Code)
	}
	return []Tag{{ID: "54", Value: money.FormatAmount(minor, cur)}}, nil
}

// merchantTags writes 58–62 and 64, leaving out empty optional ones.
func (b *Builder) merchantTags() []Tag {
	m := b.Merchant
	tags := []Tag{{ID: "58", Value: m.Country}, {ID: "59", Value: m.Name}, {ID: "60", Value: m.City}}
	if m.PostalCode != "" {
		tags = append(tags, Tag{ID: "61", Value: m.PostalCode})
	}
	ad := b.AdditionalData
	if sub := nonEmpty(ad.fields()); len(sub) > 0 {
		tags = append(tags, Tag{ID: "62", Sub: sub})
	}
	if b.Language != nil {
		tags = append(tags, Tag{ID: "64", Sub: nonEmpty(b.Language.fields())})
	}
	return tags
}

// nonEmpty returns a tag for each non-empty field.
func nonEmpty(fields []idField) []Tag {
	var tags []Tag
	for _, f := range fields {
		if *f.field != "" {
			tags = append(tags, Tag{ID: f.id, Value: *f.field})
		}
	}
	return tags
}
