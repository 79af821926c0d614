package risk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk/features"
	"github.com/shiliantong/shiliantong/internal/risk/model"
)

type stub struct {
	d      model.Decision
	sleep  time.Duration
	panic  bool
	reason string
}

func (s stub) Decide(*features.Txn, []float64) model.Verdict {
	if s.panic {
		panic("broken model")
	}
	time.Sleep(s.sleep)
	return model.Verdict{Score: 0.5, Decision: s.d, Reasons: []string{"stub" + s.reason}}
}
func (s stub) Name() string { return "stub" }

func TestModelAssessor(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	large := Event{Kind: "p2p", UserID: "u", UserSince: now.AddDate(0, -1, 0), Amount: 20_000_00, Currency: "CNY", Counterparty: "v", At: now}
	cfg := DefaultModelConfig()
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		name      string
		stub      stub
		strong    bool
		want      Action
		fallbacks int64
	}{
		{"model allows", stub{d: model.Allow}, false, Allow, 0},
		{"model challenges", stub{d: model.Challenge}, false, Challenge, 0},
		{"challenge met by the PIN", stub{d: model.Challenge}, true, Allow, 0},
		{"model's deny line: held for review", stub{d: model.Deny}, true, Hold, 0},
		{"a deny list: refused", stub{d: model.Deny, reason: ": payee on the deny list"}, true, Deny, 0},
		{"slow model: the rules challenge the large amount", stub{d: model.Allow, sleep: 50 * time.Millisecond}, false, Challenge, 1},
		{"broken model: the rules", stub{panic: true}, false, Challenge, 1},
	} {
		a := NewModelAssessor(c.stub, cfg)
		e := large
		e.Strong = c.strong
		if got := a.Assess(context.Background(), e); got.Action != c.want || a.Fallbacks() != c.fallbacks {
			t.Errorf("%s: %v %v with %d fallbacks, want %v with %d", c.name, got.Action, got.Reasons, a.Fallbacks(), c.want, c.fallbacks)
		}
	}
}

func TestModelAssessorState(t *testing.T) {
	a := NewModelAssessor(model.DefaultRules(), DefaultModelConfig())
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		a.Done(Event{Kind: "payment", UserID: "u", Counterparty: "m", Amount: 100, Currency: "CNY", At: at.Add(time.Duration(i) * time.Minute)})
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf); err != nil {
		t.Fatal(err)
	}
	b := NewModelAssessor(model.DefaultRules(), DefaultModelConfig())
	if err := b.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	if p := b.engine.Pipe.State.Users["u"]; p == nil || p.N != 5 {
		t.Fatalf("restored profile %+v", p)
	}
}

// The adapter on the payment path: the model's features and score, the
// budget's timer and goroutine, and Done.
func BenchmarkModelAssessor(b *testing.B) {
	cfg := DefaultModelConfig()
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	a := NewModelAssessor(model.DefaultRules(), cfg)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		e := Event{Kind: "p2p", UserID: fmt.Sprint("u", i%1000), Counterparty: fmt.Sprint("u", (i*7)%1000), Amount: int64(100 + i%5000), Currency: "CNY", At: at.Add(time.Duration(i) * time.Second)}
		if a.Assess(ctx, e).Action != Deny {
			a.Done(e)
		}
	}
	b.ReportMetric(float64(a.Fallbacks()), "fallbacks")
}

// Assessments run side by side with each other and with Done (run with
// -race): the default rules model and its features, many users at once.
func TestModelAssessorConcurrent(t *testing.T) {
	cfg := DefaultModelConfig()
	cfg.Budget = time.Minute // the race detector is slow: this tests sharing, not speed
	a := NewModelAssessor(model.DefaultRules(), cfg)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				e := Event{Kind: "payment", UserID: fmt.Sprintf("u%d", i%5), Counterparty: fmt.Sprintf("m%d", g), Amount: int64(100 + i),
					Currency: "CNY", At: at.Add(time.Duration(i) * time.Second), Device: "d"}
				if d := a.Assess(context.Background(), e); d.Action == Allow {
					a.Done(e)
				}
			}
		}()
	}
	wg.Wait()
	if a.Fallbacks() != 0 {
		t.Errorf("%d fallbacks to the rules", a.Fallbacks())
	}
}
