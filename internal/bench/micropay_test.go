package bench

import (
	"context"
	"testing"
	"time"

	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// A till uses each phone at most once per time step, and the code it makes
// is for the step the phone was marked with, also when the clock crosses
// into the next step between the choice and the code (which once made a
// phone pay twice in one step: the server refused the second code). The
// test's clock moves 0.6 s at every reading, so a second reading always
// risks another step.
func TestNextDeviceOncePerStep(t *testing.T) {
	tick := time.Unix(1_000_000, 0)
	clock := func() time.Time { tick = tick.Add(600 * time.Millisecond); return tick }
	cfg := paycode.DefaultConfig()
	cfg.Step = time.Second
	mine := []*benchDevice{{dev: paycode.Device{Number: 1}}, {dev: paycode.Device{Number: 2}}}
	used := map[[2]int64]bool{}
	k := 0
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 8 {
		d, at, err := nextDevice(ctx, mine, &k, cfg, clock)
		if err != nil {
			t.Fatal(err)
		}
		step, err := paycode.Counter(at, cfg.Step)
		if err != nil {
			t.Fatal(err)
		}
		if step != d.last {
			t.Fatalf("phone %d marked with step %d, its code is for step %d", d.dev.Number, d.last, step)
		}
		key := [2]int64{int64(d.dev.Number), step}
		if used[key] {
			t.Fatalf("phone %d used twice in step %d", d.dev.Number, step)
		}
		used[key] = true
	}
	cancel()
	mine[0].last, mine[1].last = 1<<62, 1<<62 // all used: it waits, and stops with ctx
	if _, _, err := nextDevice(ctx, mine, &k, cfg, clock); err == nil {
		t.Fatal("no phone left and a cancelled context: want an error")
	}
}
