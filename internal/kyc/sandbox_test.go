package kyc_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

// fixedClock returns a clock that always says testNow.
func fixedClock() time.Time { return testNow }

var (
	idRequest       = kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "11010519491231002x"}
	passportRequest = kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "gbr", Number: "a12345678"}
	// mismatchID has the sequence code 999.
	mismatchID       = kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: withCheck("11010519491231999")}
	mismatchPassport = kyc.Request{Name: "John Smith", Type: kyc.DocumentPassport, Country: "GBR", Number: "A12345999"}
	unavailableName  = kyc.Request{Name: "Unavailable Test", Type: kyc.DocumentResidentID, Number: "11010519491231002X"}
)

func TestSandboxOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		req     kyc.Request
		want    kyc.Verification
		wantErr error
	}{
		{"resident id", idRequest, kyc.Verification{Reference: "sandbox-1", VerifiedAt: testNow, Type: kyc.DocumentResidentID, Masked: "110***********002X"}, nil},
		{"passport", passportRequest, kyc.Verification{Reference: "sandbox-2", VerifiedAt: testNow, Type: kyc.DocumentPassport, Masked: "A1*****78"}, nil},
		{"id mismatch", mismatchID, kyc.Verification{}, kyc.ErrMismatch},
		{"passport mismatch", mismatchPassport, kyc.Verification{}, kyc.ErrMismatch},
		{"unavailable", unavailableName, kyc.Verification{}, kyc.ErrUnavailable},
		{"unavailable beats mismatch", kyc.Request{Name: "Mr Unavailable", Type: kyc.DocumentResidentID, Number: mismatchID.Number}, kyc.Verification{}, kyc.ErrUnavailable},
		{"case-sensitive rule", kyc.Request{Name: "unavailable", Type: kyc.DocumentResidentID, Number: "11010519491231002X"}, kyc.Verification{Reference: "sandbox-3", VerifiedAt: testNow, Type: kyc.DocumentResidentID, Masked: "110***********002X"}, nil},
		{"format error", kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: "110105194912310021"}, kyc.Verification{}, kyc.ErrIDChecksum},
		{"type error", kyc.Request{Name: "张三", Number: "11010519491231002X"}, kyc.Verification{}, kyc.ErrDocumentType},
		{"future birth date by injected clock", kyc.Request{Name: "张三", Type: kyc.DocumentResidentID, Number: withCheck("11010520250602002")}, kyc.Verification{}, kyc.ErrIDBirthDate},
	}
	s := kyc.NewSandbox(kyc.SandboxConfig{Now: fixedClock})
	for _, tt := range tests {
		got, err := s.Verify(context.Background(), tt.req)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("%s: Verify(%v) = %+v, %v; want %+v, %v", tt.name, tt.req, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSandboxFormatErrorsAreNotSent checks that a malformed request is
// answered at once, without waiting for the provider.
func TestSandboxFormatErrorsAreNotSent(t *testing.T) {
	s := kyc.NewSandbox(kyc.SandboxConfig{Latency: time.Hour, FailureRate: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bad := kyc.Request{Name: "张三", Type: kyc.DocumentPassport, Country: "CHN", Number: "E1"}
	if _, err := s.Verify(ctx, bad); !errors.Is(err, kyc.ErrPassportNumber) {
		t.Errorf("Verify(%v) error = %v, want ErrPassportNumber", bad, err)
	}
}

func TestSandboxLatency(t *testing.T) {
	const latency, jitter = 20 * time.Millisecond, 10 * time.Millisecond
	s := kyc.NewSandbox(kyc.SandboxConfig{Latency: latency, Jitter: jitter, Seed: 1})
	for range 5 {
		start := time.Now()
		if _, err := s.Verify(context.Background(), idRequest); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed < latency {
			t.Errorf("Verify took %v, want at least %v", elapsed, latency)
		}
	}
}

func TestSandboxContext(t *testing.T) {
	huge := kyc.SandboxConfig{Latency: math.MaxInt64, Jitter: math.MaxInt64}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := kyc.NewSandbox(huge).Verify(ctx, idRequest); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify after deadline error = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Verify returned after %v, long after its deadline", elapsed)
	}

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kyc.NewSandbox(kyc.SandboxConfig{}).Verify(canceled, idRequest); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with canceled context error = %v, want context.Canceled", err)
	}
}

func TestSandboxFailureRate(t *testing.T) {
	tests := []struct {
		rate     float64
		min, max int // failures out of 1000
	}{
		{0, 0, 0},
		{-1, 0, 0},
		{math.NaN(), 0, 0},
		{1, 1000, 1000},
		{2, 1000, 1000},
		{0.25, 200, 300},
	}
	for _, tt := range tests {
		s := kyc.NewSandbox(kyc.SandboxConfig{FailureRate: tt.rate, Seed: 42})
		failures := 0
		for range 1000 {
			_, err := s.Verify(context.Background(), idRequest)
			switch {
			case errors.Is(err, kyc.ErrUnavailable):
				failures++
			case err != nil:
				t.Fatalf("rate %v: Verify error = %v", tt.rate, err)
			}
		}
		if failures < tt.min || failures > tt.max {
			t.Errorf("rate %v: %d failures in 1000, want %d to %d", tt.rate, failures, tt.min, tt.max)
		}
	}
}

// TestSandboxSeed checks that the same seed gives the same outcomes.
func TestSandboxSeed(t *testing.T) {
	outcomes := func(seed uint64) []bool {
		s := kyc.NewSandbox(kyc.SandboxConfig{FailureRate: 0.5, Seed: seed})
		var out []bool
		for range 64 {
			_, err := s.Verify(context.Background(), mismatchID)
			out = append(out, errors.Is(err, kyc.ErrUnavailable))
		}
		return out
	}
	a, b, c := outcomes(7), outcomes(7), outcomes(8)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 gave different outcomes: %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same 64 outcomes %v", a)
	}
}

// TestSandboxConcurrent runs every path from many goroutines; run it with
// -race.
func TestSandboxConcurrent(t *testing.T) {
	s := kyc.NewSandbox(kyc.SandboxConfig{Jitter: time.Millisecond, FailureRate: 0.2, Seed: 3, Now: fixedClock})
	requests := []kyc.Request{idRequest, passportRequest, mismatchID, mismatchPassport, unavailableName, {Name: "bad", Number: "1"}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		refs = map[string]bool{}
	)
	for g := range 32 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for i := range 30 {
				req := requests[(g+i)%len(requests)]
				v, err := s.Verify(ctx, req)
				if err != nil {
					checkSandboxError(t, req, err)
					continue
				}
				mu.Lock()
				if refs[v.Reference] {
					t.Errorf("reference %q given twice", v.Reference)
				}
				refs[v.Reference] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(refs) == 0 {
		t.Error("no request was verified")
	}
}

// checkSandboxError checks that err is a possible outcome for req.
func checkSandboxError(t *testing.T, req kyc.Request, err error) {
	t.Helper()
	switch {
	case errors.Is(err, kyc.ErrUnavailable):
	case errors.Is(err, kyc.ErrMismatch) && (req == mismatchID || req == mismatchPassport):
	case errors.Is(err, kyc.ErrDocumentType) && req.Type == "":
	default:
		t.Errorf("Verify(%v) error = %v", req, err)
	}
}
