package paycode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

// Barcode renders a payment code as a Code-128 barcode PNG, width × height
// pixels with quiet zones, as the wallet app shows it under the QR code for
// scanners that read only barcodes.
func Barcode(code string, width, height int) ([]byte, error) {
	if width < 100 || width > 4096 || height < 20 || height > 1024 {
		return nil, fmt.Errorf("paycode: barcode size %d×%d out of range", width, height)
	}
	m, err := oned.NewCode128Writer().Encode(code, gozxing.BarcodeFormat_CODE_128, width, height, nil)
	if err != nil {
		return nil, fmt.Errorf("paycode: barcode: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := 0; y < m.GetHeight(); y++ {
		for x := 0; x < m.GetWidth(); x++ {
			if m.Get(x, y) {
				img.SetGray(x, y, color.Gray{Y: 0})
			} else {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
