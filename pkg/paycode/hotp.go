package paycode

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"time"
)

// Bounds on the number of digits of an OTP. RFC 4226 asks for at least 6;
// more than 9 would exceed the 31 bits that dynamic truncation yields.
const (
	MinDigits = 6
	MaxDigits = 9
)

// pow10 holds 10^0 … 10^19, every power of ten a uint64 can hold.
var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// HOTP returns the RFC 4226 one-time password for counter: HMAC of the
// counter as 8 big-endian bytes under secret, dynamically truncated to 31
// bits and reduced modulo 10^digits, zero-padded to digits characters.
// h is crypto.SHA1 (the RFC's choice), crypto.SHA256 or crypto.SHA512.
func HOTP(secret []byte, counter uint64, digits int, h crypto.Hash) (string, error) {
	if err := checkDigits(digits); err != nil {
		return "", err
	}
	newHash, err := hashFunc(h)
	if err != nil {
		return "", err
	}
	return formatOTP(truncate(hmacCounter(newHash, secret, counter)), digits), nil
}

// TOTP returns the RFC 6238 one-time password at time t: HOTP of the
// counter Counter(t, step). The counter must not be negative (t before the
// Unix epoch).
func TOTP(secret []byte, t time.Time, step time.Duration, digits int, h crypto.Hash) (string, error) {
	c, err := Counter(t, step)
	if err != nil {
		return "", err
	}
	if c < 0 {
		return "", fmt.Errorf("%w: time %s is before the Unix epoch", ErrConfig, t.UTC().Format(time.RFC3339))
	}
	return HOTP(secret, uint64(c), digits, h)
}

// Counter returns the RFC 6238 time-step counter of t, floor((t - T0) / step)
// with T0 the Unix epoch. step must be a positive whole number of seconds.
// Times before the epoch give negative counters.
func Counter(t time.Time, step time.Duration) (int64, error) {
	if err := checkStep(step); err != nil {
		return 0, err
	}
	return floorDiv(t.Unix(), int64(step/time.Second)), nil
}

// StepStart returns the instant at which time step counter begins.
func StepStart(counter int64, step time.Duration) time.Time {
	return time.Unix(counter*int64(step/time.Second), 0)
}

// hmacCounter returns HMAC(secret, counter) with the counter as 8
// big-endian bytes.
func hmacCounter(newHash func() hash.Hash, secret []byte, counter uint64) []byte {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(newHash, secret)
	mac.Write(msg[:])
	return mac.Sum(nil)
}

// truncate is RFC 4226's dynamic truncation: the low nibble of the last
// byte selects 4 bytes, read big-endian with the top bit cleared.
func truncate(sum []byte) uint32 {
	off := sum[len(sum)-1] & 0x0f
	return binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
}

// formatOTP reduces v modulo 10^digits and zero-pads it.
func formatOTP(v uint32, digits int) string {
	return fmt.Sprintf("%0*d", digits, uint64(v)%pow10[digits])
}

// hashFunc returns the constructor for one of the supported hashes.
func hashFunc(h crypto.Hash) (func() hash.Hash, error) {
	switch h {
	case crypto.SHA1:
		return sha1.New, nil
	case crypto.SHA256:
		return sha256.New, nil
	case crypto.SHA512:
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: hash %v is not SHA-1, SHA-256 or SHA-512", ErrConfig, h)
}

func checkDigits(digits int) error {
	if digits < MinDigits || digits > MaxDigits {
		return fmt.Errorf("%w: %d OTP digits, want %d to %d", ErrConfig, digits, MinDigits, MaxDigits)
	}
	return nil
}

func checkStep(step time.Duration) error {
	if step < time.Second || step%time.Second != 0 {
		return fmt.Errorf("%w: time step %v is not a positive whole number of seconds", ErrConfig, step)
	}
	return nil
}

// floorDiv divides rounding towards negative infinity; b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
