package paycode

import (
	"crypto"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Length is the number of digits of every payment code.
const Length = 18

// MinDeviceDigits is the narrowest device field a Config may leave.
const MinDeviceDigits = 6

// MinSecretBytes is the shortest device secret accepted (RFC 4226 R6 asks
// for at least 128 bits).
const MinSecretBytes = 16

// Sentinel errors, returned wrapped with detail; compare with errors.Is.
var (
	// ErrConfig: a Config or HOTP parameter is out of range.
	ErrConfig = errors.New("paycode: invalid configuration")
	// ErrSecret: a device secret is too short or badly encoded.
	ErrSecret = errors.New("paycode: invalid device secret")
	// ErrDevice: a device number does not fit the code's device field.
	ErrDevice = errors.New("paycode: device number out of range")
	// ErrLength: the code does not have Length characters.
	ErrLength = errors.New("paycode: code is not 18 digits long")
	// ErrNotNumeric: the code has a character other than 0–9.
	ErrNotNumeric = errors.New("paycode: code is not numeric")
	// ErrPrefix: the code does not start with the configured prefix.
	ErrPrefix = errors.New("paycode: code has another issuer prefix")
	// ErrInvalid: the OTP matches no time step in the window (wrong device
	// or secret, forged, or from the future beyond the skew).
	ErrInvalid = errors.New("paycode: code is invalid")
	// ErrExpired: the OTP is genuine but its time step is past the window.
	ErrExpired = errors.New("paycode: code has expired")
	// ErrReplay: the OTP matches only counters at or before the last one
	// used, so it was already used or is older than a used code.
	ErrReplay = errors.New("paycode: code already used")
)

// Config fixes the code scheme. Server and devices must agree on it.
type Config struct {
	// Prefix is the issuer prefix every code starts with: digits, the
	// first not 0.
	Prefix string
	// Step is the TOTP time step, a whole number of seconds.
	Step time.Duration
	// Skew is how many steps before and after the verifier's current step
	// are accepted, to absorb clock drift and scanning delay (0 to 10).
	Skew int
	// Digits is the OTP length, MinDigits to MaxDigits.
	Digits int
	// Hash is the HMAC hash: crypto.SHA1, crypto.SHA256 or crypto.SHA512.
	Hash crypto.Hash
	// Lookback is how many steps before the window a genuine OTP is
	// reported as ErrExpired rather than ErrInvalid (0 to 1440).
	Lookback int
	// MaskKey keys the permutation of the device field; empty means
	// DefaultMaskKey.
	MaskKey []byte
}

// DefaultConfig returns the scheme described in the package documentation:
// prefix "77", 60-second steps, ±1 step, 6-digit HMAC-SHA-256 OTPs and a
// 10-digit device field; expired codes are recognised for 10 minutes.
func DefaultConfig() Config {
	return Config{
		Prefix:   "77",
		Step:     60 * time.Second,
		Skew:     1,
		Digits:   6,
		Hash:     crypto.SHA256,
		Lookback: 10,
	}
}

// DeviceDigits is the width of the device field: the digits that the prefix
// and the OTP leave of the Length.
func (c Config) DeviceDigits() int {
	return Length - len(c.Prefix) - c.Digits
}

// MaxDevice is the largest device number the device field holds.
func (c Config) MaxDevice() uint64 {
	return pow10[c.DeviceDigits()] - 1
}

// Validate reports whether c describes a usable scheme.
func (c Config) Validate() error {
	if c.Prefix == "" || !isDigits(c.Prefix) || c.Prefix[0] == '0' {
		return fmt.Errorf("%w: prefix %q must be digits not starting with 0", ErrConfig, c.Prefix)
	}
	if err := checkDigits(c.Digits); err != nil {
		return err
	}
	if n := c.DeviceDigits(); n < MinDeviceDigits {
		return fmt.Errorf("%w: prefix and OTP leave %d digits for the device, want at least %d", ErrConfig, n, MinDeviceDigits)
	}
	if err := checkStep(c.Step); err != nil {
		return err
	}
	if c.Skew < 0 || c.Skew > 10 || c.Lookback < 0 || c.Lookback > 1440 {
		return fmt.Errorf("%w: skew %d or lookback %d out of range", ErrConfig, c.Skew, c.Lookback)
	}
	_, err := hashFunc(c.Hash)
	return err
}

// Device is an enrolled device: the number the server assigned it and the
// secret it was given. The server maps the number to the user.
type Device struct {
	Number uint64
	Secret []byte
}

// check validates d against cfg.
func (d Device) check(cfg Config) error {
	if len(d.Secret) < MinSecretBytes {
		return fmt.Errorf("%w: %d bytes, want at least %d", ErrSecret, len(d.Secret), MinSecretBytes)
	}
	if d.Number > cfg.MaxDevice() {
		return fmt.Errorf("%w: %d exceeds %d", ErrDevice, d.Number, cfg.MaxDevice())
	}
	return nil
}

// Parsed is what a code says in clear: the device number (unmasked) and the
// OTP, still to be verified.
type Parsed struct {
	Device uint64
	OTP    string
}

// Generate returns the payment code of device d at time t.
func Generate(d Device, t time.Time, cfg Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if err := d.check(cfg); err != nil {
		return "", err
	}
	otp, err := TOTP(d.Secret, t, cfg.Step, cfg.Digits, cfg.Hash)
	if err != nil {
		return "", err
	}
	return Format(Parsed{Device: d.Number, OTP: otp}, cfg)
}

// Format lays p out as a code: prefix, masked device number, OTP. It is the
// inverse of Parse.
func Format(p Parsed, cfg Config) (string, error) {
	if err := cfg.Validate(); err != nil {
		return "", err
	}
	if p.Device > cfg.MaxDevice() {
		return "", fmt.Errorf("%w: %d exceeds %d", ErrDevice, p.Device, cfg.MaxDevice())
	}
	if len(p.OTP) != cfg.Digits || !isDigits(p.OTP) {
		return "", fmt.Errorf("%w: OTP %q is not %d digits", ErrConfig, p.OTP, cfg.Digits)
	}
	n := cfg.DeviceDigits()
	field := newMasker(cfg.MaskKey, p.OTP, n).mask(p.Device)
	return fmt.Sprintf("%s%0*d%s", cfg.Prefix, n, field, p.OTP), nil
}

// Parse splits a code into device number and OTP. It checks the form only
// (Length digits, the prefix); Verify checks the OTP. Scanners often append
// a line terminator: strip it first.
func Parse(code string, cfg Config) (Parsed, error) {
	if err := cfg.Validate(); err != nil {
		return Parsed{}, err
	}
	if len(code) != Length {
		return Parsed{}, fmt.Errorf("%w: got %d characters", ErrLength, len(code))
	}
	if !isDigits(code) {
		return Parsed{}, ErrNotNumeric
	}
	if code[:len(cfg.Prefix)] != cfg.Prefix {
		return Parsed{}, fmt.Errorf("%w: want %q, got %q", ErrPrefix, cfg.Prefix, code[:len(cfg.Prefix)])
	}
	n := cfg.DeviceDigits()
	otp := code[Length-cfg.Digits:]
	field, err := strconv.ParseUint(code[len(cfg.Prefix):Length-cfg.Digits], 10, 64)
	if err != nil { // unreachable: at most 16 digits
		return Parsed{}, fmt.Errorf("%w: %v", ErrNotNumeric, err)
	}
	return Parsed{Device: newMasker(cfg.MaskKey, otp, n).unmask(field), OTP: otp}, nil
}

// Verify checks p against device d at time now: the OTP must match a time
// step within cfg.Skew steps of now. It returns the matching counter (the
// earliest, should two steps share an OTP); the caller stores it as the
// device's last used counter and refuses the code unless the stored value
// was lower. Prefer VerifyAfter when that value is at hand.
func Verify(d Device, p Parsed, now time.Time, cfg Config) (counter int64, err error) {
	return VerifyAfter(d, p, now, math.MinInt64, cfg)
}

// VerifyAfter is Verify for a device whose last used counter is last: only
// counters above last are accepted, and an OTP that matches only counters
// at or below it fails with ErrReplay. The caller must still store the
// returned counter with an atomic compare-and-set (see the package
// documentation), since another verification may race with this one.
func VerifyAfter(d Device, p Parsed, now time.Time, last int64, cfg Config) (counter int64, err error) {
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if err := d.check(cfg); err != nil {
		return 0, err
	}
	if p.Device != d.Number {
		return 0, fmt.Errorf("%w: code is for device %d, not %d", ErrInvalid, p.Device, d.Number)
	}
	if len(p.OTP) != cfg.Digits {
		return 0, fmt.Errorf("%w: OTP is not %d digits", ErrInvalid, cfg.Digits)
	}
	cur, err := Counter(now, cfg.Step)
	if err != nil {
		return 0, err
	}
	return match(d.Secret, p.OTP, cur, last, cfg)
}

// match compares otp with every counter in the window around cur and
// returns the earliest one above last; it then looks back for ErrExpired.
func match(secret []byte, otp string, cur, last int64, cfg Config) (int64, error) {
	found, replay := int64(-1), false
	for c := cur - int64(cfg.Skew); c <= cur+int64(cfg.Skew); c++ {
		if !equalAt(secret, otp, c, cfg) {
			continue
		}
		if c <= last {
			replay = true
		} else if found < 0 {
			found = c
		}
	}
	switch {
	case found >= 0:
		return found, nil
	case replay:
		return 0, ErrReplay
	}
	for c := cur - int64(cfg.Skew) - 1; c >= cur-int64(cfg.Skew+cfg.Lookback); c-- {
		if equalAt(secret, otp, c, cfg) {
			return 0, fmt.Errorf("%w: issued %s", ErrExpired, StepStart(c, cfg.Step).UTC().Format(time.RFC3339))
		}
	}
	return 0, ErrInvalid
}

// equalAt reports, in constant time, whether otp is the HOTP of counter c;
// negative counters never match.
func equalAt(secret []byte, otp string, c int64, cfg Config) bool {
	if c < 0 {
		return false
	}
	want, err := HOTP(secret, uint64(c), cfg.Digits, cfg.Hash)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(otp)) == 1
}

// isDigits reports whether s is made of ASCII digits only.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
