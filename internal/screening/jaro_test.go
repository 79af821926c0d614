package screening

import (
	"math"
	"testing"
)

// The examples of Winkler's papers and of most implementations' tests.
func TestJaroWinklerKnownValues(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.8400},
		{"dixon", "dicksonx", 0.8133},
		{"jellyfish", "smellyfish", 0.8963},
		{"abc", "abc", 1},
		{"abc", "xyz", 0},
		{"", "abc", 0},
		{"a", "a", 1},
	} {
		if got := jaroWinkler(c.a, c.b); math.Abs(got-c.want) > 0.0001 {
			t.Errorf("jaroWinkler(%q, %q) = %.4f, want %.4f", c.a, c.b, got, c.want)
		}
		if got, rev := jaroWinkler(c.a, c.b), jaroWinkler(c.b, c.a); math.Abs(got-rev) > 1e-9 {
			t.Errorf("not symmetric: %q %q: %v %v", c.a, c.b, got, rev)
		}
	}
}

func FuzzJaroWinkler(f *testing.F) {
	f.Add("martha", "marhta")
	f.Fuzz(func(t *testing.T, a, b string) {
		s := jaroWinkler(a, b)
		if s < 0 || s > 1 || math.IsNaN(s) {
			t.Fatalf("%q %q: %v", a, b, s)
		}
		if a == b && s != 1 {
			t.Fatalf("%q with itself: %v", a, s)
		}
	})
}
