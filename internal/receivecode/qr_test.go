package receivecode

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"
)

func testPayloads(t *testing.T) []string {
	c := newTestCodec(t)
	var out []string
	for _, code := range sampleCodes() {
		p, err := c.Encode(code)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return append(out, "https://example.com/日本語")
}

func scan(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return res.GetText()
}

func TestPNGScansBack(t *testing.T) {
	for _, payload := range testPayloads(t) {
		for _, size := range []int{MinPNGSize * 3, 300, MaxPNGSize} {
			data, err := PNG(payload, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Errorf("image is %v, want %d px square", b, size)
			}
			if got := scan(t, img); got != payload {
				t.Errorf("scanned %q, want %q", got, payload)
			}
		}
	}
}

func TestPNGRejects(t *testing.T) {
	long := testPayloads(t)[4]
	for _, tc := range []struct {
		payload string
		size    int
	}{{"x", MinPNGSize - 1}, {"x", MaxPNGSize + 1}, {"x", -1}, {"", 256}, {long + long + long, MinPNGSize}, {strings.Repeat("x", 3000), 2048}} {
		if _, err := PNG(tc.payload, tc.size); err == nil {
			t.Errorf("PNG(%d bytes, %d) succeeded", len(tc.payload), tc.size)
		}
	}
	if _, err := SVG(""); err == nil {
		t.Error("SVG(\"\") succeeded")
	}
}

type svgDoc struct {
	XMLName xml.Name  `xml:"svg"`
	ViewBox string    `xml:"viewBox,attr"`
	Shape   string    `xml:"shape-rendering,attr"`
	Paths   []svgPath `xml:"path"`
}

type svgPath struct {
	D string `xml:"d,attr"`
}

var runRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

func TestSVG(t *testing.T) {
	for _, payload := range testPayloads(t) {
		data, err := SVG(payload)
		if err != nil {
			t.Fatal(err)
		}
		var doc svgDoc
		if err := xml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if doc.XMLName.Space != "http://www.w3.org/2000/svg" || doc.Shape != "crispEdges" || len(doc.Paths) != 1 {
			t.Fatalf("unexpected SVG: %s", data)
		}
		n := wantModules(t, payload)
		if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) {
			t.Errorf("viewBox %q, want %d modules", doc.ViewBox, n)
		}
		grid := parsePath(t, doc.Paths[0].D, n)
		if got := scan(t, rasterize(grid, 8*n, 8)); got != payload {
			t.Errorf("SVG scanned %q, want %q", got, payload)
		}
	}
}

// wantModules is the QR version's side plus the quiet zone on both sides.
func wantModules(t *testing.T, payload string) int {
	var hints map[gozxing.EncodeHintType]any
	if !isASCII(payload) {
		hints = map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	}
	qr, err := encoder.Encoder_encode(payload, decoder.ErrorCorrectionLevel_M, hints)
	if err != nil {
		t.Fatal(err)
	}
	v := qr.GetVersion().GetVersionNumber()
	return 17 + 4*v + 2*QuietZone
}

// parsePath turns the path's runs back into modules, checking that they
// lie inside the symbol and outside the quiet zone.
func parsePath(t *testing.T, d string, n int) modules {
	grid := make(modules, n)
	for y := range grid {
		grid[y] = make([]bool, n)
	}
	if rest := runRE.ReplaceAllString(d, ""); rest != "" {
		t.Fatalf("unexpected path data %q", rest)
	}
	for _, m := range runRE.FindAllStringSubmatch(d, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if m[3] != m[4] || x < QuietZone || y < QuietZone || y >= n-QuietZone || x+w > n-QuietZone {
			t.Fatalf("run %q outside the symbol", m[0])
		}
		for i := x; i < x+w; i++ {
			grid[y][i] = true
		}
	}
	return grid
}
