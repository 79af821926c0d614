package emvqr

import (
	"errors"
	"fmt"
)

// Error kinds. Every error returned by this package matches exactly one or
// two of them with errors.Is.
var (
	// ErrSyntax means the payload is not a well-formed sequence of data
	// objects: a non-digit ID or length, a length running past the end, a
	// template whose value does not nest, a misplaced CRC, invalid UTF-8.
	ErrSyntax = errors.New("emvqr: syntax error")

	// ErrCRC means the CRC (ID 63) is missing or does not match the
	// payload.
	ErrCRC = errors.New("emvqr: CRC mismatch")

	// ErrMissing means a mandatory data object is absent or empty.
	ErrMissing = errors.New("emvqr: mandatory data object missing")

	// ErrInvalidField means a data object is present but its value does
	// not conform to the specification.
	ErrInvalidField = errors.New("emvqr: invalid data object")

	// ErrAmountDecimals means the transaction amount (54) has more
	// decimal places than the currency's ISO 4217 exponent, e.g. "1.5" in
	// JPY. It also matches ErrInvalidField.
	ErrAmountDecimals error = &kind{"emvqr: amount has more decimals than the currency allows", []error{ErrInvalidField}}

	// errCRCMissing is the kind of a payload without tag 63; it matches
	// both ErrCRC and ErrMissing.
	errCRCMissing error = &kind{"emvqr: CRC missing", []error{ErrCRC, ErrMissing}}
)

// kind is an error kind that refines one or more broader kinds.
type kind struct {
	msg     string
	parents []error
}

func (k *kind) Error() string   { return k.msg }
func (k *kind) Unwrap() []error { return k.parents }

// SyntaxError reports a structural error found while decoding. It matches
// ErrSyntax.
type SyntaxError struct {
	// Path is the tag path, such as "62.05", or the enclosing template's
	// ID when the data object's own ID could not be read; "" at the top
	// level.
	Path string
	// Offset is the position of the offending data object in the
	// payload, counted in characters (code points) from 0.
	Offset int
	// Msg describes the problem.
	Msg string
}

// Error returns, for example, "emvqr: tag 62.05: length 30 exceeds
// remaining 12 characters at offset 57".
func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("emvqr: %s at offset %d", e.Msg, e.Offset)
	}
	return fmt.Sprintf("emvqr: tag %s: %s at offset %d", e.Path, e.Msg, e.Offset)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// FieldError reports a data object that Validate, Encode or Build rejects.
type FieldError struct {
	// Path is the tag path, such as "59" or "62.01"; "02-51" for the
	// merchant account information as a whole.
	Path string
	// Kind is ErrMissing, ErrInvalidField, ErrAmountDecimals, ErrCRC or
	// ErrSyntax.
	Kind error
	// Msg describes the problem.
	Msg string
}

// Error returns, for example, "emvqr: tag 59 (merchant name): 30
// characters, at most 25".
func (e *FieldError) Error() string {
	if name := tagName(e.Path); name != "" {
		return fmt.Sprintf("emvqr: tag %s (%s): %s", e.Path, name, e.Msg)
	}
	return fmt.Sprintf("emvqr: tag %s: %s", e.Path, e.Msg)
}

// Unwrap returns the error's Kind.
func (e *FieldError) Unwrap() error { return e.Kind }

func fieldErr(path string, k error, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// tagNames names the data objects that appear in error messages.
var tagNames = map[string]string{
	"00": "payload format indicator", "01": "point of initiation method",
	"02-51": "merchant account information",
	"52":    "merchant category code", "53": "transaction currency",
	"54": "transaction amount", "55": "tip or convenience indicator",
	"56": "convenience fee fixed", "57": "convenience fee percentage",
	"58": "country code", "59": "merchant name", "60": "merchant city",
	"61": "postal code", "62": "additional data", "63": "CRC",
	"64":    "merchant information - language template",
	"62.01": "bill number", "62.02": "mobile number", "62.03": "store label",
	"62.04": "loyalty number", "62.05": "reference label",
	"62.06": "customer label", "62.07": "terminal label",
	"62.08": "purpose of transaction",
	"62.09": "additional consumer data request",
	"62.10": "merchant tax ID", "62.11": "merchant channel",
	"64.00": "language preference", "64.01": "alternate merchant name",
	"64.02": "alternate merchant city",
}

func tagName(path string) string {
	if name, ok := tagNames[path]; ok {
		return name
	}
	if len(path) == 5 && path[2] == '.' && path[3:] == "00" && isAccountTemplate(path[:2]) {
		return "globally unique identifier"
	}
	return ""
}
