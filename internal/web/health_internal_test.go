package web

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// countingGatherer counts the gathers and reports the count as the
// ledger's queue depth.
type countingGatherer struct{ n int }

func (g *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.n++
	reg := prometheus.NewRegistry()
	q := prometheus.NewGauge(prometheus.GaugeOpts{Name: "slt_ledger_queue_depth"})
	q.Set(float64(g.n))
	reg.MustRegister(q)
	return reg.Gather()
}

func TestHealthGathersAtMostOncePerSecond(t *testing.T) {
	g := &countingGatherer{}
	a := &App{metrics: g}
	if h := a.health(); !h.Known || h.QueueDepth != 1 {
		t.Fatalf("first view: %+v", h)
	}
	if h := a.health(); h.QueueDepth != 1 || g.n != 1 {
		t.Fatalf("second view within the second gathered again: %d gathers, %+v", g.n, h)
	}
	a.healthC.at = a.healthC.at.Add(-healthTTL - time.Millisecond)
	if h := a.health(); h.QueueDepth != 2 || g.n != 2 {
		t.Fatalf("a stale snapshot was served: %d gathers, %+v", g.n, h)
	}
	if h := (&App{}).health(); h.Known {
		t.Fatalf("no registry, yet known: %+v", h)
	}
}
