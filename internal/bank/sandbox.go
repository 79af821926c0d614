package bank

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// OTP rules of the sandbox, which are those of a typical Chinese bank.
const (
	OTPLength      = 6
	OTPValidity    = 5 * time.Minute
	OTPMaxAttempts = 3
)

// Operation names a kind of payment.
type Operation string

// Payment operations.
const (
	OpDebit  Operation = "debit"
	OpCredit Operation = "credit"
)

// Outcome is what the sandbox does with a new payment. The zero Outcome is
// a payment that succeeds with no trouble.
type Outcome struct {
	// Reason, if not empty, makes the payment end failed with this reason.
	Reason string
	// Timeout makes the first call for the payment return ErrTimeout
	// although the bank accepted it; the payment still reaches its final
	// state. Retries with the same RequestID answer normally.
	Timeout bool
	// Unavailable makes the call return ErrUnavailable; the bank records
	// nothing, so every retry gets the same answer.
	Unavailable bool
}

// SandboxConfig configures a Sandbox. The zero value is a bank that answers
// at once, settles at once and never fails.
type SandboxConfig struct {
	// Latency is the mean time a call takes; each call waits a random
	// time between half and one and a half times this.
	Latency time.Duration
	// FailureRate is the fraction of new payments that end failed, with
	// a random realistic reason.
	FailureRate float64
	// TimeoutRate is the fraction of payment calls that return ErrTimeout
	// although the bank accepted the payment and completes it later.
	TimeoutRate float64
	// UnavailableRate is the fraction of calls of any kind that return
	// ErrUnavailable without doing anything.
	UnavailableRate float64
	// SettleDelay is how long a payment stays pending before a goroutine
	// moves it to its final state. Zero settles during the call.
	SettleDelay time.Duration
	// Seed seeds the sandbox's random numbers (latency, failures, codes,
	// tokens), so a sequence of calls made one at a time is reproducible.
	Seed uint64
	// Now is the clock for OTP expiry and timestamps; nil means time.Now.
	// Latency and SettleDelay use real timers whatever the clock.
	Now func() time.Time
	// Rules, if not nil, decides the outcome of each new payment instead
	// of the magic amounts and the rates, unless it returns false. It is
	// called with no lock held and may be called for retries too, whose
	// outcome is then ignored.
	Rules func(op Operation, p Payment) (Outcome, bool)
}

// Sandbox is an in-memory bank that behaves like a real one: it has
// latency, fails, times out, settles payments asynchronously and holds
// callers to idempotency. See the package documentation for the magic card
// numbers and amounts that force outcomes. It is safe for concurrent use.
type Sandbox struct {
	cfg SandboxConfig

	rngMu sync.Mutex
	rng   *rand.Rand

	mu       sync.Mutex
	closed   bool
	seq      int
	otps     map[string]*verification
	tokens   map[string]string // PAN to card token
	cards    map[string]string // card token to PAN
	payments map[string]*payment
	totals   map[TotalsKey]Totals

	done chan struct{}
	wg   sync.WaitGroup
}

var _ Connector = (*Sandbox)(nil)

type verification struct {
	pan      string
	code     string
	expires  time.Time
	attempts int
	used     bool
}

type payment struct {
	op      Operation
	req     Payment
	outcome Outcome
	result  Result
}

// TotalsKey identifies a card and currency in Sandbox.Totals.
type TotalsKey struct {
	CardToken string
	Currency  string
}

// Totals is the money the sandbox actually moved for one card in one
// currency: succeeded payments only, amounts in minor units.
type Totals struct {
	Debited, Credited int64
	Debits, Credits   int
}

// NewSandbox returns a sandbox bank configured by cfg. Rates are clamped to
// [0, 1] and negative durations count as zero. Call Close when done.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	cfg.FailureRate = clamp01(cfg.FailureRate)
	cfg.TimeoutRate = clamp01(cfg.TimeoutRate)
	cfg.UnavailableRate = clamp01(cfg.UnavailableRate)
	cfg.Latency = max(cfg.Latency, 0)
	cfg.SettleDelay = max(cfg.SettleDelay, 0)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sandbox{
		cfg:      cfg,
		rng:      rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5eed5eed5eed)),
		otps:     make(map[string]*verification),
		tokens:   make(map[string]string),
		cards:    make(map[string]string),
		payments: make(map[string]*payment),
		totals:   make(map[TotalsKey]Totals),
		done:     make(chan struct{}),
	}
}

func clamp01(f float64) float64 {
	if !(f > 0) { // also catches NaN
		return 0
	}
	return min(f, 1)
}

// Close stops the settlement goroutines and waits for them to exit.
// Payments still pending stay pending, and later calls fail with
// ErrUnavailable. Close may be called more than once.
func (s *Sandbox) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Totals returns, per card token and currency, the money that succeeded
// payments moved.
func (s *Sandbox) Totals() map[TotalsKey]Totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[TotalsKey]Totals, len(s.totals))
	for k, v := range s.totals {
		out[k] = v
	}
	return out
}

// SendCardOTP implements Connector. It fails with ErrInvalidRequest for a
// malformed card number (also wrapping ErrPANFormat or ErrPANChecksum),
// name or phone, and with ErrCardRejected for blocked cards (numbers
// ending in 0002).
func (s *Sandbox) SendCardOTP(ctx context.Context, req CardOTPRequest) (CardOTP, error) {
	pan, err := validateOTPRequest(req)
	if err != nil {
		return CardOTP{}, err
	}
	if err := s.roundTrip(ctx); err != nil {
		return CardOTP{}, err
	}
	if strings.HasSuffix(pan, "0002") {
		return CardOTP{}, fmt.Errorf("bank: sandbox: card ending 0002: %s: %w", ReasonCardBlocked, ErrCardRejected)
	}
	code := fmt.Sprintf("%0*d", OTPLength, s.intN(1_000_000))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("vrf_%06d_%08x", s.seq, uint32(s.uint64()))
	v := &verification{pan: pan, code: code, expires: s.cfg.Now().Add(OTPValidity)}
	s.otps[id] = v
	return CardOTP{VerificationID: id, ExpiresAt: v.expires, SandboxCode: code}, nil
}

func validateOTPRequest(req CardOTPRequest) (string, error) {
	pan, err := NormalizePAN(req.PAN)
	if err != nil {
		return "", fmt.Errorf("bank: sandbox: %w: %w", ErrInvalidRequest, err)
	}
	if strings.TrimSpace(req.HolderName) == "" {
		return "", fmt.Errorf("bank: sandbox: empty holder name: %w", ErrInvalidRequest)
	}
	if !validPhone(req.Phone) {
		return "", fmt.Errorf("bank: sandbox: phone must be 6 to 15 digits with an optional leading '+': %w", ErrInvalidRequest)
	}
	return pan, nil
}

func validPhone(p string) bool {
	p = strings.TrimPrefix(p, "+")
	if len(p) < 6 || len(p) > 15 {
		return false
	}
	return strings.Trim(p, "0123456789") == ""
}

// VerifyCardOTP implements Connector. A wrong code fails with
// ErrInvalidOTP; the third wrong code locks the verification, and that call
// and every later one fail with ErrTooManyAttempts. A code entered after
// OTPValidity fails with ErrOTPExpired. A verification can succeed once;
// the token is the same every time the same card is verified.
func (s *Sandbox) VerifyCardOTP(ctx context.Context, verificationID, code string) (string, error) {
	if err := s.roundTrip(ctx); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.otps[verificationID]
	switch {
	case !ok:
		return "", fmt.Errorf("bank: sandbox: unknown verification id %.40q: %w", verificationID, ErrInvalidOTP)
	case v.attempts >= OTPMaxAttempts:
		return "", fmt.Errorf("bank: sandbox: verification %s is locked: %w", verificationID, ErrTooManyAttempts)
	case v.used:
		return "", fmt.Errorf("bank: sandbox: verification %s was already used: %w", verificationID, ErrInvalidOTP)
	case !s.cfg.Now().Before(v.expires):
		return "", fmt.Errorf("bank: sandbox: verification %s expired at %s: %w", verificationID, v.expires.Format(time.RFC3339), ErrOTPExpired)
	case subtle.ConstantTimeCompare([]byte(code), []byte(v.code)) != 1:
		v.attempts++
		if v.attempts >= OTPMaxAttempts {
			return "", fmt.Errorf("bank: sandbox: verification %s: %d wrong codes: %w", verificationID, v.attempts, ErrTooManyAttempts)
		}
		return "", fmt.Errorf("bank: sandbox: verification %s: wrong code, %d attempts left: %w", verificationID, OTPMaxAttempts-v.attempts, ErrInvalidOTP)
	}
	v.used = true
	return s.tokenLocked(v.pan), nil
}

// tokenLocked returns the card token of pan, issuing one the first time.
func (s *Sandbox) tokenLocked(pan string) string {
	if tok, ok := s.tokens[pan]; ok {
		return tok
	}
	s.seq++
	tok := fmt.Sprintf("ctok_%06d_%016x", s.seq, s.uint64())
	s.tokens[pan] = tok
	s.cards[tok] = pan
	return tok
}

// Debit implements Connector.
func (s *Sandbox) Debit(ctx context.Context, req Payment) (Result, error) {
	return s.pay(ctx, OpDebit, req)
}

// Credit implements Connector.
func (s *Sandbox) Credit(ctx context.Context, req Payment) (Result, error) {
	return s.pay(ctx, OpCredit, req)
}

// Status implements Connector.
func (s *Sandbox) Status(ctx context.Context, requestID string) (Result, error) {
	if err := s.roundTrip(ctx); err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[requestID]
	if !ok {
		return Result{}, fmt.Errorf("bank: sandbox: request %.80q: %w", requestID, ErrUnknownRequest)
	}
	return p.result, nil
}

// pay runs a Debit or Credit: the bank accepts the payment (or finds the
// earlier one with the same RequestID), then the answer takes the latency
// to come back, and may be lost on the way (ErrTimeout).
func (s *Sandbox) pay(ctx context.Context, op Operation, req Payment) (Result, error) {
	if err := validatePayment(req); err != nil {
		return Result{}, err
	}
	out := s.decide(op, req)
	if err := s.begin(ctx, out.Unavailable); err != nil {
		return Result{}, err
	}
	first, err := s.accept(op, req, out)
	if err != nil {
		return Result{}, err
	}
	if err := s.wait(ctx); err != nil {
		return Result{}, fmt.Errorf("bank: sandbox: %s %s: %w: %w", op, req.RequestID, ErrTimeout, err)
	}
	if first && out.Timeout || !first && s.chance(s.cfg.TimeoutRate) {
		return Result{}, fmt.Errorf("bank: sandbox: %s %s: %w", op, req.RequestID, ErrTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.payments[req.RequestID].result, nil
}

func validatePayment(p Payment) error {
	switch {
	case p.RequestID == "" || len(p.RequestID) > 64:
		return fmt.Errorf("bank: sandbox: request id must be 1 to 64 bytes: %w", ErrInvalidRequest)
	case p.CardToken == "":
		return fmt.Errorf("bank: sandbox: request %s: empty card token: %w", p.RequestID, ErrInvalidRequest)
	case !validCurrency(p.Currency):
		return fmt.Errorf("bank: sandbox: request %s: currency %.10q is not 3 capital letters: %w", p.RequestID, p.Currency, ErrInvalidRequest)
	case p.Amount <= 0:
		return fmt.Errorf("bank: sandbox: request %s: amount %d is not positive: %w", p.RequestID, p.Amount, ErrInvalidRequest)
	}
	return nil
}

func validCurrency(c string) bool {
	return len(c) == 3 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// decide returns the outcome of a new payment: from Rules, else from the
// magic amounts, else at random from the configured rates.
func (s *Sandbox) decide(op Operation, p Payment) Outcome {
	if s.cfg.Rules != nil {
		if out, ok := s.cfg.Rules(op, p); ok {
			return out
		}
	}
	switch p.Amount % 100 {
	case 91:
		return Outcome{Reason: ReasonInsufficientFunds}
	case 92:
		return Outcome{Timeout: true}
	case 93:
		return Outcome{Timeout: true, Reason: ReasonDoNotHonor}
	case 94:
		return Outcome{Unavailable: true}
	}
	var out Outcome
	if s.chance(s.cfg.FailureRate) {
		reasons := failureReasons[op]
		out.Reason = reasons[s.intN(len(reasons))]
	}
	out.Timeout = s.chance(s.cfg.TimeoutRate)
	return out
}

var failureReasons = map[Operation][]string{
	OpDebit:  {ReasonInsufficientFunds, ReasonCardBlocked, ReasonLimitExceeded, ReasonDoNotHonor},
	OpCredit: {ReasonCardBlocked, ReasonAccountClosed, ReasonLimitExceeded},
}

// roundTrip is a whole call that only reads or asks: begin, then the
// latency.
func (s *Sandbox) roundTrip(ctx context.Context) error {
	if err := s.begin(ctx, false); err != nil {
		return err
	}
	return s.wait(ctx)
}

// begin is the start of every call: it fails if the sandbox is closed or
// ctx has ended, and if unavailable is set or by chance it waits the
// latency and fails with ErrUnavailable.
func (s *Sandbox) begin(ctx context.Context, unavailable bool) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("bank: sandbox closed: %w", ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if unavailable || s.chance(s.cfg.UnavailableRate) {
		if err := s.wait(ctx); err != nil {
			return err
		}
		return fmt.Errorf("bank: sandbox: %w", ErrUnavailable)
	}
	return nil
}

// accept records a new payment and schedules its settlement, or checks a
// retry against the payment already recorded under its RequestID. It
// reports whether the payment is new.
func (s *Sandbox) accept(op Operation, req Payment, out Outcome) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, fmt.Errorf("bank: sandbox closed: %w", ErrUnavailable)
	}
	if p, ok := s.payments[req.RequestID]; ok {
		if p.op != op || p.req != req {
			return false, fmt.Errorf("bank: sandbox: request %s was a %s of %d %s: %w", req.RequestID, p.op, p.req.Amount, p.req.Currency, ErrRequestMismatch)
		}
		return false, nil
	}
	if _, ok := s.cards[req.CardToken]; !ok {
		return false, fmt.Errorf("bank: sandbox: request %s: unknown card token: %w", req.RequestID, ErrCardRejected)
	}
	s.seq++
	now := s.cfg.Now()
	p := &payment{op: op, req: req, outcome: out, result: Result{
		RequestID: req.RequestID,
		State:     StatePending,
		BankRef:   fmt.Sprintf("SBX%s%08d", now.UTC().Format("20060102"), s.seq),
		UpdatedAt: now,
	}}
	s.payments[req.RequestID] = p
	if s.cfg.SettleDelay == 0 {
		s.settleLocked(p)
	} else {
		s.scheduleLocked(p)
	}
	return true, nil
}

// scheduleLocked starts the goroutine that settles p after SettleDelay.
// The caller holds s.mu and has checked that the sandbox is open, so
// wg.Add never races with Close's wg.Wait.
func (s *Sandbox) scheduleLocked(p *payment) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(s.cfg.SettleDelay)
		defer t.Stop()
		select {
		case <-t.C:
			s.mu.Lock()
			s.settleLocked(p)
			s.mu.Unlock()
		case <-s.done:
		}
	}()
}

// settleLocked moves p to its final state and books the money it moved.
func (s *Sandbox) settleLocked(p *payment) {
	p.result.UpdatedAt = s.cfg.Now()
	if p.outcome.Reason != "" {
		p.result.State, p.result.Reason = StateFailed, p.outcome.Reason
		return
	}
	p.result.State = StateSucceeded
	key := TotalsKey{CardToken: p.req.CardToken, Currency: p.req.Currency}
	t := s.totals[key]
	if p.op == OpDebit {
		t.Debited += p.req.Amount
		t.Debits++
	} else {
		t.Credited += p.req.Amount
		t.Credits++
	}
	s.totals[key] = t
}

// wait sleeps for a jittered latency, or until ctx ends.
func (s *Sandbox) wait(ctx context.Context) error {
	d := s.latency()
	if d <= 0 {
		return ctx.Err()
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

func (s *Sandbox) latency() time.Duration {
	if s.cfg.Latency <= 0 {
		return 0
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.cfg.Latency/2 + time.Duration(s.rng.Int64N(int64(s.cfg.Latency)+1))
}

func (s *Sandbox) chance(rate float64) bool {
	if rate <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < rate
}

func (s *Sandbox) intN(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

func (s *Sandbox) uint64() uint64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Uint64()
}
