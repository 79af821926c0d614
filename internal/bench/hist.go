package bench

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts latencies in log-linear buckets: 64 sub-buckets per
// power of two of microseconds, so a quantile is within 1.6% of the truth.
// Each client keeps its own; they are merged at the end.
type histogram struct {
	counts [histBuckets]int64
	total  int64
	max    time.Duration
}

const (
	histSub     = 64 // sub-buckets per power of two
	histSubBits = 6
	histBuckets = 40 * histSub
)

func newHistogram() *histogram { return &histogram{} }

func bucketOf(us uint64) int {
	if us < histSub {
		return int(us)
	}
	exp := bits.Len64(us) - histSubBits // ≥ 1
	mant := us >> (exp - 1)             // in [histSub, 2*histSub)
	return min(exp*histSub+int(mant-histSub), histBuckets-1)
}

// upper returns the largest latency in microseconds that falls in bucket i.
func upper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	exp := i / histSub
	mant := uint64(i%histSub + histSub)
	return (mant+1)<<(exp-1) - 1
}

// add records n events that each took d.
func (h *histogram) add(d time.Duration, n int64) {
	h.counts[bucketOf(uint64(max(d, 0)/time.Microsecond))] += n
	h.total += n
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) reset() { *h = histogram{} }

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the latency below which a fraction q of events fell,
// at the upper edge of its bucket.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.total)))
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(upper(i)+1)*time.Microsecond, h.max)
		}
	}
	return h.max
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
