package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ID identifies an account or a transfer: 128 bits chosen by the client,
// written in JSON as a UUID string. The zero ID is never valid.
//
// Clients should use time-ordered ids (UUIDv7, see NewID): the unique index
// on ids then grows at its right edge, which keeps commits cheap. Random ids
// (UUIDv4) work, but scatter index writes.
type ID [16]byte

// ErrInvalidID reports a string that is not a UUID.
var ErrInvalidID = errors.New("invalid id")

// NewID returns a new time-ordered id (UUIDv7).
func NewID() ID {
	u, err := uuid.NewV7()
	if err != nil {
		// uuid.NewV7 fails only when the system's random source fails;
		// no id is better than a predictable one.
		panic(fmt.Sprintf("ledger: new id: %v", err))
	}
	return ID(u)
}

// ParseID parses the canonical UUID form (8-4-4-4-12 hexadecimal digits,
// either case). Other forms accepted by some UUID libraries (braces, urn:
// prefixes, no hyphens) are refused so that every id has one spelling.
func ParseID(s string) (ID, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return ID{}, fmt.Errorf("%w: %q is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", ErrInvalidID, truncate(s, 64))
	}
	var id ID
	var buf [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		buf[n] = s[i]
		n++
	}
	if _, err := hex.Decode(id[:], buf[:]); err != nil {
		return ID{}, fmt.Errorf("%w: %q is not a UUID: non-hexadecimal digit", ErrInvalidID, truncate(s, 64))
	}
	return id, nil
}

// IsZero reports whether id is the zero id.
func (id ID) IsZero() bool { return id == ID{} }

// String returns the canonical lower-case UUID form.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ExpiryID is the id of the void transfer the engine writes when the
// pending transfer with id pending times out: a name-based UUID (version 8)
// so that every process derives the same id and the unique index makes the
// expiry happen at most once.
func ExpiryID(pending ID) ID {
	h := sha256.New()
	h.Write([]byte("shiliantong/ledger/expiry/v1\x00"))
	h.Write(pending[:])
	var id ID
	copy(id[:], h.Sum(nil))
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

const nameIDPrefix = "shiliantong/"

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NameID derives an id from a name: a name-based UUID (version 8) over the
// domain and the parts, each length-prefixed so that no two lists of parts
// give the same id. Services use it for ids every process must agree on
// (an account per user and day, the transfer of an idempotent request).
func NameID(domain string, parts ...string) ID {
	// The hashed bytes are built on the stack (several ids per payment).
	var stack [256]byte
	b := binary.BigEndian.AppendUint32(stack[:0], uint32(len(nameIDPrefix)+len(domain)))
	b = append(append(b, nameIDPrefix...), domain...)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	var id ID
	copy(id[:], sum[:])
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}
