package money_test

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/money"
)

const (
	maxI = math.MaxInt64
	minI = math.MinInt64
)

type binaryCase struct {
	a, b    int64
	want    int64
	wantErr error
}

func checkBinary(t *testing.T, name string, op func(a, b int64) (int64, error), cases []binaryCase) {
	t.Helper()
	for _, tt := range cases {
		got, err := op(tt.a, tt.b)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("%s(%d, %d) = %d, %v; want %d, %v", name, tt.a, tt.b, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestAdd(t *testing.T) {
	checkBinary(t, "Add", money.Add, []binaryCase{
		{1, 2, 3, nil},
		{-1, -2, -3, nil},
		{maxI, 0, maxI, nil},
		{maxI, minI, -1, nil},
		{maxI - 1, 1, maxI, nil},
		{minI + 1, -1, minI, nil},
		{maxI, 1, 0, money.ErrOverflow},
		{1, maxI, 0, money.ErrOverflow},
		{minI, -1, 0, money.ErrOverflow},
		{minI, minI, 0, money.ErrOverflow},
		{maxI, maxI, 0, money.ErrOverflow},
	})
}

func TestSub(t *testing.T) {
	checkBinary(t, "Sub", money.Sub, []binaryCase{
		{3, 2, 1, nil},
		{-1, -2, 1, nil},
		{0, maxI, -maxI, nil},
		{-1, maxI, minI, nil},
		{minI, minI, 0, nil},
		{maxI, maxI, 0, nil},
		{0, minI, 0, money.ErrOverflow},
		{-2, maxI, 0, money.ErrOverflow},
		{minI, 1, 0, money.ErrOverflow},
		{maxI, -1, 0, money.ErrOverflow},
		{maxI, minI, 0, money.ErrOverflow},
	})
}

func TestMul(t *testing.T) {
	checkBinary(t, "Mul", money.Mul, []binaryCase{
		{6, 7, 42, nil},
		{-6, 7, -42, nil},
		{-6, -7, 42, nil},
		{0, minI, 0, nil},
		{minI, 1, minI, nil},
		{maxI, -1, -maxI, nil},
		{1 << 62, -2, minI, nil},
		{-(1 << 62), 2, minI, nil},
		{minI, -1, 0, money.ErrOverflow},
		{-1, minI, 0, money.ErrOverflow},
		{1 << 62, 2, 0, money.ErrOverflow},
		{-(1 << 62), -2, 0, money.ErrOverflow},
		{minI, 2, 0, money.ErrOverflow},
		{maxI, maxI, 0, money.ErrOverflow},
		{minI, minI, 0, money.ErrOverflow},
		{3037000500, 3037000500, 0, money.ErrOverflow}, // just over sqrt(2^63)
		{3037000499, 3037000499, 9223372030926249001, nil},
	})
}

func TestNeg(t *testing.T) {
	tests := []struct {
		a, want int64
		wantErr error
	}{
		{0, 0, nil}, {5, -5, nil}, {-5, 5, nil},
		{maxI, -maxI, nil}, {minI + 1, maxI, nil},
		{minI, 0, money.ErrOverflow},
	}
	for _, tt := range tests {
		got, err := money.Neg(tt.a)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("Neg(%d) = %d, %v; want %d, %v", tt.a, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSumChecked(t *testing.T) {
	tests := []struct {
		xs      []int64
		want    int64
		wantErr error
	}{
		{nil, 0, nil},
		{[]int64{5}, 5, nil},
		{[]int64{1, 2, 3, -4}, 2, nil},
		{[]int64{maxI, minI, 1}, 0, nil},
		{[]int64{maxI, 1}, 0, money.ErrOverflow},
		{[]int64{minI, -1}, 0, money.ErrOverflow},
		// Evaluated left to right: the partial sum overflows even though
		// the mathematical total would fit.
		{[]int64{maxI, 1, -1}, 0, money.ErrOverflow},
	}
	for _, tt := range tests {
		got, err := money.SumChecked(tt.xs...)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("SumChecked(%v) = %d, %v; want %d, %v", tt.xs, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestArithmeticErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{second(money.Add(maxI, 1)), "money: 9223372036854775807 + 1: int64 overflow"},
		{second(money.Sub(minI, 1)), "money: -9223372036854775808 - 1: int64 overflow"},
		{second(money.Mul(minI, -1)), "money: -9223372036854775808 * -1: int64 overflow"},
		{second(money.Neg(minI)), "money: -(-9223372036854775808): int64 overflow"},
		{second(money.SumChecked(1, maxI, 3)), "money: sum of 3 values, at index 1: money: 1 + 9223372036854775807: int64 overflow"},
	}
	for _, tt := range tests {
		if tt.err == nil || tt.err.Error() != tt.want {
			t.Errorf("error = %v, want %q", tt.err, tt.want)
		}
	}
}

func second(_ int64, err error) error { return err }

// TestArithmeticAgainstBigInt compares every operation with math/big on
// all pairs of edge values.
func TestArithmeticAgainstBigInt(t *testing.T) {
	xs := edgeInt64s()
	for _, a := range xs {
		for _, b := range xs {
			checkAgainstBig(t, a, b)
		}
	}
}

func checkAgainstBig(t *testing.T, a, b int64) {
	t.Helper()
	ops := []struct {
		name string
		op   func(a, b int64) (int64, error)
		ref  func(z, x, y *big.Int) *big.Int
	}{
		{"Add", money.Add, (*big.Int).Add},
		{"Sub", money.Sub, (*big.Int).Sub},
		{"Mul", money.Mul, (*big.Int).Mul},
	}
	for _, o := range ops {
		want := o.ref(new(big.Int), big.NewInt(a), big.NewInt(b))
		got, err := o.op(a, b)
		checkBigResult(t, o.name, []int64{a, b}, got, err, want)
	}
	want := new(big.Int).Neg(big.NewInt(a))
	got, err := money.Neg(a)
	checkBigResult(t, "Neg", []int64{a}, got, err, want)
}

func checkBigResult(t *testing.T, name string, args []int64, got int64, err error, want *big.Int) {
	t.Helper()
	if !want.IsInt64() {
		if !errors.Is(err, money.ErrOverflow) || got != 0 {
			t.Errorf("%s%v = %d, %v; want ErrOverflow (exact %s)", name, args, got, err, want)
		}
		return
	}
	if err != nil || got != want.Int64() {
		t.Errorf("%s%v = %d, %v; want %s", name, args, got, err, want)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "money: ") {
		t.Errorf("%s%v error %q lacks package prefix", name, args, err)
	}
}
