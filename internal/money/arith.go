package money

import (
	"fmt"
	"math"
	"math/bits"
)

// Add returns a+b, or an error wrapping ErrOverflow if the sum does not fit
// in int64. Nothing ever wraps around silently.
func Add(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, fmt.Errorf("money: %d + %d: %w", a, b, ErrOverflow)
	}
	return a + b, nil
}

// Sub returns a-b, or an error wrapping ErrOverflow if the difference does
// not fit in int64.
func Sub(a, b int64) (int64, error) {
	if (b < 0 && a > math.MaxInt64+b) || (b > 0 && a < math.MinInt64+b) {
		return 0, fmt.Errorf("money: %d - %d: %w", a, b, ErrOverflow)
	}
	return a - b, nil
}

// Mul returns a*b, or an error wrapping ErrOverflow if the product does not
// fit in int64.
func Mul(a, b int64) (int64, error) {
	hi, lo := bits.Mul64(magnitude(a), magnitude(b))
	negative := (a < 0) != (b < 0)
	limit := uint64(math.MaxInt64)
	if negative {
		limit++
	}
	if hi != 0 || lo > limit {
		return 0, fmt.Errorf("money: %d * %d: %w", a, b, ErrOverflow)
	}
	return applySign(lo, negative), nil
}

// Neg returns -a, or an error wrapping ErrOverflow for math.MinInt64.
func Neg(a int64) (int64, error) {
	if a == math.MinInt64 {
		return 0, fmt.Errorf("money: -(%d): %w", a, ErrOverflow)
	}
	return -a, nil
}

// SumChecked returns the sum of xs (0 for none), or an error wrapping
// ErrOverflow if any partial sum, taken left to right, does not fit in
// int64.
func SumChecked(xs ...int64) (int64, error) {
	var sum int64
	for i, x := range xs {
		next, err := Add(sum, x)
		if err != nil {
			return 0, fmt.Errorf("money: sum of %d values, at index %d: %w", len(xs), i, err)
		}
		sum = next
	}
	return sum, nil
}

// magnitude returns |a| as a uint64, exact for math.MinInt64.
func magnitude(a int64) uint64 {
	if a < 0 {
		return -uint64(a)
	}
	return uint64(a)
}
