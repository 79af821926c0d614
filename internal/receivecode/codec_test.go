package receivecode

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
)

const testBase = "https://pay.shiliantong.example"

var (
	testKey  = bytes.Repeat([]byte{0x5a}, 32)
	testUser = uuid.MustParse("6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b")
)

func newTestCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := NewCodec(testBase, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sampleCodes() []Code {
	return []Code{
		{UserID: testUser},
		{UserID: testUser, Amount: 1250, Currency: "CNY"},
		{UserID: testUser, Amount: 1, Currency: "USD", Note: "coffee"},
		{UserID: testUser, Currency: "CNY", Note: "煎饼果子 🥞 摊位 12"},
		{UserID: testUser, Amount: 1<<63 - 1, Currency: "JPY", Note: strings.Repeat("é", 32)},
	}
}

func TestRoundTrip(t *testing.T) {
	c := newTestCodec(t)
	for _, want := range sampleCodes() {
		payload, err := c.Encode(want)
		if err != nil {
			t.Fatalf("Encode(%+v): %v", want, err)
		}
		if !strings.HasPrefix(payload, testBase+"/r/") {
			t.Errorf("payload %q lacks the base URL", payload)
		}
		token := strings.TrimPrefix(payload, testBase+"/r/")
		for _, p := range []string{payload, token, strings.ToUpper(testBase) + "/r/" + token, " " + payload + "\n"} {
			got, err := c.Decode(p)
			if err != nil || got != want {
				t.Errorf("Decode(%q) = %+v, %v; want %+v", p, got, err, want)
			}
		}
	}
}

func TestBaseURLWithPath(t *testing.T) {
	c, err := NewCodec("https://Example.com/wallet/", testKey)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := c.Encode(Code{UserID: testUser})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(payload, "https://example.com/wallet/r/") {
		t.Fatalf("payload %q", payload)
	}
	if _, err := c.Decode(payload); err != nil {
		t.Fatal(err)
	}
}

func TestNewCodecRejects(t *testing.T) {
	for _, base := range []string{"", "pay.example", "ftp://pay.example", "https://", "https://u:p@pay.example",
		"https://pay.example?x=1", "https://pay.example#f", "mailto:a@b"} {
		if _, err := NewCodec(base, testKey); err == nil {
			t.Errorf("NewCodec(%q) succeeded", base)
		}
	}
	if _, err := NewCodec(testBase, testKey[:31]); err == nil {
		t.Error("NewCodec accepted a 31-byte key")
	}
}

func TestEncodeRejects(t *testing.T) {
	c := newTestCodec(t)
	for _, code := range []Code{
		{},
		{UserID: testUser, Amount: -1, Currency: "CNY"},
		{UserID: testUser, Amount: 100},
		{UserID: testUser, Note: "no currency"},
		{UserID: testUser, Amount: 100, Currency: "cny"},
		{UserID: testUser, Amount: 100, Currency: "ABC"},
		{UserID: testUser, Amount: 100, Currency: "XAU"},
		{UserID: testUser, Amount: 100, Currency: "CNY", Note: strings.Repeat("x", 65)},
		{UserID: testUser, Amount: 100, Currency: "CNY", Note: "bad\xff"},
		{UserID: testUser, Amount: 100, Currency: "CNY", Note: "line\nbreak"},
		{UserID: testUser, Amount: 100, Currency: "CNY", Note: "\u202eevil"},
	} {
		if p, err := c.Encode(code); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("Encode(%+v) = %q, %v; want ErrInvalidCode", code, p, err)
		}
	}
}

// TestTamper alters every byte of the token in every way, and every
// character of its text, and requires a refusal, never a wrong success.
func TestTamper(t *testing.T) {
	c := newTestCodec(t)
	for _, code := range sampleCodes() {
		payload, _ := c.Encode(code)
		token := payload[strings.LastIndexByte(payload, '/')+1:]
		raw, err := b64.DecodeString(token)
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			for mask := 1; mask < 256; mask++ {
				bad := bytes.Clone(raw)
				bad[i] ^= byte(mask)
				expectRefused(t, c, b64.EncodeToString(bad))
			}
		}
		for i := range len(token) {
			for _, ch := range []byte("AZaz09-_+/=.%") {
				if ch != token[i] {
					expectRefused(t, c, token[:i]+string(ch)+token[i+1:])
				}
			}
		}
		expectRefused(t, c, b64.EncodeToString(raw[:len(raw)-1]))
		expectRefused(t, c, b64.EncodeToString(append(bytes.Clone(raw), 0)))
		expectRefused(t, c, token+"A")
	}
}

func expectRefused(t *testing.T, c *Codec, token string) {
	t.Helper()
	for _, p := range []string{token, testBase + "/r/" + token} {
		got, err := c.Decode(p)
		if strings.Contains(p, "/") && p == token && errors.Is(err, ErrNotOurs) {
			continue // a slash makes it a (foreign) URL, not a bare token
		}
		if !errors.Is(err, ErrForged) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("Decode(%q) = %+v, %v; want ErrForged or ErrMalformed", p, got, err)
		}
	}
}

func TestOtherKeyIsForged(t *testing.T) {
	other, err := NewCodec(testBase, bytes.Repeat([]byte{0xa5}, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := newTestCodec(t)
	for _, code := range sampleCodes() {
		payload, _ := other.Encode(code)
		if got, err := c.Decode(payload); !errors.Is(err, ErrForged) {
			t.Errorf("Decode(other key) = %+v, %v; want ErrForged", got, err)
		}
	}
}

func TestNotOurs(t *testing.T) {
	c := newTestCodec(t)
	payload, _ := c.Encode(Code{UserID: testUser})
	token := strings.TrimPrefix(payload, testBase+"/r/")
	for _, p := range []string{
		"http://pay.shiliantong.example/r/" + token,
		"https://evil.example/r/" + token,
		"https://pay.shiliantong.example.evil.example/r/" + token,
		"https://pay.shiliantong.example@evil.example/r/" + token,
		"https://pay.shiliantong.example:8443/r/" + token,
		"https://pay.shiliantong.example/x/" + token,
		"https://pay.shiliantong.example/" + token,
		"https://pay.shiliantong.example/R/" + token,
		"weixin://pay/" + token,
		"https://pay.shiliantong.example",
	} {
		if got, err := c.Decode(p); !errors.Is(err, ErrNotOurs) {
			t.Errorf("Decode(%q) = %+v, %v; want ErrNotOurs", p, got, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	c := newTestCodec(t)
	payload, _ := c.Encode(Code{UserID: testUser})
	for _, p := range []string{"", "  ", "!!!", "AAAA", payload + "?utm=1", payload + "#x", payload + "=",
		testBase + "/r/", strings.Repeat("A", 1000)} {
		if got, err := c.Decode(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) = %+v, %v; want ErrMalformed", p, got, err)
		}
	}
}

// TestSignedButInvalid covers tokens with a valid tag whose content is
// invalid or non-canonical: Decode reports ErrMalformed with the reason.
func TestSignedButInvalid(t *testing.T) {
	c := newTestCodec(t)
	head := append([]byte{version}, testUser[:]...)
	cases := map[string][]byte{
		"nil UUID":      make([]byte, headerLen),
		"not a varint":  append(bytes.Clone(head), 0xff),
		"overlong":      append(bytes.Clone(head), 0x81, 0x00, 'C', 'N', 'Y'),
		"too big":       append(bytes.Clone(head), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 'C', 'N', 'Y'),
		"no currency":   append(bytes.Clone(head), 0x05, 'C', 'N'),
		"lower case":    append(bytes.Clone(head), 0x05, 'c', 'n', 'y'),
		"bad note":      append(bytes.Clone(head), 0x05, 'C', 'N', 'Y', 0xc3),
		"control note":  append(bytes.Clone(head), 0x05, 'C', 'N', 'Y', 0x07),
		"zero extended": append(bytes.Clone(head), 0x00),
	}
	cases["nil UUID"][0] = version
	for name, body := range cases {
		token := b64.EncodeToString(c.tag(body, body))
		got, err := c.Decode(token)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %+v, %v; want ErrMalformed", name, got, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
