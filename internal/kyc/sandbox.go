package kyc

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SandboxConfig configures a Sandbox. The zero value answers at once,
// never fails at random and uses time.Now.
type SandboxConfig struct {
	// Latency is the minimum time a check takes. Negative means 0.
	Latency time.Duration
	// Jitter is the maximum extra time, drawn uniformly from [0, Jitter]
	// for each check. Negative means 0.
	Jitter time.Duration
	// FailureRate is the probability, from 0 to 1, that a check which the
	// rules below do not decide fails with ErrUnavailable. Values outside
	// [0, 1] are clamped; NaN means 0.
	FailureRate float64
	// Seed seeds the random numbers for Jitter and FailureRate, so that a
	// test making its checks one at a time sees the same outcomes each run.
	Seed uint64
	// Now is the clock, for birth-date checks and VerifiedAt; nil means
	// time.Now. It must be safe for concurrent use.
	Now func() time.Time
}

// SandboxMismatchSequence is the sequence code (digits 15 to 17) of the
// resident identity numbers that Sandbox reports as ErrMismatch.
const SandboxMismatchSequence = "999"

// SandboxUnavailableName is the text that makes Sandbox report
// ErrUnavailable for names that contain it.
const SandboxUnavailableName = "Unavailable"

// Sandbox is a Verifier for tests and development that contacts no one.
// After NormalizeRequest and the latency, its outcome is, in order:
//
//  1. ErrUnavailable if the name contains "Unavailable" (case-sensitive);
//  2. ErrUnavailable with probability FailureRate;
//  3. ErrMismatch for a resident identity number whose sequence code is
//     "999", or a passport number that ends in "999";
//  4. otherwise a Verification with a reference "sandbox-" followed by a
//     counter.
//
// A Sandbox is safe for concurrent use.
type Sandbox struct {
	latency, jitter time.Duration
	failureRate     float64
	now             func() time.Time

	mu  sync.Mutex // guards rng
	rng *rand.Rand

	refs atomic.Uint64
}

var _ Verifier = (*Sandbox)(nil)

// NewSandbox returns a Sandbox configured by cfg.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	s := &Sandbox{
		latency:     max(cfg.Latency, 0),
		jitter:      min(max(cfg.Jitter, 0), math.MaxInt64-1),
		failureRate: clampRate(cfg.FailureRate),
		now:         cfg.Now,
		rng:         rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// clampRate limits a probability to [0, 1], with NaN as 0.
func clampRate(p float64) float64 {
	if math.IsNaN(p) {
		return 0
	}
	return min(max(p, 0), 1)
}

// Verify implements Verifier. Format errors are returned at once. If ctx
// ends before the answer, Verify returns an error wrapping ctx.Err().
func (s *Sandbox) Verify(ctx context.Context, req Request) (Verification, error) {
	req, err := NormalizeRequest(req, s.now())
	if err != nil {
		return Verification{}, err
	}
	delay, fail := s.roll()
	if err := sleep(ctx, delay); err != nil {
		return Verification{}, fmt.Errorf("kyc: sandbox: %w", err)
	}
	switch {
	case strings.Contains(req.Name, SandboxUnavailableName):
		return Verification{}, fmt.Errorf("%w: sandbox rule for names containing %q", ErrUnavailable, SandboxUnavailableName)
	case fail:
		return Verification{}, fmt.Errorf("%w: sandbox random failure", ErrUnavailable)
	case sandboxMismatch(req):
		return Verification{}, ErrMismatch
	}
	return Verification{
		Reference:  fmt.Sprintf("sandbox-%d", s.refs.Add(1)),
		VerifiedAt: s.now(),
		Type:       req.Type,
		Masked:     MaskID(req.Number),
	}, nil
}

// roll draws the latency and whether the check fails at random.
func (s *Sandbox) roll() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delay := s.latency
	if s.jitter > 0 {
		extra := time.Duration(s.rng.Int64N(int64(s.jitter) + 1))
		delay = min(delay, math.MaxInt64-extra) + extra // saturates
	}
	return delay, s.rng.Float64() < s.failureRate
}

// sandboxMismatch applies the sandbox's mismatch rule to a normalised
// request.
func sandboxMismatch(req Request) bool {
	if req.Type == DocumentResidentID {
		return req.Number[14:17] == SandboxMismatchSequence
	}
	return strings.HasSuffix(req.Number, SandboxMismatchSequence)
}

// sleep waits for d or until ctx ends, whichever is first, and returns
// ctx.Err() in the second case. It checks ctx even when d is 0.
func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
