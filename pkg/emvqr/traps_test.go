package emvqr

import (
	"errors"
	"strings"
	"testing"
)

// decodeVector decodes a vector that must decode.
func decodeVector(t *testing.T, id string) (vector, *Payload) {
	t.Helper()
	c := vectorByID(t, id)
	p, err := Decode(c.Payload)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return c, p
}

// TestPayNowSpecCRCErratum: the PayNow v1.3 sample's CRC 0870 was
// computed without "6304"; under EMVCo rules it is B90C.
func TestPayNowSpecCRCErratum(t *testing.T) {
	c, p := decodeVector(t, "sg-paynow-spec-v1.3")
	if p.CRCValid || p.CRC != "0870" {
		t.Fatalf("CRC %q valid=%v, want 0870 invalid", p.CRC, p.CRCValid)
	}
	if got := Checksum(c.Payload[:len(c.Payload)-8]); got != "0870" {
		t.Errorf("CRC without 6304 = %s, want the published 0870", got)
	}
	err := p.Validate()
	if !errors.Is(err, ErrCRC) || err.Error() != `emvqr: tag 63 (CRC): "0870" does not match the computed B90C` {
		t.Errorf("Validate = %v", err)
	}
	p.Tags[len(p.Tags)-1].Value = "" // recompute
	fixed, err := Encode(p)
	if err != nil || fixed != c.Payload[:len(c.Payload)-4]+"B90C" {
		t.Fatalf("re-encoded = %q, %v", fixed, err)
	}
	if q, _ := Decode(fixed); q.Validate() != nil {
		t.Errorf("corrected sample does not validate: %v", q.Validate())
	}
}

// TestNAPASHeadlineTypo: the string above the NAPAS 6.1.4 table is the
// static card payload (6.1.2) carrying the dynamic payload's CRC.
func TestNAPASHeadlineTypo(t *testing.T) {
	typo, p := decodeVector(t, "vn-napas-6.1.4-headline-typo")
	static := vectorByID(t, "vn-napas-6.1.2-static-card")
	dynamic := vectorByID(t, "vn-napas-6.1.4-dynamic-card")
	if typo.Payload[:len(typo.Payload)-4] != static.Payload[:len(static.Payload)-4] {
		t.Fatal("headline is not the static card payload")
	}
	if !strings.HasSuffix(dynamic.Payload, p.CRC) || p.CRCValid {
		t.Errorf("headline CRC %s valid=%v, want the dynamic payload's, invalid", p.CRC, p.CRCValid)
	}
	if err := p.Validate(); !errors.Is(err, ErrCRC) || !strings.Contains(err.Error(), "computed 4F52") {
		t.Errorf("Validate = %v, want the static CRC 4F52", err)
	}
}

// TestNAPASTableRowTypo: in the 6.1.1 payload string 38.01.01 declares 12
// characters but the account has 13, so 38.01 is not valid TLV, although
// the payload is valid at the EMV level (lengths of 38 and its sub-tags
// are right, and the CRC F4E5 matches). The spec table's row "0113" is
// the consistent one.
func TestNAPASTableRowTypo(t *testing.T) {
	_, p := decodeVector(t, "vn-napas-6.1.1-static-account")
	if !p.CRCValid || p.CRC != "F4E5" {
		t.Fatalf("CRC %s valid=%v", p.CRC, p.CRCValid)
	}
	v, _ := p.Get("38.01")
	if v != "000697040301120011012345678" {
		t.Fatalf("38.01 = %q", v)
	}
	_, err := DecodeTLV(v)
	want := "emvqr: truncated: a data object needs at least 4 characters, 1 left at offset 26"
	if !errors.Is(err, ErrSyntax) || err.Error() != want {
		t.Errorf("DecodeTLV(38.01) = %v, want %s", err, want)
	}
	if _, ok := p.Get("38.01.01"); ok {
		t.Error("Get(38.01.01) succeeded on malformed TLV")
	}
	table, err := DecodeTLV("000697040301130011012345678")
	if err != nil || len(table) != 2 || table[0].Value != "970403" || table[1].Value != "0011012345678" {
		t.Errorf("table row = %+v, %v", table, err)
	}
}

// TestCJKLengthsCountCharacters: the EMVCo Annex B example counts the
// lengths of CJK values in characters but computes the CRC over UTF-8.
func TestCJKLengthsCountCharacters(t *testing.T) {
	c, p := decodeVector(t, "emvco-annexB-best-transport")
	if !p.CRCValid || p.Validate() != nil {
		t.Fatalf("CRCValid=%v Validate=%v", p.CRCValid, p.Validate())
	}
	if p.Language == nil || p.Language.Name != "最佳运输" || p.Language.City != "北京" || p.Language.Language != "ZH" {
		t.Fatalf("Language = %+v", p.Language)
	}
	if !strings.Contains(c.Payload, "0104最佳运输0202北京") {
		t.Fatal("lengths in the vector are not character counts")
	}
	lang, _ := Find(p.Tags, "64")
	if lang.Len() != 20 || len(lang.Value) != 32 {
		t.Errorf("64 has %d characters, %d bytes; want 20, 32", lang.Len(), len(lang.Value))
	}
	if got := Checksum(c.Payload[:len(c.Payload)-4]); got != "A13A" {
		t.Errorf("CRC over UTF-8 = %s, want A13A", got)
	}
	s, err := Encode(&Payload{Tags: []Tag{{ID: "64", Sub: []Tag{{ID: "01", Value: "最佳运输"}}}}})
	if err != nil || s != "64080104最佳运输" {
		t.Errorf("Encode = %q, %v", s, err)
	}
}

// TestDuitNowPayloadFormat02: DuitNow writes 000202; Validate accepts "01"
// and "02" only.
func TestDuitNowPayloadFormat02(t *testing.T) {
	for _, id := range []string{"my-duitnow-1", "my-duitnow-2", "my-duitnow-3", "my-duitnow-4", "my-duitnow-readme-jamesonlam"} {
		_, p := decodeVector(t, id)
		if p.PayloadFormat != "02" || p.Validate() != nil {
			t.Errorf("%s: format %q, Validate %v", id, p.PayloadFormat, p.Validate())
		}
	}
	_, p := decodeVector(t, "my-duitnow-1")
	p.Tags[0].Value = "03"
	p.Tags[len(p.Tags)-1].Value = ""
	err := p.Validate()
	if got := problemList(err); got != "00:invalid" {
		t.Errorf("format 03: %v", err)
	}
}

// TestOpaqueUnreservedTemplates: PromptPay's 81 (UCS-2 hex message) and
// DuitNow's 82 (hex signature) are not TLV; they decode as opaque values.
func TestOpaqueUnreservedTemplates(t *testing.T) {
	for id, tag := range map[string]string{"th-promptparse-4": "81", "my-duitnow-2": "82", "my-duitnow-3": "82"} {
		c, p := decodeVector(t, id)
		tg, ok := Find(p.Tags, tag)
		if !ok || tg.Sub != nil || tg.Value == "" {
			t.Errorf("%s: tag %s = %+v", id, tag, tg)
		}
		if s, _ := Encode(p); s != c.Payload {
			t.Errorf("%s: round trip differs", id)
		}
	}
	_, p := decodeVector(t, "br-pixutils-recurrence_static_unreserved_emv")
	if v, _ := p.Get("80.25"); v != "qr-h.sandbox.pix.bcb.gov.br/rest/api/rec/d7913bcbfc4947c9811669db12b40374" {
		t.Errorf("80.25 = %q", v)
	}
}

// TestKHQRLenientDecodes: every kh-khqr-decode-* case decodes and
// round-trips, as go-khqr's lenient Decode does; Validate reports what is
// not conforming, and the verify-error cases that share a payload get the
// same problems.
func TestKHQRLenientDecodes(t *testing.T) {
	f := loadVectors(t)
	problems := make(map[string]string)
	decodes, failing := 0, 0
	for _, c := range f.Cases {
		if !strings.HasPrefix(c.ID, "kh-khqr-decode-") {
			continue
		}
		p, err := Decode(c.Payload)
		if err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		decodes++
		problems[c.Payload] = problemList(p.Validate())
		if problems[c.Payload] != "" {
			failing++
		}
	}
	for _, c := range f.Cases {
		want, ok := problems[c.Payload]
		if !ok || !strings.HasPrefix(c.ID, "kh-khqr-verify-error-") {
			continue
		}
		p, _ := Decode(c.Payload)
		if got := problemList(p.Validate()); got != want || got == "" {
			t.Errorf("%s: %q, decode case has %q", c.ID, got, want)
		}
	}
	if decodes != 36 || failing != 22 {
		t.Errorf("%d KHQR decode cases decoded, %d fail Validate; want 36, 22", decodes, failing)
	}
}

// TestPixWithoutCity: Odoo's Pix payloads leave out tag 60, which EMVCo
// and the BCB require.
func TestPixWithoutCity(t *testing.T) {
	for _, id := range []string{"br-odoo-ref", "br-odoo-noref", "br-odoo-noamount"} {
		_, p := decodeVector(t, id)
		if _, ok := p.Get("60"); ok || p.MerchantCity != "" || !p.CRCValid {
			t.Errorf("%s: city %q, CRC valid %v", id, p.MerchantCity, p.CRCValid)
		}
		err := p.Validate()
		if !errors.Is(err, ErrMissing) || err.Error() != "emvqr: tag 60 (merchant city): missing" {
			t.Errorf("%s: Validate = %v", id, err)
		}
	}
}

// TestUncheckedSourceCRCs: QR Ph "Lazada" and astrapay's QRIS transfer
// payloads have bad CRCs that their own tests never check.
func TestUncheckedSourceCRCs(t *testing.T) {
	ids := []string{"ph-qrph-lazada-14", "id-qris-astrapay-06", "id-qris-astrapay-23",
		"id-qris-astrapay-24", "id-qris-astrapay-25", "id-qris-astrapay-26"}
	for _, id := range ids {
		_, p := decodeVector(t, id)
		if p.CRCValid || problemList(p.Validate()) != "63:crc" {
			t.Errorf("%s: CRCValid=%v, Validate=%v", id, p.CRCValid, p.Validate())
		}
	}
	_, p := decodeVector(t, "ph-qrph-lazada-14")
	if p.Amount != "20035.38" || p.Currency != "PHP" || p.AmountMinor != 2003538 || p.MerchantName != "Lazada" {
		t.Errorf("Lazada fields: %q %q %d %q", p.Amount, p.Currency, p.AmountMinor, p.MerchantName)
	}
}
