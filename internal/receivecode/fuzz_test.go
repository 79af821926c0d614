package receivecode

import (
	"errors"
	"testing"
)

// FuzzDecode checks that Decode never panics, fails only with the package's
// sentinel errors, and that anything it accepts re-encodes to a payload that
// decodes to the same Code.
func FuzzDecode(f *testing.F) {
	c := newTestCodec(f)
	for _, code := range sampleCodes() {
		p, _ := c.Encode(code)
		f.Add(p)
		f.Add(p[len(testBase+"/r/"):])
	}
	for _, s := range []string{"", "AQ", testBase + "/r/", "https://evil.example/r/x", "%zz:/", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		code, err := c.Decode(payload)
		if err != nil {
			if !errors.Is(err, ErrNotOurs) && !errors.Is(err, ErrForged) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%q): unexpected error %v", payload, err)
			}
			return
		}
		again, err := c.Encode(code)
		if err != nil {
			t.Fatalf("Encode(%+v) of a decoded code: %v", code, err)
		}
		if got, err := c.Decode(again); err != nil || got != code {
			t.Fatalf("re-decode = %+v, %v; want %+v", got, err, code)
		}
	})
}
