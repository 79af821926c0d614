package kyc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

func TestValidPassport(t *testing.T) {
	tests := []struct {
		country, number string
		want            error
	}{
		{"CHN", "E12345678", nil},
		{"chn", "e12345678", nil},
		{"Usa", "A1234567", nil},
		{"GBR", "123456789", nil},
		{"SSD", "ABCDE", nil},
		{"HKG", "K12345678", nil},
		{"TWN", "300000001", nil},
		{"DEU", strings.Repeat("C", 20), nil},
		{"", "E12345678", kyc.ErrPassportCountry},
		{"CN", "E12345678", kyc.ErrPassportCountry},
		{"CHNA", "E12345678", kyc.ErrPassportCountry},
		{"D", "C01X00T47", kyc.ErrPassportCountry},   // ICAO code for Germany
		{"GBD", "123456789", kyc.ErrPassportCountry}, // ICAO, not ISO 3166
		{"UNO", "123456789", kyc.ErrPassportCountry},
		{"XXA", "123456789", kyc.ErrPassportCountry},
		{"ANT", "123456789", kyc.ErrPassportCountry}, // withdrawn in 2010
		{" CHN", "E12345678", kyc.ErrPassportCountry},
		{"CHN", "", kyc.ErrPassportNumber},
		{"CHN", "E123", kyc.ErrPassportNumber},
		{"CHN", strings.Repeat("C", 21), kyc.ErrPassportNumber},
		{"CHN", "E1234 5678", kyc.ErrPassportNumber},
		{"CHN", "E-12345678", kyc.ErrPassportNumber},
		{"CHN", " E12345678", kyc.ErrPassportNumber},
		{"CHN", "Ｅ12345678", kyc.ErrPassportNumber}, // full-width E
		{"CHN", "ſ12345678", kyc.ErrPassportNumber}, // long s; strings.ToUpper makes it S
		{"CHN", "ı12345678", kyc.ErrPassportNumber}, // dotless i; strings.ToUpper makes it I
		{"CHN", "E1234567\x00", kyc.ErrPassportNumber},
		{"CHN", "E1234567\xff", kyc.ErrPassportNumber},
	}
	for _, tt := range tests {
		if err := kyc.ValidPassport(tt.country, tt.number); !errors.Is(err, tt.want) {
			t.Errorf("ValidPassport(%q, %q) = %v, want %v", tt.country, tt.number, err, tt.want)
		}
	}
}
