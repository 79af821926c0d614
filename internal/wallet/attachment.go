package wallet

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"image/png"
)

// Attachments of a dispute are images: PNG, JPEG or WebP, told by their
// bytes (never by a name or a type the client claims), within a size and
// a pixel count. Anything else is refused before it is stored; what is
// stored is served back with the type found here and nosniff, so a
// browser never reads it as anything else.

// Image content types an attachment may have.
const (
	ImagePNG  = "image/png"
	ImageJPEG = "image/jpeg"
	ImageWebP = "image/webp"
)

// maxImageSide bounds an attachment's width and height in pixels: a
// photo of a receipt is a few thousand pixels a side; a tiny file that
// claims a huge canvas is a decompression bomb for whoever opens it.
const maxImageSide = 12_000

// SniffImage returns the content type of an image attachment, and false
// if data is not a well-formed PNG, JPEG or WebP header of a sensible
// size. It reads only headers (it does not decode the pixels).
func SniffImage(data []byte) (string, bool) {
	var ct string
	var w, h int
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		c, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", false
		}
		ct, w, h = ImagePNG, c.Width, c.Height
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		c, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return "", false
		}
		ct, w, h = ImageJPEG, c.Width, c.Height
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		var ok bool
		w, h, ok = webpSize(data)
		if !ok {
			return "", false
		}
		ct = ImageWebP
	default:
		return "", false
	}
	if w <= 0 || h <= 0 || w > maxImageSide || h > maxImageSide {
		return "", false
	}
	return ct, true
}

// webpSize reads a WebP file's canvas size from its first chunk: VP8
// (lossy), VP8L (lossless) or VP8X (extended). The RIFF size must match
// the data (a truncated or padded file is refused).
func webpSize(data []byte) (w, h int, ok bool) {
	if len(data) < 30 {
		return 0, 0, false
	}
	riff := binary.LittleEndian.Uint32(data[4:8])
	if uint64(riff)+8 != uint64(len(data)) {
		return 0, 0, false
	}
	chunk, size := string(data[12:16]), binary.LittleEndian.Uint32(data[16:20])
	body := data[20:]
	if uint64(size) > uint64(len(body)) {
		return 0, 0, false
	}
	body = body[:size]
	switch chunk {
	case "VP8 ":
		// A key frame: 3-byte frame tag, start code 9d 01 2a, then 14-bit
		// width and height.
		if len(body) < 10 || body[3] != 0x9d || body[4] != 0x01 || body[5] != 0x2a || body[0]&1 != 0 {
			return 0, 0, false
		}
		w = int(binary.LittleEndian.Uint16(body[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(body[8:10]) & 0x3fff)
	case "VP8L":
		// Signature 0x2f, then 14 bits of width-1 and 14 of height-1.
		if len(body) < 5 || body[0] != 0x2f {
			return 0, 0, false
		}
		bits := binary.LittleEndian.Uint32(body[1:5])
		w, h = int(bits&0x3fff)+1, int(bits>>14&0x3fff)+1
		if bits>>29 != 0 { // the version must be 0
			return 0, 0, false
		}
	case "VP8X":
		// Flags (4 bytes), then 24-bit canvas width-1 and height-1.
		if len(body) < 10 {
			return 0, 0, false
		}
		w = int(uint32(body[4])|uint32(body[5])<<8|uint32(body[6])<<16) + 1
		h = int(uint32(body[7])|uint32(body[8])<<8|uint32(body[9])<<16) + 1
	default:
		return 0, 0, false
	}
	return w, h, true
}
