package wallet

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t testing.TB, w, h int, format string) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webp builds a RIFF/WEBP container around one chunk.
func webp(chunk string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(4+8+len(body)))
	b.WriteString("WEBP")
	b.WriteString(chunk)
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(body)))
	b.Write(body)
	return b.Bytes()
}

func vp8l(w, h int) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	body := []byte{0x2f, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(body[1:5], bits)
	return webp("VP8L", body)
}

func vp8(w, h int) []byte {
	body := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(body[6:8], uint16(w))
	binary.LittleEndian.PutUint16(body[8:10], uint16(h))
	return webp("VP8 ", body)
}

func vp8x(w, h int) []byte {
	body := make([]byte, 10)
	w, h = w-1, h-1
	body[4], body[5], body[6] = byte(w), byte(w>>8), byte(w>>16)
	body[7], body[8], body[9] = byte(h), byte(h>>8), byte(h>>16)
	return webp("VP8X", body)
}

func TestSniffImage(t *testing.T) {
	pngImg, jpegImg := encoded(t, 40, 30, "png"), encoded(t, 40, 30, "jpeg")
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"png", pngImg, ImagePNG},
		{"jpeg", jpegImg, ImageJPEG},
		{"webp lossless", vp8l(640, 480), ImageWebP},
		{"webp lossy", vp8(800, 600), ImageWebP},
		{"webp extended", vp8x(1024, 768), ImageWebP},
		{"empty", nil, ""},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00;"), ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
		{"png signature only", pngImg[:8], ""},
		{"truncated png header", pngImg[:20], ""},
		{"jpeg marker only", []byte{0xff, 0xd8, 0xff, 0xe0}, ""},
		{"html behind a png signature", append([]byte("\x89PNG\r\n\x1a\n"), "<html>"...), ""},
		{"webp too wide", vp8x(maxImageSide+1, 10), ""},
		{"webp with a wrong riff size", append(vp8l(10, 10), 0, 0), ""},
		{"webp truncated", vp8l(10, 10)[:25], ""},
		{"webp of an unknown chunk", webp("ALPH", make([]byte, 10)), ""},
		{"webp lossy without a start code", webp("VP8 ", make([]byte, 12)), ""},
		{"riff but wave", append([]byte("RIFF\x04\x00\x00\x00WAVE"), make([]byte, 20)...), ""},
	} {
		got, ok := SniffImage(c.data)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: %q %v, want %q", c.name, got, ok, c.want)
		}
	}
	// A PNG that claims a canvas beyond the bound is refused by its header.
	big := encoded(t, 1, 1, "png")
	binary.BigEndian.PutUint32(big[16:20], maxImageSide+1)                 // IHDR width
	binary.BigEndian.PutUint32(big[29:33], crc32.ChecksumIEEE(big[12:29])) // and its checksum
	if _, ok := SniffImage(big); ok {
		t.Error("a PNG wider than the bound passed")
	}
}

// FuzzSniffImage: any bytes give an answer without panicking, and an
// accepted type is one of the three and agrees with the leading bytes.
func FuzzSniffImage(f *testing.F) {
	f.Add(encoded(f, 3, 2, "png"))
	f.Add(encoded(f, 3, 2, "jpeg"))
	f.Add(vp8l(5, 7))
	f.Add(vp8(5, 7))
	f.Add(vp8x(5, 7))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X"))
	f.Add([]byte("<svg/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, ok := SniffImage(data)
		if !ok {
			if ct != "" {
				t.Fatalf("refused with a type %q", ct)
			}
			return
		}
		switch ct {
		case ImagePNG:
			if !bytes.HasPrefix(data, []byte("\x89PNG")) {
				t.Fatal("png without its signature")
			}
		case ImageJPEG:
			if !bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) {
				t.Fatal("jpeg without its marker")
			}
		case ImageWebP:
			if len(data) < 30 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
				t.Fatal("webp without its container")
			}
		default:
			t.Fatalf("type %q", ct)
		}
	})
}
