package receivecode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

// Limits on the side length, in pixels, of an image from PNG.
const (
	MinPNGSize = 64
	MaxPNGSize = 2048
)

// QuietZone is the light margin, in modules, around every rendered code.
const QuietZone = 4

// modules is a square QR symbol including its quiet zone; true is dark.
type modules [][]bool

// symbol encodes payload at error-correction level M and pads it with the
// quiet zone.
func symbol(payload string) (modules, error) {
	if payload == "" {
		return nil, errors.New("receivecode: empty payload")
	}
	var hints map[gozxing.EncodeHintType]any
	if !isASCII(payload) {
		hints = map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	}
	qr, err := encoder.Encoder_encode(payload, decoder.ErrorCorrectionLevel_M, hints)
	if err != nil {
		return nil, fmt.Errorf("receivecode: QR encode: %w", err)
	}
	m := qr.GetMatrix()
	n := m.GetWidth() + 2*QuietZone
	grid := make(modules, n)
	for y := range grid {
		grid[y] = make([]bool, n)
	}
	for y := range m.GetHeight() {
		for x := range m.GetWidth() {
			grid[y+QuietZone][x+QuietZone] = m.Get(x, y) == 1
		}
	}
	return grid, nil
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// PNG renders payload as a sizePx × sizePx black-on-white QR code image
// (error-correction level M, quiet zone of 4 modules). Modules are a whole
// number of pixels, and the code is centred, so the margin may be slightly
// wider than the quiet zone. sizePx must be in MinPNGSize..MaxPNGSize and
// large enough for one pixel per module.
func PNG(payload string, sizePx int) ([]byte, error) {
	if sizePx < MinPNGSize || sizePx > MaxPNGSize {
		return nil, fmt.Errorf("receivecode: PNG size %d px is outside %d..%d", sizePx, MinPNGSize, MaxPNGSize)
	}
	grid, err := symbol(payload)
	if err != nil {
		return nil, err
	}
	scale := sizePx / len(grid)
	if scale < 1 {
		return nil, fmt.Errorf("receivecode: PNG size %d px is too small for %d modules", sizePx, len(grid))
	}
	img := rasterize(grid, sizePx, scale)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("receivecode: PNG encode: %w", err)
	}
	return buf.Bytes(), nil
}

// rasterize draws grid centred on a size × size two-colour image.
func rasterize(grid modules, size, scale int) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	off := (size - len(grid)*scale) / 2
	for y, row := range grid {
		for x, dark := range row {
			if dark {
				r := image.Rect(off+x*scale, off+y*scale, off+(x+1)*scale, off+(y+1)*scale)
				fill(img, r)
			}
		}
	}
	return img
}

// fill sets r to palette index 1 (black).
func fill(img *image.Paletted, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetColorIndex(x, y, 1)
		}
	}
}

// SVG renders payload as a QR code (error-correction level M, quiet zone of
// 4 modules) in SVG: a white background and a single <path> of the dark
// modules, with the viewBox measured in modules including the quiet zone and
// shape-rendering="crispEdges". It has no width or height, so it scales to
// its container.
func SVG(payload string) ([]byte, error) {
	grid, err := symbol(payload)
	if err != nil {
		return nil, err
	}
	n := len(grid)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range grid {
		writeRuns(&b, y, row)
	}
	b.WriteString("\"/></svg>\n")
	return b.Bytes(), nil
}

// writeRuns appends one rectangle subpath per horizontal run of dark
// modules in row y.
func writeRuns(b *bytes.Buffer, y int, row []bool) {
	for x := 0; x < len(row); {
		if !row[x] {
			x++
			continue
		}
		start := x
		for x < len(row) && row[x] {
			x++
		}
		fmt.Fprintf(b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
	}
}
