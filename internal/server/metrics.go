package server

import (
	"github.com/shiliantong/shiliantong/internal/risk/model"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shiliantong/shiliantong/internal/ledger"
)

// metrics are the server's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	batch    prometheus.Histogram
	validate prometheus.Histogram
	commit   prometheus.Histogram
	created  prometheus.Counter
	risk     *prometheus.HistogramVec
}

// observeRisk records a risk decision's time.
func (m *metrics) observeRisk(model string, took time.Duration) {
	by := "model"
	if model == "rules" || model == "" {
		by = "rules"
	}
	m.risk.WithLabelValues(by).Observe(took.Seconds())
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "slt_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "status"})
	m.batch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "slt_ledger_batch_events",
		Help:    "Accounts and transfers per committed ledger batch.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 15),
	})
	m.validate = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "slt_ledger_validate_duration_seconds",
		Help:    "Time to validate a ledger batch (lookups and rules).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
	})
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "slt_ledger_commit_duration_seconds",
		Help:    "Time to write and durably commit a ledger batch.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
	})
	m.risk = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "slt_risk_decision_seconds",
		Help:    "Time the risk decision point took on a money-out, by what decided (rules, or model when a model was loaded).",
		Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .002, .005, .01},
	}, []string{"by"})
	m.created = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "slt_ledger_transfers_created_total",
		Help: "Transfers committed to the ledger.",
	})
	m.reg.MustRegister(m.risk)
	m.reg.MustRegister(m.requests, m.batch, m.validate, m.commit, m.created,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeBatch is the engine's OnBatch hook.
func (m *metrics) observeBatch(b ledger.BatchStats) {
	m.batch.Observe(float64(b.Accounts + b.Transfers))
	m.validate.Observe(b.Validate.Seconds())
	m.commit.Observe((b.Write + b.Commit).Seconds())
	m.created.Add(float64(b.Created))
}

// watchQueue exports the engine's queue depth.
func (m *metrics) watchQueue(depth func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slt_ledger_queue_depth",
		Help: "Requests waiting for the ledger engine.",
	}, func() float64 { return float64(depth()) }))
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// instrument measures every request. The route is the pattern the mux
// matched, so that ids in paths do not become labels.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "other"
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// watchShadow exports how a shadow model's decisions compare with the
// live one's.
func (m *metrics) watchShadow(st *model.ShadowStats) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "slt_risk_shadow_agreement",
		Help: "The share of money-outs the shadow model decided as the live one did (NaN before the first).",
	}, st.Agreement))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "slt_risk_shadow_decisions_total",
		Help: "Money-outs the shadow model decided beside the live one.",
	}, func() float64 { return float64(st.Count()) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "slt_risk_shadow_failures_total",
		Help: "Money-outs the shadow model failed on (it never affects the decision).",
	}, func() float64 { return float64(st.Failures()) }))
}
