package receivecode

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/shiliantong/shiliantong/internal/money"
)

// MaxNoteBytes is the largest note, in bytes of UTF-8, that a Code may carry.
const MaxNoteBytes = 64

// Sentinel errors returned (wrapped with detail) by Decode and Encode;
// compare with errors.Is.
var (
	// ErrNotOurs: the payload is a URL that is not one of this Codec's
	// receive codes (another scheme, host or path).
	ErrNotOurs = errors.New("not a receive code of this wallet")
	// ErrForged: the token is well formed but its tag does not verify; it
	// was not issued with this key, or it was altered.
	ErrForged = errors.New("receive code failed verification")
	// ErrMalformed: the payload is ours but cannot be parsed, or it carries
	// an invalid amount, currency or note.
	ErrMalformed = errors.New("malformed receive code")
	// ErrInvalidCode: Encode was given a Code that cannot be encoded.
	ErrInvalidCode = errors.New("invalid receive code")
)

// Code is what a receive code says: who is paid and, optionally, how much.
type Code struct {
	UserID   uuid.UUID // the payee; must not be uuid.Nil
	Amount   int64     // minor units of Currency; 0 = the payer enters the amount
	Currency string    // ISO 4217 code; required if Amount or Note is set
	Note     string    // shown to the payer; at most MaxNoteBytes of UTF-8
}

// hasExtension reports whether c carries the optional amount block.
func (c Code) hasExtension() bool {
	return c.Amount != 0 || c.Currency != "" || c.Note != ""
}

// validate returns a descriptive error if c cannot be encoded. Callers wrap
// it with ErrInvalidCode or ErrMalformed.
func (c Code) validate() error {
	if c.UserID == uuid.Nil {
		return errors.New("user id is the nil UUID")
	}
	if !c.hasExtension() {
		return nil
	}
	if c.Amount < 0 {
		return fmt.Errorf("amount %d is negative", c.Amount)
	}
	if err := validateCurrency(c.Currency); err != nil {
		return err
	}
	return validateNote(c.Note)
}

// validateCurrency accepts ISO 4217 codes that have minor units.
func validateCurrency(code string) error {
	if code == "" {
		return errors.New("currency is required when an amount or note is set")
	}
	cur, err := money.Lookup(code)
	if err != nil {
		return fmt.Errorf("currency %q is not an ISO 4217 code", code)
	}
	if !cur.HasMinorUnits() {
		return fmt.Errorf("currency %s has no minor units", code)
	}
	return nil
}

// validateNote limits the note's size and rejects text that could garble or
// spoof its display in the payer's app.
func validateNote(note string) error {
	if len(note) > MaxNoteBytes {
		return fmt.Errorf("note is %d bytes, more than %d", len(note), MaxNoteBytes)
	}
	if !utf8.ValidString(note) {
		return errors.New("note is not valid UTF-8")
	}
	for _, r := range note {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Errorf("note contains control character %U", r)
		}
	}
	return nil
}
