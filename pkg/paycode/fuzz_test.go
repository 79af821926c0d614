package paycode

import (
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// Format writes back unchanged, under the default scheme and a narrower one.
func FuzzParse(f *testing.F) {
	cfgs := []Config{DefaultConfig(), DefaultConfig()}
	cfgs[1].Prefix, cfgs[1].Digits, cfgs[1].MaskKey = "135", 7, []byte("another key")
	for _, cfg := range cfgs {
		for i, n := range []uint64{0, 1, cfg.MaxDevice()} {
			code, err := Generate(testDevice(n, byte(i+1)), time.Unix(int64(i)*1e9, 0), cfg)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(code)
		}
	}
	for _, s := range []string{"", "77", "779999999999999999", "770000000000000000", "77０00000000000000", "7700000000000000000", "abcdefghijklmnopqr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		for _, cfg := range cfgs {
			p, err := Parse(code, cfg)
			if err != nil {
				continue
			}
			again, err := Format(p, cfg)
			if err != nil || again != code {
				t.Fatalf("Parse(%q) = %+v, formats as %q, %v", code, p, again, err)
			}
		}
	})
}
