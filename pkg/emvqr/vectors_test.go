package emvqr

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// vectorFile is testdata/emvco_mpm_qr_payloads.json, a copy of the shared
// collection of 199 real payloads; every case keeps its SOURCE.
type vectorFile struct {
	CRCAlgorithm struct {
		CheckValues []struct {
			Input string `json:"input"`
			CRC   string `json:"crc"`
		} `json:"check_values"`
		WorkedExample struct {
			Input string `json:"input_including_6304"`
			CRC   string `json:"crc"`
		} `json:"worked_example"`
	} `json:"crc_algorithm"`
	Cases []vector `json:"cases"`
}

type vector struct {
	ID          string          `json:"id"`
	Country     string          `json:"country"`
	Payload     string          `json:"payload"`
	Source      json.RawMessage `json:"SOURCE"`
	Expectation string          `json:"source_expectation"`
	Stated      map[string]any  `json:"expected_fields_stated_by_source"`
	Collector   struct {
		Valid bool `json:"crc_valid"`
	} `json:"crc_check_by_collector"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/emvco_mpm_qr_payloads.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func vectorByID(t testing.TB, id string) vector {
	t.Helper()
	for _, c := range loadVectors(t).Cases {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no vector %q", id)
	return vector{}
}

// outcome is what this package says about a vector: either a decoding
// error (syntax, a substring of its message) or the problems Validate
// reports, as sorted "path:kind" strings ("" = valid).
type outcome struct {
	syntax string
	errs   string
	why    string
}

const missing525960 = "52:missing 59:missing 60:missing"

// outcomes lists every vector that is not simply valid (CRC correct,
// Validate nil). A vector whose collector CRC check failed and that is not
// listed must decode and fail Validate with exactly "63:crc".
var outcomes = func() map[string]outcome {
	m := map[string]outcome{
		// Structurally broken: Decode fails.
		"mvallim-crc-truncated-1":                    {syntax: "truncated: a data object needs at least 4 characters, 2 left at offset 273", why: "payload ends in a bare '63'"},
		"mvallim-crc-truncated-2":                    {syntax: "tag 63: length 4 exceeds remaining 0 characters at offset 273", why: "'6304' with no value"},
		"th-promptparse-slipverify":                  {syntax: "tag 51: truncated: a data object needs at least 4 characters, 2 left at offset 48", why: "Thai slip-verify QR, not merchant-presented: 51 holds 'TH'"},
		"id-qris-astrapay-27":                        {syntax: `tag 80: invalid length "2I" at offset 84`, why: "source's truncated payload runs into 80"},
		"kh-khqr-verify-error-crc_checksum_mismatch": {syntax: `invalid ID "bc" at offset 31`, why: "garbled account template"},
		"kh-khqr-verify-error-crc_too_short":         {syntax: `invalid ID "bc" at offset 31`, why: "garbled account template"},
		"kh-khqr-verify-error-missing_crc_tag":       {syntax: "tag 30: length 19 exceeds remaining 4 characters at offset 12", why: "truncated payload"},

		// Bad or missing CRC plus other problems.
		"mvallim-crc-missing":          {errs: "62.09:invalid 63:nocrc", why: "no tag 63; 62.09 'tuv' is not letters of A, M, E"},
		"mvallim-crc-nonhex":           {errs: "62.09:invalid 63:crc", why: "CRC 'XXXX'; 62.09 'tuv'"},
		"th-promptparse-badcrc":        {errs: "63:crc " + missing525960, why: "CRC FFFF; PromptPay omits 52/59/60"},
		"th-nascent-promptpay1":        {errs: "63:crc " + missing525960, why: "bad CRC; PromptPay omits 52/59/60"},
		"th-nascent-promptpay2":        {errs: "63:crc " + missing525960, why: "bad CRC; PromptPay omits 52/59/60"},
		"th-nascent-promptpay3-crc":    {errs: "63:crc " + missing525960, why: "bad CRC; PromptPay omits 52/59/60"},
		"vn-napas-6.1.4-headline-typo": {errs: "63:crc " + missing525960, why: "NAPAS spec typo: CRC A203 belongs to the dynamic payload; VietQR omits 52/59/60"},
		"kh-khqr-verify-error-crc_mismatch_minimal": {errs: "00:missing 02-51:missing 53:missing 58:missing 63:crc " + missing525960,
			why: "'63041234' alone"},

		// Valid CRC, but fields that EMVCo requires are missing or wrong.
		"mvallim-decoder-success":                      {errs: "56:invalid 57:invalid 62.09:invalid", why: "55 is '01' yet 56 and 57 are present; 62.09 'tuvxy'"},
		"mvallim-decoder-fail":                         {errs: "62.09:invalid", why: "62.09 'tuv'"},
		"id-qris-astrapay-05":                          {errs: "52:invalid 59:invalid", why: "MCC '111' has 3 digits; 26-character name"},
		"id-qris-astrapay-09":                          {errs: "59:invalid", why: "26-character merchant name"},
		"id-qris-astrapay-10":                          {errs: "59:invalid", why: "26-character merchant name"},
		"br-odoo-ref":                                  {errs: "60:missing", why: "Odoo's Pix payloads have no merchant city"},
		"br-odoo-noref":                                {errs: "60:missing", why: "Odoo's Pix payloads have no merchant city"},
		"br-odoo-noamount":                             {errs: "60:missing", why: "Odoo's Pix payloads have no merchant city"},
		"kh-khqr-decode-long_account_id":               {errs: "30.00:invalid 53:missing 58:missing " + missing525960, why: "40-character GUID"},
		"kh-khqr-decode-poi_too_long":                  {errs: "01:invalid 53:missing 58:missing " + missing525960, why: "POI '123'"},
		"kh-khqr-decode-mcc_three_digits":              {errs: "52:invalid 53:missing 58:missing 59:missing 60:missing", why: "MCC '999'"},
		"kh-khqr-decode-currency_too_long":             {errs: "53:invalid 58:missing 59:missing 60:missing", why: "currency '8840'"},
		"kh-khqr-decode-country_code_too_long":         {errs: "58:invalid 59:missing 60:missing", why: "country 'KKH'"},
		"kh-khqr-decode-empty_bill_number":             {errs: "62.01:invalid", why: "62.01 has length 00"},
		"kh-khqr-decode-empty_store_label":             {errs: "62.03:invalid", why: "62.03 has length 00"},
		"kh-khqr-decode-empty_terminal_label":          {errs: "62.07:invalid", why: "62.07 has length 00"},
		"kh-khqr-decode-unsupported_currency":          {errs: "53:invalid", why: "849 is not in ISO 4217"},
		"kh-khqr-verify-error-poi_invalid":             {errs: "01:invalid", why: "POI '13'"},
		"kh-khqr-verify-error-mcc_too_long":            {errs: "52:invalid", why: "MCC '59991'"},
		"kh-khqr-verify-error-mcc_invalid_hex":         {errs: "52:invalid", why: "MCC '1A2B'"},
		"kh-khqr-verify-error-mcc_invalid_negative":    {errs: "52:invalid", why: "MCC '-100'"},
		"kh-khqr-verify-error-currency_unsupported":    {errs: "53:invalid", why: "849 is not in ISO 4217"},
		"kh-khqr-verify-error-merchant_name_too_long":  {errs: "59:invalid", why: "30 characters"},
		"kh-khqr-verify-error-merchant_city_too_long":  {errs: "60:invalid", why: "17 characters"},
		"kh-khqr-verify-error-bill_number_too_long":    {errs: "62.01:invalid", why: "27 characters"},
		"kh-khqr-verify-error-store_label_too_long":    {errs: "62.03:invalid", why: "31 characters"},
		"kh-khqr-verify-error-terminal_label_too_long": {errs: "62.07:invalid", why: "32 characters"},
		"kh-khqr-verify-error-account_id_too_long":     {errs: "30.00:invalid 53:missing 58:missing " + missing525960, why: "40-character GUID"},
		"kh-khqr-verify-error-poi_too_long":            {errs: "01:invalid 53:missing 58:missing " + missing525960, why: "POI '123'"},
		"kh-khqr-verify-error-currency_too_long":       {errs: "53:invalid 58:missing 59:missing 60:missing", why: "currency '8840'"},
		"kh-khqr-verify-error-country_code_too_long":   {errs: "58:invalid 59:missing 60:missing", why: "country 'KKH'"},
		"kh-khqr-verify-error-pfi_required_only_crc":   {errs: "00:missing 02-51:missing 53:missing 58:missing " + missing525960, why: "'63046007' alone"},
	}
	same := func(o outcome, ids ...string) {
		for _, id := range ids {
			m[id] = o
		}
	}
	// PromptPay and the NAPAS VietQR examples follow national profiles
	// that leave out what EMVCo marks mandatory.
	same(outcome{errs: missing525960, why: "PromptPay/VietQR profile omits 52, 59, 60"},
		"th-dtinth-1", "th-dtinth-2", "th-dtinth-3", "th-dtinth-4", "th-dtinth-5", "th-dtinth-6",
		"th-promptparse-goodcrc", "th-promptparse-1", "th-promptparse-2", "th-promptparse-3",
		"th-promptparse-4", "th-promptparse-5", "th-promptparse-6", "th-promptparse-7",
		"th-nascent-promptpay3", "vn-napas-6.1.1-static-account", "vn-napas-6.1.2-static-card",
		"vn-napas-6.1.3-dynamic-account", "vn-napas-6.1.4-dynamic-card", "vn-subiz-1", "vn-subiz-2",
		"vn-subiz-3", "vn-subiz-readme", "vn-giautm-1", "vn-giautm-2")
	// KHQR decode-only cases: the library decodes leniently what is not
	// conforming; the matching verify cases expect the same errors.
	same(outcome{errs: "02-51:missing", why: "no merchant account"},
		"kh-khqr-decode-no_merchant_account", "kh-khqr-verify-error-merchant_type_required_no_account_tag")
	same(outcome{errs: "52:missing 53:missing 58:missing 59:missing 60:missing", why: "only 00, 01, an account and 63"},
		"kh-khqr-decode-merchant_account_id_only", "kh-khqr-verify-error-merchant_type_required_tag26",
		"kh-khqr-verify-error-account_id_invalid")
	same(outcome{errs: "52:missing", why: "no MCC"}, "kh-khqr-decode-individual_no_mcc", "kh-khqr-verify-error-mcc_required")
	same(outcome{errs: "53:missing", why: "no currency"}, "kh-khqr-decode-individual_no_currency", "kh-khqr-verify-error-currency_required")
	same(outcome{errs: "58:missing", why: "no country"}, "kh-khqr-decode-no_country_code", "kh-khqr-verify-error-country_code_required")
	same(outcome{errs: "60:invalid", why: "17-character city"}, "kh-khqr-decode-city_too_long")
	same(outcome{errs: "60:missing", why: "empty or no city"}, "kh-khqr-decode-empty_city", "kh-khqr-decode-no_city",
		"kh-khqr-verify-error-merchant_city_required_empty", "kh-khqr-verify-error-merchant_city_required_missing")
	same(outcome{errs: "59:invalid", why: "30-character name"}, "kh-khqr-decode-long_merchant_name")
	same(outcome{errs: "59:missing", why: "empty or no name"}, "kh-khqr-decode-empty_merchant_name", "kh-khqr-decode-no_merchant_name",
		"kh-khqr-verify-error-merchant_name_required_empty", "kh-khqr-verify-error-merchant_name_required_missing")
	same(outcome{errs: "00:missing", why: "no payload format indicator"}, "kh-khqr-verify-error-pfi_required_no_tag00")
	return m
}()

// khqrOnly are KHQR verify-error cases whose rule is KHQR's own (field
// lengths inside Bakong templates, expiry timestamps, UPI with USD,
// dynamic without amount), not EMVCo's: they are valid EMV payloads.
var khqrOnly = []string{
	"account_info_too_long", "acquiring_bank_too_long", "upi_not_support_usd",
	"invalid_dynamic_khqr_no_amount", "khqr_expired", "expiration_required_no_tag99",
	"expiration_required_creation_only", "expiration_timestamp_length_invalid",
}

func TestVectors(t *testing.T) {
	f := loadVectors(t)
	if len(f.Cases) != 199 {
		t.Fatalf("got %d vectors, want 199", len(f.Cases))
	}
	var valid, nonConforming, crcBad, syntax int
	for _, c := range f.Cases {
		if len(c.Source) == 0 {
			t.Errorf("%s: no SOURCE", c.ID)
		}
		o := expectedOutcome(c)
		t.Run(c.ID, func(t *testing.T) { checkVector(t, c, o) })
		switch {
		case o.syntax != "":
			syntax++
		case strings.Contains(o.errs, ":crc") || strings.Contains(o.errs, ":nocrc"):
			crcBad++
		case o.errs != "":
			nonConforming++
		default:
			valid++
		}
	}
	t.Logf("%d vectors: %d valid, %d with a correct CRC but non-conforming fields, %d with a bad or missing CRC, %d structurally broken",
		len(f.Cases), valid, nonConforming, crcBad, syntax)
}

func expectedOutcome(c vector) outcome {
	if o, ok := outcomes[c.ID]; ok {
		return o
	}
	if !c.Collector.Valid {
		return outcome{errs: "63:crc"}
	}
	return outcome{}
}

func checkVector(t *testing.T, c vector, o outcome) {
	p, err := Decode(c.Payload)
	if o.syntax != "" {
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), o.syntax) {
			t.Fatalf("Decode error = %v, want ErrSyntax containing %q (%s)", err, o.syntax, o.why)
		}
		return
	}
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if p.CRCValid != c.Collector.Valid {
		t.Errorf("CRCValid = %v, collector says %v", p.CRCValid, c.Collector.Valid)
	}
	if s, err := Encode(p); err != nil || s != c.Payload {
		t.Errorf("Encode(Decode(x)) = %q, %v; want x", s, err)
	}
	err = p.Validate()
	if got, want := problemList(err), sortFields(o.errs); got != want {
		t.Errorf("Validate problems = %q, want %q (%s)\n%v", got, want, o.why, err)
	}
	if !c.Collector.Valid && !errors.Is(err, ErrCRC) {
		t.Errorf("Validate error %v does not match ErrCRC", err)
	}
	checkStated(t, c, p)
}

// problemList renders Validate's joined error as sorted "path:kind".
func problemList(err error) string {
	if err == nil {
		return ""
	}
	var list []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			return "unexpected " + e.Error()
		}
		list = append(list, fe.Path+":"+kindName(fe.Kind))
	}
	slices.Sort(list)
	return strings.Join(list, " ")
}

func sortFields(s string) string {
	f := strings.Fields(s)
	slices.Sort(f)
	return strings.Join(f, " ")
}

func kindName(k error) string {
	switch k {
	case errCRCMissing:
		return "nocrc"
	case ErrCRC:
		return "crc"
	case ErrMissing:
		return "missing"
	case ErrAmountDecimals:
		return "decimals"
	case ErrInvalidField:
		return "invalid"
	}
	return "?" + k.Error()
}

func TestKHQROnlyRulesAreValidEMV(t *testing.T) {
	for _, name := range khqrOnly {
		c := vectorByID(t, "kh-khqr-verify-error-"+name)
		p, err := Decode(c.Payload)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s (%s): %v", c.ID, c.Expectation, err)
		}
	}
}
