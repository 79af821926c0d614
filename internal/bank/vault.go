package bank

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeySize is the size of a vault key in bytes: AES-256.
const KeySize = 32

// sealedVersion is the first field of values sealed directly under a key
// (still opened; no longer made); envelopeVersion that of values sealed
// under their own data key, wrapped by a key of the ring.
const (
	sealedVersion   = "v1"
	envelopeVersion = "v2"
)

// MaxPlaintext is the largest plaintext Seal accepts. The vault is for
// small secrets such as card numbers, not for files.
const MaxPlaintext = 64 << 10

// maxKeyIDLength bounds key ids so sealed strings stay short.
const maxKeyIDLength = 32

// Vault errors. Functions wrap them with detail, so compare with errors.Is.
// No error ever contains key material or plaintext.
var (
	// ErrKeySpec: a key configuration is malformed: a bad key spec string,
	// a bad key id, a key that is not KeySize bytes, or a current key id
	// that is not among the keys.
	ErrKeySpec = errors.New("invalid vault key configuration")

	// ErrSealedFormat: the sealed string is not "v1.<keyid>.<base64url>"
	// with a payload long enough to hold a nonce and a tag.
	ErrSealedFormat = errors.New("malformed sealed value")

	// ErrUnknownKey: the sealed string names a key id the vault does not
	// have (it was removed from the configuration too early).
	ErrUnknownKey = errors.New("unknown vault key id")

	// ErrDecrypt: authentication failed. The ciphertext was altered, the
	// aad differs from the one it was sealed with (it was copied to
	// another owner's row), or the key under that id changed. AES-GCM
	// cannot tell these apart.
	ErrDecrypt = errors.New("sealed value failed authentication")
)

// Vault encrypts small secrets such as card numbers at rest with envelope
// encryption: every value is encrypted with AES-256-GCM under its own
// random data key, and the data key is wrapped (AES-256-GCM) under one of
// the vault's key-encryption keys, named by key ids so that they can be
// rotated: new values are wrapped with the current key, values wrapped
// with any key still in the vault can be opened, and Rewrap moves a value
// to the current key by re-wrapping its data key only — the value's own
// ciphertext is not touched, and its plaintext never appears. A Vault is
// immutable and safe for concurrent use.
//
// A sealed value is the string "v2.<keyid>.<wrapped>.<payload>": wrapped
// is the data key sealed under the key-encryption key, payload the value
// sealed under the data key, each the unpadded base64url of a random
// 12-byte nonce, the ciphertext and the 16-byte GCM tag. The wrapped data
// key is bound to "v2.<keyid>." and the caller's aad, the payload to "v2."
// and the aad, so that neither can be moved to another row or version.
// Values of the earlier format, "v1.<keyid>.<payload>" (the value sealed
// directly under the key), are still opened, and Rewrap turns them into
// envelopes.
//
// Each key-encryption key must wrap fewer than 2^32 data keys (the
// random-nonce limit of AES-GCM); rotating keys now and then keeps far
// below that.
type Vault struct {
	aeads   map[string]cipher.AEAD
	current string
}

// NewVault returns a vault holding keys (key id to 32-byte key) that seals
// with the key named current. Key ids are 1 to 32 characters from
// [A-Za-z0-9_-]. The key bytes are not retained. Errors wrap ErrKeySpec.
func NewVault(keys map[string][]byte, current string) (*Vault, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("bank: vault: current key id %q is not among the keys: %w", current, ErrKeySpec)
	}
	aeads := make(map[string]cipher.AEAD, len(keys))
	for id, key := range keys {
		aead, err := newAEAD(id, key)
		if err != nil {
			return nil, err
		}
		aeads[id] = aead
	}
	return &Vault{aeads: aeads, current: current}, nil
}

func newAEAD(id string, key []byte) (cipher.AEAD, error) {
	if err := checkKeyID(id); err != nil {
		return nil, err
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("bank: vault: key %q is %d bytes, want %d: %w", id, len(key), KeySize, ErrKeySpec)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("bank: vault: key %q: %v: %w", id, err, ErrKeySpec)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("bank: vault: key %q: %v: %w", id, err, ErrKeySpec)
	}
	return aead, nil
}

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyIDLength {
		return fmt.Errorf("bank: vault: key id must be 1 to %d characters: %w", maxKeyIDLength, ErrKeySpec)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("bank: vault: key id %q: only letters, digits, '_' and '-' are allowed: %w", id, ErrKeySpec)
		}
	}
	return nil
}

// CurrentKeyID returns the id of the key that Seal uses. A value whose
// sealed string does not start with "v1.<CurrentKeyID>." was sealed with
// an older key and can be re-sealed (Open, then Seal) before that key is
// retired.
func (v *Vault) CurrentKeyID() string { return v.current }

// Seal encrypts plaintext with the current key and returns the sealed
// string. aad (additional authenticated data) is not stored but must be
// given again to Open: pass the owner of the value, such as the user id,
// so that a sealed value copied to another owner's row fails to open. It
// fails only if plaintext is longer than MaxPlaintext.
func (v *Vault) Seal(plaintext, aad []byte) (string, error) {
	if len(plaintext) > MaxPlaintext {
		return "", fmt.Errorf("bank: vault: plaintext is %d bytes, more than %d", len(plaintext), MaxPlaintext)
	}
	dek := make([]byte, KeySize)
	_, _ = rand.Read(dek) // never fails (crypto/rand crashes the program instead)
	defer clear(dek)
	data, err := newAEAD("data", dek)
	if err != nil {
		return "", err
	}
	payload := data.Seal(nil, nil, plaintext, additionalData(envelopeVersion+".", aad))
	return v.wrap(dek, payload, aad), nil
}

// wrap seals a data key under the current key and returns the envelope.
func (v *Vault) wrap(dek, payload, aad []byte) string {
	header := envelopeVersion + "." + v.current + "."
	wrapped := v.aeads[v.current].Seal(nil, nil, dek, additionalData(header, aad))
	return header + base64.RawURLEncoding.EncodeToString(wrapped) + "." + base64.RawURLEncoding.EncodeToString(payload)
}

// envelope is a parsed v2 value.
type envelope struct {
	id               string
	wrapped, payload []byte
}

func (v *Vault) parseEnvelope(rest string) (envelope, cipher.AEAD, error) {
	id, rest, ok1 := strings.Cut(rest, ".")
	w, p, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return envelope{}, nil, fmt.Errorf("bank: vault: want %q: %w", envelopeVersion+".<keyid>.<wrapped>.<payload>", ErrSealedFormat)
	}
	kek, ok := v.aeads[id]
	if !ok {
		return envelope{}, nil, fmt.Errorf("bank: vault: key id %.40q: %w", id, ErrUnknownKey)
	}
	wrapped, err1 := base64.RawURLEncoding.DecodeString(w)
	payload, err2 := base64.RawURLEncoding.DecodeString(p)
	if err1 != nil || err2 != nil || len(wrapped) != KeySize+kek.Overhead() || len(payload) < kek.Overhead() {
		return envelope{}, nil, fmt.Errorf("bank: vault: the wrapped key or the payload is malformed: %w", ErrSealedFormat)
	}
	return envelope{id: id, wrapped: wrapped, payload: payload}, kek, nil
}

// unwrap opens an envelope's data key.
func (e envelope) unwrap(kek cipher.AEAD, aad []byte) ([]byte, error) {
	dek, err := kek.Open(nil, nil, e.wrapped, additionalData(envelopeVersion+"."+e.id+".", aad))
	if err != nil {
		return nil, fmt.Errorf("bank: vault: key id %q: %w", e.id, ErrDecrypt)
	}
	return dek, nil
}

// Rewrap moves a sealed value to the current key: an envelope's data key
// is unwrapped and wrapped again (the payload is kept as it is, the value
// itself never decrypted); a value of the earlier format is opened and
// sealed as an envelope. aad must be the one it was sealed with.
func (v *Vault) Rewrap(sealed string, aad []byte) (string, error) {
	version, rest, _ := strings.Cut(sealed, ".")
	if version != envelopeVersion {
		plain, err := v.Open(sealed, aad)
		if err != nil {
			return "", err
		}
		defer clear(plain)
		return v.Seal(plain, aad)
	}
	e, kek, err := v.parseEnvelope(rest)
	if err != nil {
		return "", err
	}
	dek, err := e.unwrap(kek, aad)
	if err != nil {
		return "", err
	}
	defer clear(dek)
	return v.wrap(dek, e.payload, aad), nil
}

// Open decrypts a string made by Seal with any key in the vault. aad must
// equal the one given to Seal. Errors wrap ErrSealedFormat, ErrUnknownKey
// or ErrDecrypt.
func (v *Vault) Open(sealed string, aad []byte) ([]byte, error) {
	if version, rest, _ := strings.Cut(sealed, "."); version == envelopeVersion {
		e, kek, err := v.parseEnvelope(rest)
		if err != nil {
			return nil, err
		}
		dek, err := e.unwrap(kek, aad)
		if err != nil {
			return nil, err
		}
		defer clear(dek)
		data, err := newAEAD("data", dek)
		if err != nil {
			return nil, err
		}
		plaintext, err := data.Open(nil, nil, e.payload, additionalData(envelopeVersion+".", aad))
		if err != nil {
			return nil, fmt.Errorf("bank: vault: key id %q: the payload: %w", e.id, ErrDecrypt)
		}
		return plaintext, nil
	}
	version, rest, ok1 := strings.Cut(sealed, ".")
	id, payload, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || version != sealedVersion {
		return nil, fmt.Errorf("bank: vault: want %q: %w", sealedVersion+".<keyid>.<payload>", ErrSealedFormat)
	}
	aead, ok := v.aeads[id]
	if !ok {
		return nil, fmt.Errorf("bank: vault: key id %.40q: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || len(raw) < aead.Overhead() {
		return nil, fmt.Errorf("bank: vault: payload is not base64url of at least %d bytes: %w", aead.Overhead(), ErrSealedFormat)
	}
	plaintext, err := aead.Open(nil, nil, raw, additionalData(version+"."+id+".", aad))
	if err != nil {
		return nil, fmt.Errorf("bank: vault: key id %q: %w", id, ErrDecrypt)
	}
	return plaintext, nil
}

// additionalData binds the sealed string's header to the caller's aad. The
// header ends in '.', which a key id cannot contain, so the concatenation
// is unambiguous.
func additionalData(header string, aad []byte) []byte {
	return append([]byte(header), aad...)
}

// ParseKeys parses a key configuration such as "k1:BASE64KEY,k2:BASE64KEY":
// comma-separated entries of a key id, a colon and the key in standard,
// padded base64 (as printed by `openssl rand -base64 32`). The LAST entry
// is the current key, so rotating means appending a new entry. Spaces and
// newlines around entries are ignored. It returns the keys and the current
// key id, ready for NewVault. Errors wrap ErrKeySpec and never contain key
// material.
func ParseKeys(spec string) (keys map[string][]byte, current string, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, "", fmt.Errorf("bank: vault: empty key spec: %w", ErrKeySpec)
	}
	keys = make(map[string][]byte)
	for i, entry := range strings.Split(spec, ",") {
		id, key, err := parseKeyEntry(i, strings.TrimSpace(entry))
		if err != nil {
			return nil, "", err
		}
		if _, dup := keys[id]; dup {
			return nil, "", fmt.Errorf("bank: vault: key spec entry %d: duplicate key id %q: %w", i+1, id, ErrKeySpec)
		}
		keys[id] = key
		current = id
	}
	return keys, current, nil
}

// parseKeyEntry parses entry number i (0-based) of a key spec, "id:base64".
func parseKeyEntry(i int, entry string) (string, []byte, error) {
	id, b64, ok := strings.Cut(entry, ":")
	if !ok {
		return "", nil, fmt.Errorf("bank: vault: key spec entry %d: want <keyid>:<base64 key>: %w", i+1, ErrKeySpec)
	}
	if err := checkKeyID(id); err != nil {
		return "", nil, fmt.Errorf("bank: vault: key spec entry %d: %w", i+1, err)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, fmt.Errorf("bank: vault: key spec entry %d (%q): key is not valid base64: %w", i+1, id, ErrKeySpec)
	}
	if len(key) != KeySize {
		return "", nil, fmt.Errorf("bank: vault: key spec entry %d (%q): key is %d bytes, want %d: %w", i+1, id, len(key), KeySize, ErrKeySpec)
	}
	return id, key, nil
}

// GenerateKeySpec returns a key spec with one new random key, such as
// "k20260115-3f9a1c:BASE64KEY". The key id is the UTC date and a random
// suffix. To rotate, append it to the existing spec after a comma.
func GenerateKeySpec() string {
	key := make([]byte, KeySize)
	suffix := make([]byte, 3)
	// crypto/rand.Read never returns an error (it crashes the program if
	// the operating system's generator fails).
	_, _ = rand.Read(key)
	_, _ = rand.Read(suffix)
	id := "k" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix)
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}
