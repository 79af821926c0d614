package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := New(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allowed("a"); !ok {
			t.Fatalf("refused after %d", i)
		}
		l.Add("a")
	}
	if ok, wait := l.Allowed("a"); ok || wait != time.Minute {
		t.Errorf("fourth: allowed %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allowed("b"); !ok {
		t.Error("another key is limited")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allowed("a"); !ok {
		t.Error("still limited after the window")
	}
	l.Add("a")
	l.Reset("a")
	if ok, _ := l.Allowed("a"); !ok {
		t.Error("reset did not forget")
	}
}
