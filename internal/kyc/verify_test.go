package kyc_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

func TestNormalizeRequest(t *testing.T) {
	tests := []struct {
		in   kyc.Request
		want kyc.Request
	}{
		{
			kyc.Request{Name: " 张 三 ", Type: kyc.DocumentResidentID, Number: "11010519491231002x", Country: "ignored"},
			kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "11010519491231002X"},
		},
		{
			kyc.Request{Name: "John  Smith", Type: kyc.DocumentPassport, Country: "gbr", Number: "a1234567"},
			kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "GBR", Number: "A1234567"},
		},
	}
	for _, tt := range tests {
		got, err := kyc.NormalizeRequest(tt.in, testNow)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeRequest(%#v) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeRequestErrors(t *testing.T) {
	tests := []struct {
		in   kyc.Request
		want error
	}{
		{kyc.Request{Name: "张三", Number: "11010519491231002X"}, kyc.ErrDocumentType},
		{kyc.Request{Name: "张三", Type: "driving_licence", Number: "11010519491231002X"}, kyc.ErrDocumentType},
		{kyc.Request{Name: "", Type: kyc.DocumentResidentID, Number: "11010519491231002X"}, kyc.ErrName},
		{kyc.Request{Name: "张三3", Type: kyc.DocumentResidentID, Number: "11010519491231002X"}, kyc.ErrName},
		{kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "110105194912310021"}, kyc.ErrIDChecksum},
		{kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "1101051949123100"}, kyc.ErrIDFormat},
		{kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: withCheck("99010519491231002")}, kyc.ErrIDRegion},
		{kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: withCheck("11010520991231002")}, kyc.ErrIDBirthDate},
		{kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "XXA", Number: "A1234567"}, kyc.ErrPassportCountry},
		{kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "GBR", Number: "A12"}, kyc.ErrPassportNumber},
		{kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Number: "A1234567"}, kyc.ErrPassportCountry},
	}
	for _, tt := range tests {
		got, err := kyc.NormalizeRequest(tt.in, testNow)
		if !errors.Is(err, tt.want) || got != (kyc.Request{}) {
			t.Errorf("NormalizeRequest(%#v) = %#v, %v; want error %v", tt.in, got, err, tt.want)
		}
	}
}

func TestRequestPrintsMasked(t *testing.T) {
	tests := []struct {
		req  kyc.Request
		want string
	}{
		{kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "11010519491231002X"}, "resident_id 110***********002X"},
		{kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "GBR", Number: "A12345678"}, "passport GBR A1*****78"},
	}
	for _, tt := range tests {
		for _, got := range []string{tt.req.String(), fmt.Sprint(tt.req), fmt.Sprintf("%+v", tt.req)} {
			if got != tt.want {
				t.Errorf("printed %#v = %q, want %q", tt.req, got, tt.want)
			}
			if strings.Contains(got, tt.req.Name) {
				t.Errorf("printed %#v = %q reveals the name", tt.req, got)
			}
		}
	}
}
