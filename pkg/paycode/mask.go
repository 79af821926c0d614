package paycode

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// DefaultMaskKey keys the permutation that masks device numbers when
// Config.MaskKey is empty. It is public by design (see the package
// documentation): the mask hides the device number from casual reading, it
// does not protect it.
var DefaultMaskKey = []byte("shiliantong/paycode/mask/v1")

// maskRounds is the number of Feistel rounds (FF1 uses 10).
const maskRounds = 10

// maskLabel separates the round function from any other use of the key.
const maskLabel = "shiliantong/paycode/mask/v1\x00"

// masker is a keyed, tweakable permutation of the n-digit decimal numbers
// [0, 10^n): an alternating Feistel network over a u-digit and a v-digit
// half (u = n/2, v = n-u) with addition modulo 10^u or 10^v, as in NIST
// SP 800-38G FF1. Every round is invertible, so the whole is a permutation
// for any key and tweak.
type masker struct {
	mac   hash.Hash
	tweak string
	u, v  int
}

func newMasker(key []byte, tweak string, n int) *masker {
	if len(key) == 0 {
		key = DefaultMaskKey
	}
	return &masker{mac: hmac.New(sha256.New, key), tweak: tweak, u: n / 2, v: n - n/2}
}

// mask maps x < 10^n to its image under the permutation.
func (m *masker) mask(x uint64) uint64 {
	a, b := x/pow10[m.v], x%pow10[m.v]
	for i := range maskRounds {
		mod := m.modulus(i)
		a, b = b, (a+m.round(i, b, mod))%mod
	}
	return a*pow10[m.v] + b
}

// unmask inverts mask.
func (m *masker) unmask(y uint64) uint64 {
	a, b := y/pow10[m.v], y%pow10[m.v]
	for i := maskRounds - 1; i >= 0; i-- {
		mod := m.modulus(i)
		a, b = (b+mod-m.round(i, a, mod))%mod, a
	}
	return a*pow10[m.v] + b
}

// modulus is the size of the half that round i rewrites.
func (m *masker) modulus(i int) uint64 {
	if i%2 == 0 {
		return pow10[m.u]
	}
	return pow10[m.v]
}

// round is the round function: HMAC over the label, the round number, the
// tweak and the input half, reduced modulo mod (the bias is below 10^-9).
func (m *masker) round(i int, half, mod uint64) uint64 {
	var buf [1 + 8]byte
	buf[0] = byte(i)
	binary.BigEndian.PutUint64(buf[1:], half)
	m.mac.Reset()
	m.mac.Write([]byte(maskLabel))
	m.mac.Write([]byte{byte(len(m.tweak))})
	m.mac.Write([]byte(m.tweak))
	m.mac.Write(buf[:])
	return binary.BigEndian.Uint64(m.mac.Sum(nil)) % mod
}
