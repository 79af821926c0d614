package paycode

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

func TestBarcodeScansBack(t *testing.T) {
	code := "770841298284111985"
	b, err := Barcode(code, 600, 120)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the barcode does not scan: %v", err)
	}
	if res.GetText() != code {
		t.Errorf("scanned %q, want %q", res.GetText(), code)
	}
	if _, err := Barcode(code, 10, 10); err == nil {
		t.Error("a 10×10 barcode was drawn")
	}
}
