package bank_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/bank"
)

// panVectors is testdata/test_card_pans_luhn.json, a copy of the shared
// vector file (Stripe's published test cards; SOURCE per case inside).
type panVectors struct {
	Cases []struct {
		Brand      string `json:"brand"`
		PAN        string `json:"pan"`
		Length     int    `json:"length"`
		LuhnValid  bool   `json:"luhn_valid_by_collector"`
		StatedWhat string `json:"stated_behaviour"`
	} `json:"cases"`
}

func loadPANVectors(t *testing.T) panVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/test_card_pans_luhn.json")
	if err != nil {
		t.Fatal(err)
	}
	var v panVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// brandNetwork maps a vector's brand to the network LookupBIN must find.
// "BCcard and DinaCard" test cards start with 65, in the Discover range:
// those cards are routed over the Discover network.
func brandNetwork(brand string) string {
	base, _, _ := strings.Cut(brand, " (")
	switch base {
	case "American Express":
		return bank.NetworkAmex
	case "Diners Club":
		return bank.NetworkDiners
	case "BCcard and DinaCard":
		return bank.NetworkDiscover
	}
	return base
}

func TestPANVectors(t *testing.T) {
	v := loadPANVectors(t)
	valid, invalid := 0, 0
	for _, c := range v.Cases {
		t.Run(c.Brand+"/"+c.PAN, func(t *testing.T) {
			if len(c.PAN) != c.Length {
				t.Fatalf("vector length %d, PAN has %d digits", c.Length, len(c.PAN))
			}
			err := bank.ValidPAN(c.PAN)
			if c.LuhnValid != (err == nil) {
				t.Errorf("ValidPAN = %v, want valid=%v", err, c.LuhnValid)
			}
			if !c.LuhnValid && !errors.Is(err, bank.ErrPANChecksum) {
				t.Errorf("ValidPAN = %v, want ErrPANChecksum", err)
			}
			if err != nil && strings.Contains(err.Error(), c.PAN) {
				t.Errorf("error %q contains the card number", err)
			}
			b, ok := bank.LookupBIN(c.PAN)
			if want := brandNetwork(c.Brand); !ok || b.Network != want {
				t.Errorf("LookupBIN = %+v, %v; want network %s", b, ok, want)
			}
			if got, want := bank.MaskPAN(c.PAN), c.PAN[:4]+" **** **** "+c.PAN[len(c.PAN)-4:]; got != want {
				t.Errorf("MaskPAN = %q, want %q", got, want)
			}
		})
		if c.LuhnValid {
			valid++
		} else {
			invalid++
		}
	}
	if valid != 28 || invalid != 2 {
		t.Errorf("vectors: %d Luhn-valid and %d invalid, want 28 and 2", valid, invalid)
	}
}

// withCheckDigit appends the Luhn check digit to the digits of prefix.
func withCheckDigit(prefix string) string {
	sum := 0
	for i := len(prefix) - 1; i >= 0; i-- {
		d := int(prefix[i] - '0')
		if (len(prefix)-i)%2 == 1 { // doubled once the check digit is appended
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return prefix + string(rune('0'+(10-sum%10)%10))
}

func TestNormalizePAN(t *testing.T) {
	icbc := withCheckDigit("622202123456789012") // 19 digits
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"4242424242424242", "4242424242424242", nil},
		{"4242 4242 4242 4242", "4242424242424242", nil},
		{"4242-4242-4242-4242", "4242424242424242", nil},
		{" 4242 4242-4242 4242 ", "4242424242424242", nil},
		{icbc, icbc, nil},
		{"000000000000", "000000000000", nil}, // 12 digits, Luhn sum 0
		{withCheckDigit("62220212345"), withCheckDigit("62220212345"), nil},
		{"", "", bank.ErrPANFormat},
		{"   ", "", bank.ErrPANFormat},
		{"00000000000", "", bank.ErrPANFormat},          // 11 digits
		{"00000000000000000000", "", bank.ErrPANFormat}, // 20 digits
		{icbc + "0", "", bank.ErrPANFormat},
		{"4242x424242424242", "", bank.ErrPANFormat},
		{"4242.4242.4242.4242", "", bank.ErrPANFormat},
		{"4242\t4242\t4242\t4242", "", bank.ErrPANFormat},
		{"４２４２４２４２４２４２４２４２", "", bank.ErrPANFormat}, // full-width digits
		{"+4242424242424242", "", bank.ErrPANFormat},
		{"4242424242424241", "", bank.ErrPANChecksum},
		{"4242 4242 4242 4243", "", bank.ErrPANChecksum},
	}
	for _, tt := range tests {
		got, err := bank.NormalizePAN(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("NormalizePAN(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if verr := bank.ValidPAN(tt.in); !errors.Is(verr, tt.wantErr) || (verr == nil) != (err == nil) {
			t.Errorf("ValidPAN(%q) = %v, want %v", tt.in, verr, tt.wantErr)
		}
	}
}

func TestMaskPAN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6222021234567890", "6222 **** **** 7890"},
		{"6222 0212 3456 7890", "6222 **** **** 7890"},
		{"6205500000000000004", "6205 **** **** 0004"},
		{"378282246310005", "3782 **** **** 0005"},
		{"123456789012", "1234 **** **** 9012"},
		{"4242424242424241", "4242 **** **** 4241"}, // fails Luhn: still masked
		{"12345678901", "****"},
		{"", "****"},
		{"hello world 1234", "****"},
		{"12345678901234567890", "****"},
	}
	for _, tt := range tests {
		if got := bank.MaskPAN(tt.in); got != tt.want {
			t.Errorf("MaskPAN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLookupBIN(t *testing.T) {
	const (
		up   = bank.NetworkUnionPay
		visa = bank.NetworkVisa
		mc   = bank.NetworkMastercard
	)
	tests := []struct {
		pan  string
		want bank.BIN
	}{
		{"6222021234567890123", bank.BIN{"622202", "Industrial and Commercial Bank of China", up, bank.CardDebit}},
		{"6222 0212 3456", bank.BIN{"622202", "Industrial and Commercial Bank of China", up, bank.CardDebit}},
		{"6217001234567890123", bank.BIN{"621700", "China Construction Bank", up, bank.CardDebit}},
		{"6228481234567890123", bank.BIN{"622848", "Agricultural Bank of China", up, bank.CardDebit}},
		{"6216611234567890123", bank.BIN{"621661", "Bank of China", up, bank.CardDebit}},
		{"6225881234567890", bank.BIN{"622588", "China Merchants Bank", up, bank.CardDebit}},
		{"4392251234567890", bank.BIN{"439225", "China Merchants Bank", visa, bank.CardCredit}},
		{"6222601234567890123", bank.BIN{"622260", "Bank of Communications", up, bank.CardDebit}},
		{"5309901234567890", bank.BIN{"530990", "Industrial and Commercial Bank of China", mc, bank.CardCredit}},
		{"622202", bank.BIN{"622202", "Industrial and Commercial Bank of China", up, bank.CardDebit}},
		// Network level only.
		{"62", bank.BIN{"62", "", up, bank.CardUnknown}},
		{"6222031", bank.BIN{"622203", "Industrial and Commercial Bank of China", up, bank.CardDebit}},
		{"62220", bank.BIN{"62", "", up, bank.CardUnknown}}, // too short for the issuer row
		{"4111111111111111", bank.BIN{"4", "", visa, bank.CardUnknown}},
		{"5100000000000000", bank.BIN{"51", "", mc, bank.CardUnknown}},
		{"5500000000000000", bank.BIN{"55", "", mc, bank.CardUnknown}},
		{"2221000000000000", bank.BIN{"2221", "", mc, bank.CardUnknown}},
		{"2720999999999999", bank.BIN{"2720", "", mc, bank.CardUnknown}},
		{"340000000000000", bank.BIN{"34", "", bank.NetworkAmex, bank.CardUnknown}},
		{"370000000000000", bank.BIN{"37", "", bank.NetworkAmex, bank.CardUnknown}},
		{"3528000000000000", bank.BIN{"3528", "", bank.NetworkJCB, bank.CardUnknown}},
		{"3589000000000000", bank.BIN{"3589", "", bank.NetworkJCB, bank.CardUnknown}},
		{"6011000000000000", bank.BIN{"6011", "", bank.NetworkDiscover, bank.CardUnknown}},
		{"6440000000000000", bank.BIN{"644", "", bank.NetworkDiscover, bank.CardUnknown}},
		{"6490000000000000", bank.BIN{"649", "", bank.NetworkDiscover, bank.CardUnknown}},
		{"6500000000000000", bank.BIN{"65", "", bank.NetworkDiscover, bank.CardUnknown}},
		{"30000000000000", bank.BIN{"300", "", bank.NetworkDiners, bank.CardUnknown}},
		{"30500000000000", bank.BIN{"305", "", bank.NetworkDiners, bank.CardUnknown}},
		{"36000000000000", bank.BIN{"36", "", bank.NetworkDiners, bank.CardUnknown}},
	}
	for _, tt := range tests {
		got, ok := bank.LookupBIN(tt.pan)
		if !ok || got != tt.want {
			t.Errorf("LookupBIN(%q) = %+v, %v; want %+v", tt.pan, got, ok, tt.want)
		}
	}
	for _, pan := range []string{
		"", "-", "x", "6222a", "1234567890123", "2220999999999999", "2721000000000000",
		"3527999999999999", "3590000000000000", "6010000000000000", "6430000000000000",
		"3060000000000000", "5000000000000000", "5600000000000000", "33", "35",
		"62220212345678901234", // 20 digits
	} {
		if got, ok := bank.LookupBIN(pan); ok {
			t.Errorf("LookupBIN(%q) = %+v, want no match", pan, got)
		}
	}
}
