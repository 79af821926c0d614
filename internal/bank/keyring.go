package bank

import (
	"strings"
	"sync/atomic"
)

// KeyRing is the vault in use, replaceable while the server runs: a
// rotation loads a new key spec (the new current key added, the old ones
// kept for opening), and values sealed under an older key are sealed again
// in the background (see wallet.Service.Reseal). It is safe for concurrent
// use.
type KeyRing struct {
	v    atomic.Pointer[Vault]
	spec atomic.Pointer[string]
}

// NewKeyRing returns a key ring holding the keys of spec ("id:base64,…",
// the last the current one).
func NewKeyRing(spec string) (*KeyRing, error) {
	r := &KeyRing{}
	if _, err := r.Load(spec); err != nil {
		return nil, err
	}
	return r, nil
}

// Load replaces the vault with spec's keys; it reports whether spec
// differed from the one loaded. A bad spec changes nothing.
func (r *KeyRing) Load(spec string) (bool, error) {
	spec = strings.TrimSpace(spec)
	if old := r.spec.Load(); old != nil && *old == spec {
		return false, nil
	}
	keys, current, err := ParseKeys(spec)
	if err != nil {
		return false, err
	}
	v, err := NewVault(keys, current)
	if err != nil {
		return false, err
	}
	r.v.Store(v)
	r.spec.Store(&spec)
	return true, nil
}

// Seal seals with the current key (Vault.Seal).
func (r *KeyRing) Seal(plaintext, aad []byte) (string, error) { return r.v.Load().Seal(plaintext, aad) }

// Open opens a value sealed with any key of the ring (Vault.Open).
func (r *KeyRing) Open(sealed string, aad []byte) ([]byte, error) {
	return r.v.Load().Open(sealed, aad)
}

// Rewrap moves a sealed value to the current key (Vault.Rewrap).
func (r *KeyRing) Rewrap(sealed string, aad []byte) (string, error) {
	return r.v.Load().Rewrap(sealed, aad)
}

// CurrentKeyID is the id of the key Seal uses.
func (r *KeyRing) CurrentKeyID() string { return r.v.Load().CurrentKeyID() }

// SealedWith is the prefix of every value Seal makes with the key id: an
// envelope whose data key that key wraps.
func SealedWith(keyID string) string { return envelopeVersion + "." + keyID + "." }
