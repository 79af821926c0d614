package paycode

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
)

// SecretBytes is the length of the secrets NewSecret makes: 256 bits, the
// HMAC-SHA-256 output size.
const SecretBytes = 32

// b32 is the alphabet authenticator apps use (RFC 4648), without padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a fresh random device secret of SecretBytes bytes, to be
// issued at enrolment.
func NewSecret() ([]byte, error) {
	s := make([]byte, SecretBytes)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("paycode: new secret: %w", err)
	}
	return s, nil
}

// EncodeSecret returns secret in unpadded upper-case base32, the form
// authenticator apps and provisioning URIs use.
func EncodeSecret(secret []byte) string {
	return b32.EncodeToString(secret)
}

// DecodeSecret parses a base32 secret as EncodeSecret writes it. It also
// accepts lower case, spaces and hyphens between groups, and trailing '='
// padding, as people copy secrets by hand.
func DecodeSecret(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	clean = strings.TrimRight(clean, "=")
	secret, err := b32.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("%w: not base32: %v", ErrSecret, err)
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrSecret)
	}
	return secret, nil
}
