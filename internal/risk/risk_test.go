package risk

import (
	"context"
	"testing"
	"time"
)

func TestRules(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	old := now.Add(-30 * 24 * time.Hour)
	base := Event{Kind: "p2p", UserID: "u", UserSince: old, SessionStarted: old, Amount: 100, Currency: "CNY", At: now}
	for _, c := range []struct {
		name string
		edit func(*Event)
		want Action
	}{
		{"small payment", func(*Event) {}, Allow},
		{"large without PIN", func(e *Event) { e.Amount = 10_000_01 }, Challenge},
		{"large with PIN", func(e *Event) { e.Amount = 10_000_01; e.Strong = true }, Allow},
		{"new account, above its limit", func(e *Event) { e.UserSince = now.Add(-time.Hour); e.Amount = 500_01 }, Challenge},
		{"new account, small", func(e *Event) { e.UserSince = now.Add(-time.Hour) }, Allow},
		{"new device, password-free", func(e *Event) { e.SessionStarted = now.Add(-time.Minute) }, Challenge},
		{"new device, with PIN", func(e *Event) { e.SessionStarted = now.Add(-time.Minute); e.Strong = true }, Allow},
		{"currency without rules", func(e *Event) { e.Currency = "THB"; e.Amount = 1 << 40 }, Allow},
	} {
		e := base
		c.edit(&e)
		if got := NewRules(DefaultRulesConfig()).Assess(context.Background(), e); got.Action != c.want {
			t.Errorf("%s: %v %v, want %v", c.name, got.Action, got.Reasons, c.want)
		}
	}
}

func TestVelocity(t *testing.T) {
	cfg := DefaultRulesConfig()
	r := NewRules(cfg)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := Event{Kind: "p2p", UserID: "u", UserSince: now.Add(-48 * time.Hour), Amount: 1, Currency: "CNY"}
	var got []Action
	for i := range cfg.DenyCount + 1 {
		e.At = now.Add(time.Duration(i) * 100 * time.Millisecond)
		d := r.Assess(context.Background(), e)
		got = append(got, d.Action)
		r.Done(e)
	}
	if got[cfg.ChallengeCount-1] != Allow || got[cfg.ChallengeCount] != Challenge || got[cfg.DenyCount] != Deny {
		t.Errorf("velocity: at %d %v, at %d %v, at %d %v", cfg.ChallengeCount-1, got[cfg.ChallengeCount-1],
			cfg.ChallengeCount, got[cfg.ChallengeCount], cfg.DenyCount, got[cfg.DenyCount])
	}
	// Another user is not affected; a minute later the window is empty.
	other := e
	other.UserID = "v"
	if d := r.Assess(context.Background(), other); d.Action != Allow {
		t.Errorf("another user: %v", d)
	}
	e.At = e.At.Add(2 * time.Minute)
	if d := r.Assess(context.Background(), e); d.Action != Allow {
		t.Errorf("after the window: %v", d)
	}
}
