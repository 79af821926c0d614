package money_test

import (
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

var benchAmounts = []struct {
	code, in string
}{
	{"CNY", "12.50"},
	{"JPY", "100"},
	{"KWD", "1.234"},
	{"CNY", "92233720368547758.07"},
}

func BenchmarkParseAmount(b *testing.B) {
	for _, bb := range benchAmounts {
		c := money.MustLookup(bb.code)
		b.Run(bb.code+"/"+bb.in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := money.ParseAmount(bb.in, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFormatAmount(b *testing.B) {
	for _, bb := range benchAmounts {
		c := money.MustLookup(bb.code)
		minor, err := money.ParseAmount(bb.in, c)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bb.code+"/"+bb.in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = money.FormatAmount(minor, c)
			}
		})
		b.Run("Append/"+bb.code+"/"+bb.in, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 32)
			for b.Loop() {
				if _, err := money.AppendAmount(buf[:0], minor, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	b.Run("alpha", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := money.Lookup("CNY"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("numeric", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := money.LookupNumeric(156); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestHotPathZeroAllocs guards the allocation-free success paths that the
// benchmarks report.
func TestHotPathZeroAllocs(t *testing.T) {
	cny := money.MustLookup("CNY")
	code := string([]byte("KWD")) // not a compile-time constant
	buf := make([]byte, 0, 32)
	tests := []struct {
		name string
		fn   func()
	}{
		{"Lookup", func() { _, _ = money.Lookup(code) }},
		{"LookupNumeric", func() { _, _ = money.LookupNumeric(414) }},
		{"ParseAmount", func() { _, _ = money.ParseAmount("12.50", cny) }},
		{"ParseSignedAmount", func() { _, _ = money.ParseSignedAmount("-92233720368547758.08", cny) }},
		{"AppendAmount", func() { _, _ = money.AppendAmount(buf[:0], -1250, cny) }},
		{"Add", func() { _, _ = money.Add(1, 2) }},
		{"Mul", func() { _, _ = money.Mul(3, 4) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", tt.name, n)
		}
	}
}
