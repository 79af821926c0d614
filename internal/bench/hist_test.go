package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreOrderedAndTight(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 20_000_000; us += 1 + us/97 {
		b := bucketOf(us)
		if b < prev {
			t.Fatalf("bucket of %d µs is %d, below the bucket of a smaller value (%d)", us, b, prev)
		}
		if up := upper(b); us > up || float64(up-us) > 0.032*float64(us)+1 {
			t.Fatalf("%d µs in bucket %d whose upper edge is %d", us, b, up)
		}
		prev = b
	}
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := newHistogram()
	var samples []time.Duration
	for range 100_000 {
		d := time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))
		samples = append(samples, d)
		h.add(d, 1)
	}
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(q*float64(len(samples)))-1]
		got := h.quantile(q)
		if got < want || float64(got-want) > 0.04*float64(want)+float64(time.Microsecond) {
			t.Errorf("quantile %.3f = %v, exact %v", q, got, want)
		}
	}
	if h.quantile(1) != samples[len(samples)-1] {
		t.Errorf("quantile 1 = %v, max %v", h.quantile(1), samples[len(samples)-1])
	}
}

func TestWeightedAdd(t *testing.T) {
	h := newHistogram()
	h.add(time.Millisecond, 99)
	h.add(50*time.Millisecond, 1)
	if got := h.quantile(0.99); got > 1100*time.Microsecond {
		t.Errorf("p99 = %v, want about 1 ms: 99 of 100 events took 1 ms", got)
	}
	if got := h.quantile(0.995); got < 49*time.Millisecond {
		t.Errorf("p99.5 = %v, want about 50 ms", got)
	}
}
