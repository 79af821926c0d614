package emvqr

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Encode writes p.Tags as a payload, computing every length in characters
// and encoding each tag's Sub (recursively) when it has one.
//
// The CRC tag 63 must be last if present. A tag 63 with an empty Value is
// a placeholder that Encode fills with the checksum of everything before
// it; a tag 63 with a value is written as is, so that Encode(Decode(x)) ==
// x even when x has a wrong CRC. Without a tag 63 no CRC is written. Encode
// does not validate field contents; see Validate.
func Encode(p *Payload) (string, error) {
	if p == nil {
		return "", errors.New("emvqr: Encode of a nil Payload")
	}
	var b strings.Builder
	for i, t := range p.Tags {
		if t.ID == "63" {
			if i != len(p.Tags)-1 {
				return "", fieldErr("63", ErrSyntax, "CRC is not the last data object")
			}
			crc, err := crcObject(b.String(), t.Value)
			if err != nil {
				return "", err
			}
			return b.String() + crc, nil
		}
		if err := appendTag(&b, t, ""); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// crcObject returns the CRC data object that follows head: value as given,
// or the computed checksum if value is empty.
func crcObject(head, value string) (string, error) {
	if value == "" {
		return "6304" + Checksum(head+"6304"), nil
	}
	if n := utf8.RuneCountInString(value); n != 4 || !utf8.ValidString(value) {
		return "", fieldErr("63", ErrInvalidField, "value must be 4 characters, got %q", value)
	}
	return "6304" + value, nil
}
