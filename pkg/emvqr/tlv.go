package emvqr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tag is one data object: a two-digit ID and its value.
type Tag struct {
	// ID is the two-digit identifier, "00" to "99".
	ID string
	// Value is the value exactly as it appears in the payload; for a
	// template it is the encoding of Sub.
	Value string
	// Sub holds the nested data objects of a template, in order. Decode
	// fills it for IDs 26–51, 62, 64 and, when their value nests, 80–99.
	// When Sub is non-nil Encode writes it instead of Value.
	Sub []Tag
}

// Len returns the length of the tag's value in characters, as written in
// its length field.
func (t Tag) Len() int {
	if t.Sub != nil {
		v, err := encodeTags(t.Sub, t.ID)
		if err == nil {
			return utf8.RuneCountInString(v)
		}
	}
	return utf8.RuneCountInString(t.Value)
}

// Find returns the first tag with the given ID.
func Find(tags []Tag, id string) (Tag, bool) {
	for _, t := range tags {
		if t.ID == id {
			return t, true
		}
	}
	return Tag{}, false
}

// DecodeTLV splits s into data objects without interpreting them or
// looking inside any template. It serves scheme-specific values that are
// themselves TLV-encoded, such as VietQR's 38.01 (acquirer BIN and
// account). Offsets in errors are relative to s.
func DecodeTLV(s string) ([]Tag, error) {
	if !utf8.ValidString(s) {
		return nil, invalidUTF8(s)
	}
	p := parser{rs: []rune(s)}
	tags, _, err := p.level(0, len(p.rs), "")
	return tags, err
}

// parser reads data objects from a payload held as runes, so that lengths
// and offsets count characters.
type parser struct {
	rs []rune
}

// level parses the data objects in rs[start:end]. parent is the enclosing
// template's ID ("" at the top level). It also returns where each value
// starts.
func (p *parser) level(start, end int, parent string) ([]Tag, []int, error) {
	var tags []Tag
	var starts []int
	for i := start; i < end; {
		t, err := p.object(i, end, parent)
		if err != nil {
			return nil, nil, err
		}
		tags = append(tags, t)
		starts = append(starts, i+4)
		i += 4 + utf8.RuneCountInString(t.Value)
	}
	return tags, starts, nil
}

// object parses the data object starting at rs[i], which must end by end.
func (p *parser) object(i, end int, parent string) (Tag, error) {
	if end-i < 4 {
		return Tag{}, &SyntaxError{Path: parent, Offset: i,
			Msg: fmt.Sprintf("truncated: a data object needs at least 4 characters, %d left", end-i)}
	}
	id := string(p.rs[i : i+2])
	if !isDigits(id) {
		return Tag{}, &SyntaxError{Path: parent, Offset: i, Msg: fmt.Sprintf("invalid ID %q", id)}
	}
	path := joinPath(parent, id)
	length := string(p.rs[i+2 : i+4])
	if !isDigits(length) {
		return Tag{}, &SyntaxError{Path: path, Offset: i, Msg: fmt.Sprintf("invalid length %q", length)}
	}
	n, _ := strconv.Atoi(length)
	if left := end - i - 4; n > left {
		return Tag{}, &SyntaxError{Path: path, Offset: i,
			Msg: fmt.Sprintf("length %d exceeds remaining %d characters", n, left)}
	}
	return Tag{ID: id, Value: string(p.rs[i+4 : i+4+n])}, nil
}

// invalidUTF8 reports the character offset of the first invalid byte.
func invalidUTF8(s string) error {
	offset := 0
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				break
			}
		}
		offset++
	}
	return &SyntaxError{Offset: offset, Msg: "invalid UTF-8"}
}

// encodeTags writes tags as data objects; path names the enclosing
// template in errors.
func encodeTags(tags []Tag, path string) (string, error) {
	var b strings.Builder
	for _, t := range tags {
		if err := appendTag(&b, t, path); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// appendTag writes one data object, encoding its Sub if it has one.
func appendTag(b *strings.Builder, t Tag, parent string) error {
	path := joinPath(parent, t.ID)
	if len(t.ID) != 2 || !isDigits(t.ID) {
		return fieldErr(path, ErrSyntax, "ID must be two digits")
	}
	v := t.Value
	if t.Sub != nil {
		var err error
		if v, err = encodeTags(t.Sub, path); err != nil {
			return err
		}
	}
	if !utf8.ValidString(v) {
		return fieldErr(path, ErrInvalidField, "value is not valid UTF-8")
	}
	n := utf8.RuneCountInString(v)
	if n > 99 {
		return fieldErr(path, ErrInvalidField, "value is %d characters, at most 99", n)
	}
	fmt.Fprintf(b, "%s%02d%s", t.ID, n, v)
	return nil
}

func joinPath(parent, id string) string {
	if parent == "" {
		return id
	}
	return parent + "." + id
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// idNum returns the numeric value of a two-digit ID, or -1.
func idNum(id string) int {
	if len(id) != 2 || !isDigits(id) {
		return -1
	}
	return int(id[0]-'0')*10 + int(id[1]-'0')
}

// isAccount reports whether id is merchant account information (02–51).
func isAccount(id string) bool {
	n := idNum(id)
	return n >= 2 && n <= 51
}

// isAccountTemplate reports whether id is a merchant account information
// template (26–51).
func isAccountTemplate(id string) bool {
	n := idNum(id)
	return n >= 26 && n <= 51
}

// isUnreserved reports whether id is an unreserved template (80–99).
func isUnreserved(id string) bool {
	n := idNum(id)
	return n >= 80 && n <= 99
}

// isTemplate reports whether the top-level id holds nested data objects.
func isTemplate(id string) bool {
	return isAccountTemplate(id) || id == "62" || id == "64" || isUnreserved(id)
}
