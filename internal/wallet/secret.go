package wallet

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's costs (RFC 9106).
type HashParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams follow the OWASP recommendation for argon2id
// (19 MiB, 2 passes, 1 lane): about 30 ms per guess on a server core.
//
// A six-digit PIN has only a million values: no hash cost protects a
// stolen PIN hash against a search of them all. What does is a pepper: the
// PIN is keyed with a server secret (HMAC-SHA256) before it is hashed, so
// a copy of the database without the key tells nothing. PINs are checked
// at every payment, so DefaultPINParams are lighter (8 MiB, 1 pass: about
// 5 ms), and the lockout after five wrong tries bounds online guessing.
var (
	DefaultPasswordParams = HashParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}
	DefaultPINParams      = HashParams{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}
)

// hashSlots bounds the argon2id computations running at once: each holds
// its memory (up to 19 MiB) for its duration, and more at once than cores
// would only queue inside the runtime while holding it.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func argon2id(secret, salt []byte, p HashParams, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, n)
}

// pepper keys a PIN with the server's secret before it is hashed.
func pepper(key []byte, pin string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("payment-pin:" + pin))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

const hashKeyBytes = 32

// hashSecret returns the PHC string of secret under p with a fresh salt.
func hashSecret(secret string, p HashParams) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2id([]byte(secret), salt, p, hashKeyBytes)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkSecret reports whether secret matches the PHC string, in constant
// time for a given hash.
func checkSecret(secret, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var p HashParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || p.Time == 0 || p.Threads == 0 {
		return false
	}
	if p.MemoryKiB > 1<<20 || p.Time > 16 || len(want) > 64 {
		return false // not a hash this server made: refuse to spend on it
	}
	got := argon2id([]byte(secret), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// Password rules: long enough, not a known-breached pattern, not the
// phone number.
const (
	minPasswordRunes = 8
	maxPasswordBytes = 256
)

// commonPasswords are the most frequent entries of public breach corpora
// (and their shapes that pass a length check); a password that is one of
// them, ignoring case, is refused.
var commonPasswords = map[string]bool{}

func init() {
	for _, p := range strings.Fields(`
		12345678 123456789 1234567890 11111111 00000000 88888888 66666666 12341234
		87654321 11223344 12121212 123123123 1q2w3e4r 1qaz2wsx qwertyui qwerty123
		password password1 password123 passw0rd p@ssw0rd iloveyou iloveyou1 abc12345
		abcd1234 a1234567 a12345678 aa123456 woaini520 woaini1314 5201314520 1314520520
		qwertyuiop asdfghjkl zxcvbnm1 admin123 administrator welcome1 letmein1 sunshine
		princess football baseball dragon123 monkey123 shadow12 superman trustno1
		q1w2e3r4 zaq12wsx 1qazxsw2 asdf1234 qazwsxedc 147258369 159357456 741852963
		aaaaaaaa abcdefgh abcdefg1 password! qwerty12 wangyang123 zhang123 li123456`) {
		commonPasswords[p] = true
	}
}

// checkPassword explains what is wrong with a new password, or returns nil.
func checkPassword(pw, phone string) *Error {
	weak := func(format string, args ...any) *Error {
		return newError(KindInvalid, CodeWeakPassword, format, args...)
	}
	n := len([]rune(pw))
	switch {
	case n < minPasswordRunes:
		return weak("the password must have at least %d characters", minPasswordRunes)
	case len(pw) > maxPasswordBytes:
		return weak("the password must have at most %d bytes", maxPasswordBytes)
	case commonPasswords[strings.ToLower(pw)]:
		return weak("this password is among the most common in leaked password lists; choose another")
	case phone != "" && strings.Contains(pw, phoneTail(phone)):
		return weak("the password must not contain your mobile number")
	case repeatsOrSequence(pw):
		return weak("the password must not be one character repeated or a simple sequence")
	case classes(pw) < 2:
		return weak("the password must mix at least two of: letters, digits, other characters")
	}
	return nil
}

// phoneTail is the part of a mobile number people put in passwords: its
// last eight digits.
func phoneTail(phone string) string {
	d := strings.TrimPrefix(phone, "+")
	return d[max(0, len(d)-8):]
}

func classes(s string) int {
	var letter, digit, other bool
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letter = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{letter, digit, other} {
		if b {
			n++
		}
	}
	return n
}

// repeatsOrSequence reports a string that is one character repeated or
// steps up or down by one throughout ("aaaa", "3456789", "hgfedcba").
func repeatsOrSequence(s string) bool {
	r := []rune(s)
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		same = same && r[i] == r[i-1]
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	return same || up || down
}

// checkPINFormat: exactly six ASCII digits, not all the same, not a run.
func checkPINFormat(pin string) *Error {
	if len(pin) != 6 {
		return newError(KindInvalid, CodeInvalidPIN, "the payment PIN must be exactly 6 digits")
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return newError(KindInvalid, CodeInvalidPIN, "the payment PIN must be exactly 6 digits")
		}
	}
	if repeatsOrSequence(pin) {
		return newError(KindInvalid, CodeInvalidPIN, "the payment PIN must not be one digit repeated or a run like 123456")
	}
	return nil
}
