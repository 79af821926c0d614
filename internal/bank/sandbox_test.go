package bank_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/bank"
)

const (
	testPAN   = "6222021234567890128" // an ICBC debit card number
	testPhone = "13800138000"
)

// fakeClock is an injectable clock for OTP expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSandbox(t *testing.T, cfg bank.SandboxConfig) *bank.Sandbox {
	t.Helper()
	s := bank.NewSandbox(cfg)
	t.Cleanup(s.Close)
	return s
}

// bindCard runs the OTP flow for pan and returns the card token.
func bindCard(t *testing.T, s *bank.Sandbox, pan string) string {
	t.Helper()
	ctx := context.Background()
	otp, err := s.SendCardOTP(ctx, bank.CardOTPRequest{PAN: pan, HolderName: "张三", Phone: testPhone})
	if err != nil {
		t.Fatalf("SendCardOTP: %v", err)
	}
	tok, err := s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode)
	if err != nil {
		t.Fatalf("VerifyCardOTP: %v", err)
	}
	return tok
}

// eventually polls cond until it holds or two seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func TestOTPFlow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)}
	s := newSandbox(t, bank.SandboxConfig{Now: clock.Now, Seed: 1})
	ctx := context.Background()

	otp, err := s.SendCardOTP(ctx, bank.CardOTPRequest{PAN: "6222 0212 3456 7890 128", HolderName: "张三", Phone: "+8613800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(otp.SandboxCode) != bank.OTPLength || otp.VerificationID == "" || !otp.ExpiresAt.Equal(clock.Now().Add(5*time.Minute)) {
		t.Fatalf("CardOTP = %+v", otp)
	}
	tok, err := s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode)
	if err != nil || tok == "" {
		t.Fatalf("VerifyCardOTP = %q, %v", tok, err)
	}
	_, err = s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode)
	wantErr(t, "second use of a code", err, bank.ErrInvalidOTP)

	if again := bindCard(t, s, testPAN); again != tok {
		t.Errorf("re-binding the same card gave token %q, want %q", again, tok)
	}
	if other := bindCard(t, s, "4242424242424242"); other == tok {
		t.Error("two cards got the same token")
	}
}

func TestOTPAttemptsAndExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)}
	s := newSandbox(t, bank.SandboxConfig{Now: clock.Now})
	ctx := context.Background()
	send := func() bank.CardOTP {
		otp, err := s.SendCardOTP(ctx, bank.CardOTPRequest{PAN: testPAN, HolderName: "张三", Phone: testPhone})
		if err != nil {
			t.Fatal(err)
		}
		return otp
	}
	wrong := func(code string) string {
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}

	t.Run("third wrong code locks", func(t *testing.T) {
		otp := send()
		for i := 1; i <= 2; i++ {
			_, err := s.VerifyCardOTP(ctx, otp.VerificationID, wrong(otp.SandboxCode))
			wantErr(t, fmt.Sprintf("wrong code %d", i), err, bank.ErrInvalidOTP)
		}
		_, err := s.VerifyCardOTP(ctx, otp.VerificationID, wrong(otp.SandboxCode))
		wantErr(t, "wrong code 3", err, bank.ErrTooManyAttempts)
		_, err = s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode)
		wantErr(t, "right code after lock", err, bank.ErrTooManyAttempts)
	})
	t.Run("two wrong then right", func(t *testing.T) {
		otp := send()
		for range 2 {
			_, err := s.VerifyCardOTP(ctx, otp.VerificationID, wrong(otp.SandboxCode))
			wantErr(t, "wrong code", err, bank.ErrInvalidOTP)
		}
		if _, err := s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("just before expiry", func(t *testing.T) {
		otp := send()
		clock.Advance(bank.OTPValidity - time.Nanosecond)
		if _, err := s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("at expiry", func(t *testing.T) {
		otp := send()
		clock.Advance(bank.OTPValidity)
		_, err := s.VerifyCardOTP(ctx, otp.VerificationID, otp.SandboxCode)
		wantErr(t, "expired code", err, bank.ErrOTPExpired)
		_, err = s.VerifyCardOTP(ctx, otp.VerificationID, wrong(otp.SandboxCode))
		wantErr(t, "wrong expired code", err, bank.ErrOTPExpired)
	})
	t.Run("unknown id", func(t *testing.T) {
		_, err := s.VerifyCardOTP(ctx, "vrf_nope", "123456")
		wantErr(t, "unknown verification", err, bank.ErrInvalidOTP)
	})
}

func TestSendCardOTPErrors(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{})
	tests := []struct {
		name string
		req  bank.CardOTPRequest
		want []error
	}{
		{"blocked card", bank.CardOTPRequest{"4000000000000002", "张三", testPhone}, []error{bank.ErrCardRejected}},
		{"blocked card with spaces", bank.CardOTPRequest{"4000 0000 0000 0002", "张三", testPhone}, []error{bank.ErrCardRejected}},
		{"Luhn failure", bank.CardOTPRequest{"4242424242424241", "张三", testPhone}, []error{bank.ErrInvalidRequest, bank.ErrPANChecksum}},
		{"bad format", bank.CardOTPRequest{"4242", "张三", testPhone}, []error{bank.ErrInvalidRequest, bank.ErrPANFormat}},
		{"no name", bank.CardOTPRequest{testPAN, " ", testPhone}, []error{bank.ErrInvalidRequest}},
		{"no phone", bank.CardOTPRequest{testPAN, "张三", ""}, []error{bank.ErrInvalidRequest}},
		{"letters in phone", bank.CardOTPRequest{testPAN, "张三", "1380013800a"}, []error{bank.ErrInvalidRequest}},
		{"phone too long", bank.CardOTPRequest{testPAN, "张三", "+1234567890123456"}, []error{bank.ErrInvalidRequest}},
	}
	for _, tt := range tests {
		_, err := s.SendCardOTP(context.Background(), tt.req)
		for _, w := range tt.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: error %v, want %v", tt.name, err, w)
			}
		}
	}
}

func TestPaymentOutcomes(t *testing.T) {
	tests := []struct {
		amount     int64
		callErr    error
		wantState  bank.State
		wantReason string
		recorded   bool
	}{
		{1000, nil, bank.StateSucceeded, "", true},
		{1, nil, bank.StateSucceeded, "", true},
		{1091, nil, bank.StateFailed, bank.ReasonInsufficientFunds, true},
		{91, nil, bank.StateFailed, bank.ReasonInsufficientFunds, true},
		{1092, bank.ErrTimeout, bank.StateSucceeded, "", true},
		{1093, bank.ErrTimeout, bank.StateFailed, bank.ReasonDoNotHonor, true},
		{1094, bank.ErrUnavailable, "", "", false},
	}
	for _, op := range []bank.Operation{bank.OpDebit, bank.OpCredit} {
		s := newSandbox(t, bank.SandboxConfig{})
		tok := bindCard(t, s, testPAN)
		call := s.Debit
		if op == bank.OpCredit {
			call = s.Credit
		}
		var moved int64
		for _, tt := range tests {
			name := fmt.Sprintf("%s %d", op, tt.amount)
			req := bank.Payment{RequestID: name, CardToken: tok, Currency: "CNY", Amount: tt.amount}
			res, err := call(context.Background(), req)
			if !errors.Is(err, tt.callErr) || (tt.callErr == nil) != (err == nil) {
				t.Errorf("%s: error %v, want %v", name, err, tt.callErr)
			}
			if err == nil && (res.State != tt.wantState || res.Reason != tt.wantReason || res.RequestID != name || res.BankRef == "") {
				t.Errorf("%s: result %+v, want %s %q", name, res, tt.wantState, tt.wantReason)
			}
			st, err := s.Status(context.Background(), name)
			if !tt.recorded {
				wantErr(t, name+" Status", err, bank.ErrUnknownRequest)
				continue
			}
			if err != nil || st.State != tt.wantState || st.Reason != tt.wantReason {
				t.Errorf("%s: Status = %+v, %v; want %s %q", name, st, err, tt.wantState, tt.wantReason)
			}
			// A retry answers normally, with the same outcome.
			if again, err := call(context.Background(), req); err != nil || again.State != st.State || again.BankRef != st.BankRef {
				t.Errorf("%s: retry = %+v, %v; want %+v", name, again, err, st)
			}
			if tt.wantState == bank.StateSucceeded {
				moved += tt.amount
			}
		}
		totals := s.Totals()[bank.TotalsKey{CardToken: tok, Currency: "CNY"}]
		got := totals.Debited
		if op == bank.OpCredit {
			got = totals.Credited
		}
		if got != moved || totals.Debited+totals.Credited != moved {
			t.Errorf("%s: totals %+v, want %d moved", op, totals, moved)
		}
	}
}

func TestTimeoutThenStatusSucceedsLater(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{SettleDelay: 150 * time.Millisecond})
	tok := bindCard(t, s, testPAN)
	ctx := context.Background()
	req := bank.Payment{RequestID: "topup-1", CardToken: tok, Currency: "CNY", Amount: 5092}

	_, err := s.Debit(ctx, req)
	wantErr(t, "Debit", err, bank.ErrTimeout)
	st, err := s.Status(ctx, req.RequestID)
	if err != nil || st.State != bank.StatePending {
		t.Fatalf("Status right after the timeout = %+v, %v; want pending", st, err)
	}
	if len(s.Totals()) != 0 {
		t.Fatalf("money moved while pending: %v", s.Totals())
	}
	eventually(t, "the payment to settle", func() bool {
		st, err = s.Status(ctx, req.RequestID)
		return err == nil && st.State.Final()
	})
	if st.State != bank.StateSucceeded || !st.UpdatedAt.After(time.Time{}) {
		t.Fatalf("final Status = %+v, want succeeded", st)
	}
	again, err := s.Debit(ctx, req)
	if err != nil || again != st {
		t.Errorf("retry after settlement = %+v, %v; want %+v", again, err, st)
	}
	want := bank.Totals{Debited: 5092, Debits: 1}
	if got := s.Totals()[bank.TotalsKey{CardToken: tok, Currency: "CNY"}]; got != want {
		t.Errorf("totals %+v, want %+v", got, want)
	}
}

func TestPendingThenFinal(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{SettleDelay: 100 * time.Millisecond})
	tok := bindCard(t, s, testPAN)
	ctx := context.Background()
	req := bank.Payment{RequestID: "w-1", CardToken: tok, Currency: "CNY", Amount: 2091}
	res, err := s.Credit(ctx, req)
	if err != nil || res.State != bank.StatePending || res.Reason != "" {
		t.Fatalf("Credit = %+v, %v; want pending", res, err)
	}
	eventually(t, "the payment to fail", func() bool {
		res, err = s.Credit(ctx, req)
		return err == nil && res.State.Final()
	})
	if res.State != bank.StateFailed || res.Reason != bank.ReasonInsufficientFunds {
		t.Errorf("final = %+v, want failed insufficient_funds", res)
	}
	if len(s.Totals()) != 0 {
		t.Errorf("a failed payment moved money: %v", s.Totals())
	}
}

func TestIdempotentConcurrentRetries(t *testing.T) {
	configs := map[string]bank.SandboxConfig{
		"settle at once":           {},
		"latency and settle delay": {Latency: 2 * time.Millisecond, SettleDelay: 10 * time.Millisecond},
		"random timeouts":          {Latency: time.Millisecond, SettleDelay: 5 * time.Millisecond, TimeoutRate: 0.5, Seed: 7},
	}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, cfg)
			tok := bindCard(t, s, testPAN)
			req := bank.Payment{RequestID: "topup-42", CardToken: tok, Currency: "CNY", Amount: 12_345}
			var wg sync.WaitGroup
			results := make([]bank.Result, 20)
			errs := make([]error, 20)
			for i := range results {
				wg.Go(func() { results[i], errs[i] = s.Debit(context.Background(), req) })
			}
			wg.Wait()
			refs := map[string]bool{}
			for i, err := range errs {
				if err != nil && !errors.Is(err, bank.ErrTimeout) {
					t.Fatalf("call %d: %v", i, err)
				}
				if err == nil {
					refs[results[i].BankRef] = true
				}
			}
			if len(refs) > 1 {
				t.Errorf("retries got different bank refs: %v", refs)
			}
			eventually(t, "settlement", func() bool {
				st, err := s.Status(context.Background(), req.RequestID)
				return err == nil && st.State.Final()
			})
			want := map[bank.TotalsKey]bank.Totals{{CardToken: tok, Currency: "CNY"}: {Debited: 12_345, Debits: 1}}
			if got := s.Totals(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("totals %v, want %v", got, want)
			}
		})
	}
}

func TestConcurrentDistinctPayments(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{Latency: time.Millisecond, SettleDelay: 5 * time.Millisecond, Seed: 3})
	toks := []string{bindCard(t, s, testPAN), bindCard(t, s, "4242424242424242")}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			req := bank.Payment{RequestID: fmt.Sprint("p", i), CardToken: toks[i%2], Currency: "CNY", Amount: 100}
			call := s.Debit
			if i%4 >= 2 {
				call = s.Credit
			}
			for range 3 { // with retries
				if _, err := call(context.Background(), req); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	eventually(t, "settlement", func() bool {
		for i := range 100 {
			if st, err := s.Status(context.Background(), fmt.Sprint("p", i)); err != nil || !st.State.Final() {
				return false
			}
		}
		return true
	})
	for _, tok := range toks {
		want := bank.Totals{Debited: 2500, Credited: 2500, Debits: 25, Credits: 25}
		if got := s.Totals()[bank.TotalsKey{CardToken: tok, Currency: "CNY"}]; got != want {
			t.Errorf("totals %+v, want %+v", got, want)
		}
	}
}

func TestPaymentRequestErrors(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{})
	tok := bindCard(t, s, testPAN)
	other := bindCard(t, s, "4242424242424242")
	ctx := context.Background()
	base := bank.Payment{RequestID: "r1", CardToken: tok, Currency: "CNY", Amount: 500}
	if _, err := s.Debit(ctx, base); err != nil {
		t.Fatal(err)
	}
	with := func(f func(*bank.Payment)) bank.Payment { p := base; f(&p); return p }
	tests := []struct {
		name   string
		credit bool
		req    bank.Payment
		want   error
	}{
		{"same id, other amount", false, with(func(p *bank.Payment) { p.Amount = 501 }), bank.ErrRequestMismatch},
		{"same id, other card", false, with(func(p *bank.Payment) { p.CardToken = other }), bank.ErrRequestMismatch},
		{"same id, other currency", false, with(func(p *bank.Payment) { p.Currency = "USD" }), bank.ErrRequestMismatch},
		{"same id, credit", true, base, bank.ErrRequestMismatch},
		{"empty id", false, with(func(p *bank.Payment) { p.RequestID = "" }), bank.ErrInvalidRequest},
		{"long id", false, with(func(p *bank.Payment) { p.RequestID = fmt.Sprintf("%065d", 0) }), bank.ErrInvalidRequest},
		{"zero amount", false, with(func(p *bank.Payment) { p.RequestID, p.Amount = "r2", 0 }), bank.ErrInvalidRequest},
		{"negative amount", true, with(func(p *bank.Payment) { p.RequestID, p.Amount = "r2", -5 }), bank.ErrInvalidRequest},
		{"lower-case currency", false, with(func(p *bank.Payment) { p.RequestID, p.Currency = "r2", "cny" }), bank.ErrInvalidRequest},
		{"no currency", false, with(func(p *bank.Payment) { p.RequestID, p.Currency = "r2", "" }), bank.ErrInvalidRequest},
		{"no card", false, with(func(p *bank.Payment) { p.RequestID, p.CardToken = "r2", "" }), bank.ErrInvalidRequest},
		{"unknown card", false, with(func(p *bank.Payment) { p.RequestID, p.CardToken = "r2", "ctok_forged" }), bank.ErrCardRejected},
	}
	for _, tt := range tests {
		call := s.Debit
		if tt.credit {
			call = s.Credit
		}
		if res, err := call(ctx, tt.req); !errors.Is(err, tt.want) || res != (bank.Result{}) {
			t.Errorf("%s: %+v, %v; want %v", tt.name, res, err, tt.want)
		}
	}
	if _, err := s.Status(ctx, "r2"); !errors.Is(err, bank.ErrUnknownRequest) {
		t.Errorf("a rejected request was recorded: Status error %v", err)
	}
	want := bank.Totals{Debited: 500, Debits: 1}
	if got := s.Totals()[bank.TotalsKey{CardToken: tok, Currency: "CNY"}]; got != want {
		t.Errorf("totals %+v, want %+v", got, want)
	}
}

func TestContextCancellation(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{Latency: 200 * time.Millisecond})
	tok := bindCard(t, s, testPAN)

	t.Run("cancelled before the call: nothing sent", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Debit(ctx, bank.Payment{RequestID: "c1", CardToken: tok, Currency: "CNY", Amount: 100})
		wantErr(t, "Debit", err, context.Canceled)
		if errors.Is(err, bank.ErrTimeout) {
			t.Error("a call that was never sent reports ErrTimeout")
		}
		_, err = s.SendCardOTP(ctx, bank.CardOTPRequest{PAN: testPAN, HolderName: "张三", Phone: testPhone})
		wantErr(t, "SendCardOTP", err, context.Canceled)
		_, err = s.Status(context.Background(), "c1")
		wantErr(t, "Status", err, bank.ErrUnknownRequest)
	})
	t.Run("deadline during the wait: outcome unknown", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Debit(ctx, bank.Payment{RequestID: "c2", CardToken: tok, Currency: "CNY", Amount: 100})
		wantErr(t, "Debit", err, bank.ErrTimeout)
		wantErr(t, "Debit", err, context.DeadlineExceeded)
		if d := time.Since(start); d > 90*time.Millisecond {
			t.Errorf("Debit took %v: latency wait ignored the context", d)
		}
		st, err := s.Status(context.Background(), "c2")
		if err != nil || st.State != bank.StateSucceeded {
			t.Errorf("Status = %+v, %v; want succeeded (the bank got the request)", st, err)
		}
	})
	t.Run("deadline during a read: plain context error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		defer cancel()
		_, err := s.Status(ctx, "c2")
		wantErr(t, "Status", err, context.DeadlineExceeded)
	})
	t.Run("cancelled verification costs no attempt", func(t *testing.T) {
		otp, err := s.SendCardOTP(context.Background(), bank.CardOTPRequest{PAN: testPAN, HolderName: "张三", Phone: testPhone})
		if err != nil {
			t.Fatal(err)
		}
		for range bank.OTPMaxAttempts {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := s.VerifyCardOTP(ctx, otp.VerificationID, "000000")
			wantErr(t, "VerifyCardOTP", err, context.Canceled)
		}
		if _, err := s.VerifyCardOTP(context.Background(), otp.VerificationID, otp.SandboxCode); err != nil {
			t.Errorf("VerifyCardOTP after cancelled calls: %v", err)
		}
	})
}

func TestRulesHook(t *testing.T) {
	var mu sync.Mutex
	var seen []bank.Operation
	s := newSandbox(t, bank.SandboxConfig{Rules: func(op bank.Operation, p bank.Payment) (bank.Outcome, bool) {
		mu.Lock()
		seen = append(seen, op)
		mu.Unlock()
		if p.Amount == 777 {
			return bank.Outcome{Reason: bank.ReasonCardBlocked}, true
		}
		return bank.Outcome{}, false
	}})
	tok := bindCard(t, s, testPAN)
	ctx := context.Background()
	res, err := s.Credit(ctx, bank.Payment{RequestID: "a", CardToken: tok, Currency: "CNY", Amount: 777})
	if err != nil || res.State != bank.StateFailed || res.Reason != bank.ReasonCardBlocked {
		t.Errorf("ruled payment = %+v, %v", res, err)
	}
	res, err = s.Debit(ctx, bank.Payment{RequestID: "b", CardToken: tok, Currency: "CNY", Amount: 191})
	if err != nil || res.Reason != bank.ReasonInsufficientFunds {
		t.Errorf("fallback to magic amounts = %+v, %v", res, err)
	}
	if len(seen) != 2 || seen[0] != bank.OpCredit || seen[1] != bank.OpDebit {
		t.Errorf("Rules saw %v", seen)
	}
}

// TestRandomRates checks that the rates apply and that one seed gives one
// sequence of outcomes.
func TestRandomRates(t *testing.T) {
	run := func(seed uint64) (states []string, failed, timeouts int) {
		s := newSandbox(t, bank.SandboxConfig{FailureRate: 0.3, TimeoutRate: 0.2, Seed: seed})
		tok := bindCard(t, s, testPAN)
		for i := range 300 {
			req := bank.Payment{RequestID: fmt.Sprint(i), CardToken: tok, Currency: "CNY", Amount: 100}
			if _, err := s.Debit(context.Background(), req); errors.Is(err, bank.ErrTimeout) {
				timeouts++
			} else if err != nil {
				t.Fatal(err)
			}
			st, err := s.Status(context.Background(), req.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if st.State == bank.StateFailed {
				failed++
			}
			states = append(states, string(st.State)+"/"+st.Reason)
		}
		return states, failed, timeouts
	}
	a, failed, timeouts := run(42)
	if failed < 60 || failed > 120 || timeouts < 30 || timeouts > 90 {
		t.Errorf("300 payments: %d failed (rate 0.3), %d timed out (rate 0.2)", failed, timeouts)
	}
	b, _, _ := run(42)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("the same seed gave different outcomes")
	}
}

func TestUnavailableRate(t *testing.T) {
	s := newSandbox(t, bank.SandboxConfig{UnavailableRate: 1})
	_, err := s.SendCardOTP(context.Background(), bank.CardOTPRequest{PAN: testPAN, HolderName: "张三", Phone: testPhone})
	wantErr(t, "SendCardOTP", err, bank.ErrUnavailable)
	_, err = s.Status(context.Background(), "x")
	wantErr(t, "Status", err, bank.ErrUnavailable)
}

func TestClose(t *testing.T) {
	s := bank.NewSandbox(bank.SandboxConfig{SettleDelay: time.Hour})
	tok := bindCard(t, s, testPAN)
	res, err := s.Debit(context.Background(), bank.Payment{RequestID: "x", CardToken: tok, Currency: "CNY", Amount: 100})
	if err != nil || res.State != bank.StatePending {
		t.Fatalf("Debit = %+v, %v", res, err)
	}
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop the settlement goroutines")
	}
	_, err = s.Status(context.Background(), "x")
	wantErr(t, "Status after Close", err, bank.ErrUnavailable)
	_, err = s.Debit(context.Background(), bank.Payment{RequestID: "y", CardToken: tok, Currency: "CNY", Amount: 100})
	wantErr(t, "Debit after Close", err, bank.ErrUnavailable)
	if len(s.Totals()) != 0 {
		t.Errorf("a pending payment moved money at Close: %v", s.Totals())
	}
}
