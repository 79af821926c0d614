package emvqr_test

import (
	"errors"
	"fmt"

	"github.com/shiliantong/shiliantong/pkg/emvqr"
)

func ExampleDecode() {
	// PayNow spec v1.3 sample: its CRC 0870 was computed without "6304".
	p, err := emvqr.Decode("00020101021126550009SG.PAYNOW010100216+621234567890123030100408202012315204581453037025802SG5916FOOD XYZ PTE LTD6009SINGAPORE610608100662290125012345678901234567890123463040870")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MerchantName, p.MerchantCity, p.Country, p.Currency, p.MerchantAccounts[0].GUID)
	err = p.Validate()
	fmt.Println(p.CRCValid, errors.Is(err, emvqr.ErrCRC))
	fmt.Println(err)
	// Output:
	// FOOD XYZ PTE LTD SINGAPORE SG SGD SG.PAYNOW
	// false true
	// emvqr: tag 63 (CRC): "0870" does not match the computed B90C
}

func ExampleBuild() {
	s, err := emvqr.Build(emvqr.Builder{
		Dynamic:        true,
		Accounts:       []emvqr.MerchantAccount{{GUID: "br.gov.bcb.pix", Fields: []emvqr.Tag{{ID: "01", Value: "thalesog@me.com"}}}},
		Merchant:       emvqr.Merchant{CategoryCode: "0000", Country: "BR", Name: "THALES OGLIARI", City: "SAO PAULO"},
		Currency:       "BRL",
		Amount:         1000, // 10.00 BRL
		AdditionalData: emvqr.AdditionalData{ReferenceLabel: "***"},
	})
	fmt.Println(s, err)
	// Output:
	// 00020101021226370014br.gov.bcb.pix0115thalesog@me.com520400005303986540510.005802BR5914THALES OGLIARI6009SAO PAULO62070503***6304A425 <nil>
}

func ExampleDecode_syntaxError() {
	_, err := emvqr.Decode("00020101021226280012D156000000000108ABCDEFGH62250105ABCDE0530xxxxxxxxxxxx63041234")
	fmt.Println(err)
	// Output:
	// emvqr: tag 62.05: length 30 exceeds remaining 12 characters at offset 57
}
