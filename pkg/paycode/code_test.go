package paycode

import (
	"bytes"
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"
)

// t0 is the start of a time step under DefaultConfig.
var t0 = time.Unix(1_700_000_040, 0)

func testDevice(n uint64, seed byte) Device {
	return Device{Number: n, Secret: bytes.Repeat([]byte{seed}, SecretBytes)}
}

func mustGenerate(t *testing.T, d Device, at time.Time, cfg Config) string {
	t.Helper()
	code, err := Generate(d, at, cfg)
	if err != nil {
		t.Fatalf("Generate(%d, %s): %v", d.Number, at, err)
	}
	return code
}

func mustParse(t *testing.T, code string, cfg Config) Parsed {
	t.Helper()
	p, err := Parse(code, cfg)
	if err != nil {
		t.Fatalf("Parse(%q): %v", code, err)
	}
	return p
}

func TestLayout(t *testing.T) {
	t.Parallel()
	short := DefaultConfig()
	short.Prefix, short.Digits = "135", 7
	cfgs := map[string]Config{"default": DefaultConfig(), "prefix 135, 7 digits": short}
	for name, cfg := range cfgs {
		for _, n := range []uint64{0, 1, 42, 12345678, cfg.MaxDevice()} {
			d := testDevice(n, 7)
			code := mustGenerate(t, d, t0, cfg)
			if len(code) != Length || !isDigits(code) || !strings.HasPrefix(code, cfg.Prefix) {
				t.Errorf("%s, device %d: code %q is not 18 digits with prefix %s", name, n, code, cfg.Prefix)
			}
			p := mustParse(t, code, cfg)
			otp, _ := TOTP(d.Secret, t0, cfg.Step, cfg.Digits, cfg.Hash)
			if p.Device != n || p.OTP != otp || !strings.HasSuffix(code, otp) {
				t.Errorf("%s: %q parsed as %+v, want device %d, OTP %s", name, code, p, n, otp)
			}
		}
	}
}

// TestDefaultCode pins the default scheme: a change to the layout, the mask
// or the OTP breaks every enrolled device, so it must be deliberate.
func TestDefaultCode(t *testing.T) {
	t.Parallel()
	code := mustGenerate(t, testDevice(1234567890, 1), t0, DefaultConfig())
	if want := "770841298284111985"; code != want {
		t.Errorf("code %s, want %s", code, want)
	}
}

func TestMaskHidesDevice(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(1000000001, 3)
	fields := map[string]bool{}
	for i := range 5 {
		code := mustGenerate(t, d, t0.Add(time.Duration(i)*cfg.Step), cfg)
		field := code[2:12]
		if fields[field] || strings.Contains(code, "1000000001") {
			t.Errorf("step %d: code %s repeats or shows the device field", i, code)
		}
		fields[field] = true
	}
}

func TestVerifyWindow(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(987654321, 9)
	issued := t0.Add(10 * time.Second)
	p := mustParse(t, mustGenerate(t, d, issued, cfg), cfg)
	want, _ := Counter(issued, cfg.Step)
	tests := []struct {
		name string
		now  time.Time
		err  error
	}{
		{"same instant", issued, nil},
		{"end of step", t0.Add(59 * time.Second), nil},
		{"next step", t0.Add(60 * time.Second), nil},
		{"end of next step", t0.Add(119 * time.Second), nil},
		{"previous step (device clock ahead)", t0.Add(-1 * time.Second), nil},
		{"two steps later", t0.Add(120 * time.Second), ErrExpired},
		{"ten minutes later", t0.Add(11 * time.Minute), ErrExpired},
		{"an hour later", t0.Add(time.Hour), ErrInvalid},
		{"two steps earlier", t0.Add(-61 * time.Second), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Verify(d, p, tt.now, cfg)
			if !errors.Is(err, tt.err) || (err == nil && got != want) {
				t.Fatalf("Verify = %d, %v; want %d, %v", got, err, want, tt.err)
			}
		})
	}
}

func TestVerifyWrongDevice(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(555, 5)
	p := mustParse(t, mustGenerate(t, d, t0, cfg), cfg)
	rotated, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dev  Device
	}{
		{"another device's secret", Device{Number: 555, Secret: testDevice(0, 6).Secret}},
		{"secret rotated", Device{Number: 555, Secret: rotated}},
		{"another device number", testDevice(556, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if c, err := Verify(tt.dev, p, t0, cfg); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %d, %v; want ErrInvalid", c, err)
			}
		})
	}
}

func TestVerifyTampered(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(31337, 2)
	code := mustGenerate(t, d, t0, cfg)
	for i := 2; i < Length; i++ {
		b := []byte(code)
		b[i] = '0' + (b[i]-'0'+1)%10
		p := mustParse(t, string(b), cfg)
		if _, err := Verify(d, p, t0, cfg); err == nil {
			t.Errorf("digit %d changed: %s still verifies", i, b)
		}
	}
}

func TestCountersIncrease(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(77, 4)
	last := int64(-1)
	for i := range 10 {
		at := t0.Add(time.Duration(i)*cfg.Step + 30*time.Second)
		p := mustParse(t, mustGenerate(t, d, at, cfg), cfg)
		c, err := VerifyAfter(d, p, at.Add(5*time.Second), last, cfg)
		if err != nil || c <= last {
			t.Fatalf("step %d: counter %d, %v; last was %d", i, c, err, last)
		}
		last = c
	}
}

func TestVerifyAfterReplay(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	d := testDevice(4242, 8)
	older := mustParse(t, mustGenerate(t, d, t0, cfg), cfg)
	newer := mustParse(t, mustGenerate(t, d, t0.Add(cfg.Step), cfg), cfg)
	now := t0.Add(cfg.Step)
	used, err := VerifyAfter(d, newer, now, -1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAfter(d, newer, now, used, cfg); !errors.Is(err, ErrReplay) {
		t.Errorf("same code again: %v, want ErrReplay", err)
	}
	if _, err := VerifyAfter(d, older, now, used, cfg); !errors.Is(err, ErrReplay) {
		t.Errorf("older code after a newer one: %v, want ErrReplay", err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	tests := []struct {
		code string
		err  error
	}{
		{"", ErrLength},
		{"77123456789012345", ErrLength},
		{"7712345678901234567", ErrLength},
		{"77123456789012345\n", ErrNotNumeric},
		{"77 12345678901234 ", ErrNotNumeric},
		{"77１2345678901234", ErrNotNumeric},
		{"281234567890123456", ErrPrefix},
		{"071234567890123456", ErrPrefix},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.code, cfg); !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) = %v, want %v", tt.code, err, tt.err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"prefix 28", func(c *Config) { c.Prefix = "28" }, true},
		{"SHA-1, 8 digits", func(c *Config) { c.Hash, c.Digits = crypto.SHA1, 8 }, true},
		{"empty prefix", func(c *Config) { c.Prefix = "" }, false},
		{"leading zero", func(c *Config) { c.Prefix = "07" }, false},
		{"letters", func(c *Config) { c.Prefix = "7a" }, false},
		{"device field too narrow", func(c *Config) { c.Prefix, c.Digits = "1234", 9 }, false},
		{"5 digits", func(c *Config) { c.Digits = 5 }, false},
		{"zero step", func(c *Config) { c.Step = 0 }, false},
		{"fractional step", func(c *Config) { c.Step = 1500 * time.Millisecond }, false},
		{"negative skew", func(c *Config) { c.Skew = -1 }, false},
		{"MD5", func(c *Config) { c.Hash = crypto.MD5 }, false},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		tt.edit(&cfg)
		if err := cfg.Validate(); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestDeviceErrors(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	if _, err := Generate(Device{Number: 1, Secret: make([]byte, 15)}, t0, cfg); !errors.Is(err, ErrSecret) {
		t.Errorf("short secret: %v, want ErrSecret", err)
	}
	if _, err := Generate(testDevice(cfg.MaxDevice()+1, 1), t0, cfg); !errors.Is(err, ErrDevice) {
		t.Errorf("device number too large: %v, want ErrDevice", err)
	}
	if _, err := Format(Parsed{Device: 1, OTP: "12345"}, cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("short OTP: %v, want ErrConfig", err)
	}
}

// TestMaskPermutation checks exhaustively, on small odd and even widths,
// that mask is a bijection and unmask its inverse; the construction does
// not depend on the width.
func TestMaskPermutation(t *testing.T) {
	t.Parallel()
	for _, n := range []int{3, 4} {
		m := newMasker(nil, "123456", n)
		seen := make(map[uint64]bool, int(pow10[n]))
		for x := range pow10[n] {
			y := m.mask(x)
			if y >= pow10[n] || seen[y] || m.unmask(y) != x {
				t.Fatalf("%d digits: %d -> %d is not a permutation", n, x, y)
			}
			seen[y] = true
		}
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if len(a) != SecretBytes || bytes.Equal(a, b) {
		t.Fatalf("NewSecret: %x, %x", a, b)
	}
	enc := EncodeSecret(a)
	if strings.ContainsAny(enc, "=abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("EncodeSecret = %q, want upper case without padding", enc)
	}
	rfc := []byte("12345678901234567890")
	tests := []struct {
		in   string
		want []byte
	}{
		{enc, a},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfc},
		{"gezd-gnbv gy3t qojq gezd gnbv gy3t qojq", rfc},
		{"MZXW6===", []byte("foo")},
	}
	for _, tt := range tests {
		got, err := DecodeSecret(tt.in)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("DecodeSecret(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "====", "GEZ1", "GEZDGNBVG!", "ıI"} {
		if _, err := DecodeSecret(bad); !errors.Is(err, ErrSecret) {
			t.Errorf("DecodeSecret(%q) = %v, want ErrSecret", bad, err)
		}
	}
}
