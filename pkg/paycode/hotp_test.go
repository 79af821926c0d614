package paycode

import (
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
)

// vectors mirrors testdata/otp_rfc4226_rfc6238.json (RFC 4226 Appendix D
// and RFC 6238 Appendix B; its SOURCE field names the provenance).
type vectors struct {
	HOTP struct {
		SecretHex string `json:"secret_hex"`
		Digits    int    `json:"digits"`
		Cases     []struct {
			Counter   uint64 `json:"counter"`
			HMACHex   string `json:"hmac_sha1_hex"`
			Truncated uint32 `json:"truncated_decimal"`
			HOTP      string `json:"hotp_6"`
		} `json:"cases"`
	} `json:"hotp_rfc4226"`
	TOTP struct {
		Step    int64             `json:"time_step_seconds"`
		T0      int64             `json:"T0"`
		Digits  int               `json:"digits"`
		Secrets map[string]string `json:"secrets_ascii"`
		Cases   []struct {
			Unix int64  `json:"unix_time"`
			THex string `json:"T_hex"`
			Mode string `json:"mode"`
			TOTP string `json:"totp_8"`
		} `json:"cases"`
	} `json:"totp_rfc6238"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/otp_rfc4226_rfc6238.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.HOTP.Cases) != 10 || len(v.TOTP.Cases) != 18 || v.TOTP.T0 != 0 {
		t.Fatalf("unexpected vector file: %d HOTP, %d TOTP cases, T0 %d", len(v.HOTP.Cases), len(v.TOTP.Cases), v.TOTP.T0)
	}
	return v
}

var modes = map[string]crypto.Hash{"SHA1": crypto.SHA1, "SHA256": crypto.SHA256, "SHA512": crypto.SHA512}

func TestHOTPRFC4226(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	secret, err := hex.DecodeString(v.HOTP.SecretHex)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.HOTP.Cases {
		sum := hmacCounter(crypto.SHA1.New, secret, c.Counter)
		if got := hex.EncodeToString(sum); got != c.HMACHex {
			t.Errorf("counter %d: HMAC %s, want %s", c.Counter, got, c.HMACHex)
		}
		if got := truncate(sum); got != c.Truncated {
			t.Errorf("counter %d: truncated %d, want %d", c.Counter, got, c.Truncated)
		}
		got, err := HOTP(secret, c.Counter, v.HOTP.Digits, crypto.SHA1)
		if err != nil || got != c.HOTP {
			t.Errorf("counter %d: HOTP %q, %v; want %q", c.Counter, got, err, c.HOTP)
		}
	}
}

func TestTOTPRFC6238(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	step := time.Duration(v.TOTP.Step) * time.Second
	for _, c := range v.TOTP.Cases {
		at := time.Unix(c.Unix, 0)
		n, err := Counter(at, step)
		if err != nil || n != mustHexInt(t, c.THex) {
			t.Errorf("%d: counter %d, %v; want %s", c.Unix, n, err, c.THex)
		}
		got, err := TOTP([]byte(v.TOTP.Secrets[c.Mode]), at, step, v.TOTP.Digits, modes[c.Mode])
		if err != nil || got != c.TOTP {
			t.Errorf("%d %s: TOTP %q, %v; want %q", c.Unix, c.Mode, got, err, c.TOTP)
		}
	}
}

// TestTOTPSeedTrap pins the trap in the RFC 6238 table: its SHA-256 and
// SHA-512 rows need the 32- and 64-byte seeds, not the 20-byte one the
// table's header names.
func TestTOTPSeedTrap(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	short := []byte(v.TOTP.Secrets["SHA1"])
	for _, c := range v.TOTP.Cases {
		if c.Mode == "SHA1" {
			continue
		}
		got, err := TOTP(short, time.Unix(c.Unix, 0), 30*time.Second, 8, modes[c.Mode])
		if err != nil || got == c.TOTP {
			t.Errorf("%d %s: the 20-byte seed gave %q, %v", c.Unix, c.Mode, got, err)
		}
	}
}

func mustHexInt(t *testing.T, s string) int64 {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		t.Fatalf("bad T_hex %q", s)
	}
	var n int64
	for _, x := range b {
		n = n<<8 | int64(x)
	}
	return n
}

func TestHOTPParameters(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	tests := []struct {
		name   string
		digits int
		hash   crypto.Hash
		want   string // "" = error
	}{
		{"6 digits", 6, crypto.SHA1, "755224"},
		{"7 digits", 7, crypto.SHA1, "4755224"},
		{"8 digits", 8, crypto.SHA1, "84755224"},
		{"9 digits", 9, crypto.SHA1, "284755224"},
		{"5 digits", 5, crypto.SHA1, ""},
		{"10 digits", 10, crypto.SHA1, ""},
		{"MD5", 6, crypto.MD5, ""},
		{"zero hash", 6, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := HOTP(secret, 0, tt.digits, tt.hash)
			if tt.want == "" {
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("got %q, %v; want ErrConfig", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		at   time.Time
		step time.Duration
		want int64
		err  bool
	}{
		{time.Unix(0, 0), time.Minute, 0, false},
		{time.Unix(59, 999999999), time.Minute, 0, false},
		{time.Unix(60, 0), time.Minute, 1, false},
		{time.Unix(-1, 0), time.Minute, -1, false},
		{time.Unix(-60, 0), time.Minute, -1, false},
		{time.Unix(-61, 0), time.Minute, -2, false},
		{time.Unix(20000000000, 0), 30 * time.Second, 666666666, false},
		{time.Unix(0, 0), 0, 0, true},
		{time.Unix(0, 0), -time.Minute, 0, true},
		{time.Unix(0, 0), 1500 * time.Millisecond, 0, true},
	}
	for _, tt := range tests {
		got, err := Counter(tt.at, tt.step)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("Counter(%d, %v) = %d, %v; want %d, error %v", tt.at.Unix(), tt.step, got, err, tt.want, tt.err)
		}
	}
	if _, err := TOTP([]byte("12345678901234567890"), time.Unix(-1, 0), time.Minute, 6, crypto.SHA1); !errors.Is(err, ErrConfig) {
		t.Errorf("TOTP before the epoch: %v, want ErrConfig", err)
	}
}
