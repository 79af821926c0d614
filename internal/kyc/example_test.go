package kyc_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

func ExampleValidResidentID() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	id, err := kyc.ValidResidentID("11010519491231002x", now)
	fmt.Println(id.Number, id.Province, id.BirthDate.Format(time.DateOnly), id.Female, err)

	_, err = kyc.ValidResidentID("110105194912310021", now)
	fmt.Println(errors.Is(err, kyc.ErrIDChecksum))
	// Output:
	// 11010519491231002X 11 1949-12-31 true <nil>
	// true
}

func ExampleMaskID() {
	fmt.Println(kyc.MaskID("11010519491231002X"))
	fmt.Println(kyc.MaskID("E12345678"))
	// Output:
	// 110***********002X
	// E1*****78
}

func ExampleSameName() {
	fmt.Println(kyc.SameName("阿沛 · 阿旺晋美", "阿沛·阿旺晋美"))
	fmt.Println(kyc.SameName("Zhang  San", "ZHANG SAN"))
	fmt.Println(kyc.SameName("Zhang San", "ZhangSan"))
	// Output:
	// true
	// true
	// false
}

func ExampleSandbox() {
	s := kyc.NewSandbox(kyc.SandboxConfig{Seed: 1})
	ctx := context.Background()

	v, err := s.Verify(ctx, kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "11010519491231002X"})
	fmt.Println(v.Reference, v.Masked, err)

	// Sequence code 999: the document belongs to someone else.
	_, err = s.Verify(ctx, kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "110105194912319999"})
	fmt.Println(errors.Is(err, kyc.ErrMismatch))

	_, err = s.Verify(ctx, kyc.Request{Name: "Unavailable", Type: kyc.DocumentPassport, Country: "GBR", Number: "A12345678"})
	fmt.Println(errors.Is(err, kyc.ErrUnavailable))
	// Output:
	// sandbox-1 110***********002X <nil>
	// true
	// true
}
