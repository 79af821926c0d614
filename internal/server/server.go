// Package server runs ShiLianTong: it opens the store, starts the ledger
// engine, serves the API and metrics, and shuts down gracefully.
package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/shiliantong/shiliantong/internal/aml"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
	"github.com/shiliantong/shiliantong/internal/risk/model"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shiliantong/shiliantong/internal/api"
	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/kyc"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/internal/store"
	"github.com/shiliantong/shiliantong/internal/wallet"
	"github.com/shiliantong/shiliantong/internal/web"
)

// Config is everything the server needs to start.
type Config struct {
	DB         string // sqlite:PATH or a postgres:// URL
	Addr       string // host:port to listen on; port 0 picks one
	AdminToken string // the operator token; empty: read or create one in the data directory
	Version    string
	Logger     *slog.Logger
	// ShutdownTimeout bounds how long a graceful shutdown waits for
	// requests in flight.
	ShutdownTimeout time.Duration
	// DebugAddr, if set, serves Go's profiler there.
	DebugAddr string
	// CacheAccounts bounds the accounts the ledger keeps in memory;
	// 0 means ledger.DefaultCacheAccounts.
	CacheAccounts int
	// Wallet is the wallet's configuration; nil means wallet.DefaultConfig.
	Wallet *wallet.Config
	// Demo seeds demo users with balances at start (idempotently).
	Demo bool
	// PublicURL is where users reach the server; receive codes point there.
	PublicURL string
	// ReconcileEvery is how often orders the bank left pending are asked
	// about again; 0 means 2 s.
	ReconcileEvery time.Duration
	// KeysEvery is how often the vault's key spec is read again for a
	// rotation (default 10 s).
	KeysEvery time.Duration
	// Risk decides on money-outs; nil means risk.NewRules with the default
	// configuration.
	Risk risk.Assessor
	// Bank and Identity are the partners; nil means their sandboxes.
	Bank     bank.Connector
	Identity kyc.Verifier
	// LogOrigin is the transparency log's origin line (and its key's name);
	// empty means ledgerlog.DefaultOrigin.
	LogOrigin string
	// DisputeSweepEvery is how often tickets are swept for deadlines
	// (reminders, escalations, overdue marks); 0 means one minute.
	DisputeSweepEvery time.Duration
	// RiskShadow, if not nil, counts a shadow model's decisions beside the
	// live one's (Risk is then a model assessor running a model.Shadow);
	// /metrics shows them.
	RiskShadow *model.ShadowStats
	// AMLEvery is how often the AML monitor reads what the ledger
	// committed (0: every second); AMLRules are its thresholds (nil: the
	// defaults, aml.DefaultRules).
	AMLEvery time.Duration
	AMLRules *aml.Rules
	// LogEvery is how often the log appends what the ledger committed;
	// 0 means 200 ms.
	LogEvery time.Duration
	// Listening, if set, is called with the address once the server accepts
	// connections.
	Listening func(addr string)
}

// Run serves until ctx ends, then shuts down: it stops accepting
// connections, lets requests in flight finish (their transfers commit),
// commits what the engine has queued, and closes the store.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	st, err := store.Open(ctx, cfg.DB, log)
	if err != nil {
		return err
	}
	defer st.Close()

	token, source, err := adminToken(cfg.AdminToken, store.DataDir(cfg.DB))
	if err != nil {
		return err
	}
	m := newMetrics()
	eng := ledger.New(st, ledger.Options{Logger: log, OnBatch: m.observeBatch, CacheAccounts: cfg.CacheAccounts})
	m.watchQueue(eng.QueueDepth)
	if cfg.RiskShadow != nil {
		m.watchShadow(cfg.RiskShadow)
	}
	wcfg := wallet.DefaultConfig()
	if cfg.Wallet != nil {
		wcfg = *cfg.Wallet
	}
	cfg.Logger = log
	deps, closePartners, err := walletDeps(cfg, st, eng)
	if err != nil {
		eng.Close()
		return err
	}
	deps.ObserveRisk = m.observeRisk
	defer closePartners()
	wsvc, err := wallet.New(ctx, wcfg, deps)
	if err != nil {
		eng.Close()
		return err
	}
	rctx, stopReconciler := context.WithCancel(context.Background())
	defer stopReconciler()
	every := cfg.ReconcileEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	go wsvc.RunReconciler(rctx, every)
	go wsvc.RunWebhooks(rctx, min(every, 500*time.Millisecond))
	go wsvc.RunSettlement(rctx, time.Hour)
	go wsvc.RunDisputeSweep(rctx, cmp.Or(cfg.DisputeSweepEvery, time.Minute))
	waitRisk := func() {}
	if a, ok := cfg.Risk.(stateful); ok {
		waitRisk = keepRiskState(rctx, a, store.DataDir(cfg.DB), 5*time.Minute, log)
	}
	keysEvery := cfg.KeysEvery
	if keysEvery <= 0 {
		keysEvery = 10 * time.Second
	}
	go watchKeys(rctx, deps.Vault, wsvc, store.DataDir(cfg.DB), keysEvery, log)
	if cfg.Demo {
		if err := seedDemo(ctx, wsvc, log); err != nil {
			wsvc.Close()
			eng.Close()
			return err
		}
	}
	src, ok := st.(ledgerlog.Source)
	if !ok {
		wsvc.Close()
		eng.Close()
		return fmt.Errorf("transparency log: the store can not be tailed")
	}
	// The log and the AML monitor tail the ledger through one tail.
	src = newTail(src, tailKeep)
	lg, err := openLog(cfg, st, src, log)
	if err != nil {
		wsvc.Close()
		eng.Close()
		return err
	}
	lctx, stopLog := context.WithCancel(context.Background())
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		lg.Run(lctx, cmp.Or(cfg.LogEvery, 200*time.Millisecond))
	}()
	// stopLogger appends what the engine committed last and waits, before
	// the store closes.
	stopLogger := func() {
		stopLog()
		<-logDone
	}
	defer stopLogger()
	// The AML monitor: stopAML waits for it, before the wallet and the
	// engine close.
	rules := aml.DefaultRules()
	if cfg.AMLRules != nil {
		rules = *cfg.AMLRules
	}
	amlDone := make(chan struct{})
	actx, cancelAML := context.WithCancel(context.Background())
	go func() {
		defer close(amlDone)
		newAMLMonitor(src, eng, wsvc, rules, log).run(actx, cmp.Or(cfg.AMLEvery, time.Second))
	}()
	stopAML := sync.OnceFunc(func() {
		cancelAML()
		<-amlDone
	})
	defer stopAML()
	apiHandler, _ := api.New(api.Options{
		Log:        lg,
		Wallet:     wsvc,
		Engine:     eng,
		AdminToken: token,
		Version:    cfg.Version,
		Logger:     log,
		Ready: func(ctx context.Context) error {
			_, err := st.ReadHead(ctx)
			return err
		},
	})
	key, err := webKey(store.DataDir(cfg.DB))
	if err != nil {
		wsvc.Close()
		eng.Close()
		return err
	}
	// The web app serves its pages ("/", "/login", "/app/…", "/static/…")
	// and hands every other request (the API: /v1/…, /openapi.json,
	// /healthz …) to the API.
	app, err := web.New(web.Options{Wallet: wsvc, Key: key, Next: apiHandler, Logger: log,
		// The operator console: the ledger explorer, the invariant check
		// over the store, and system health from the registry /metrics
		// serves.
		Ledger: eng, Metrics: m.reg, Log: lg,
		Check: func(ctx context.Context) (ledger.CheckReport, error) { return ledger.Check(ctx, st) }})
	if err != nil {
		wsvc.Close()
		eng.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	mux.Handle("/", m.instrument(app))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		wsvc.Close()
		eng.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	addr := ln.Addr().String()
	kind, _ := store.Kind(cfg.DB)
	log.Info("ShiLianTong is serving", "url", "http://"+addr, "store", kind, "admin_token", source,
		"openapi", "http://"+addr+"/openapi.json", "web_app", "http://"+addr+"/")
	if cfg.Listening != nil {
		cfg.Listening(addr)
	}
	if cfg.DebugAddr != "" {
		go serveDebug(cfg.DebugAddr, log)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		stopAML()
		wsvc.Close()
		eng.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("serve", "err", err)
	}
	stopReconciler()
	waitRisk() // the model's state saved
	stopAML()
	wsvc.Close()
	eng.Close()
	stopLogger()
	log.Info("stopped")
	return shutdownErr
}

// adminToken returns the operator token and where it came from: the
// environment, or a file in the data directory created on first start.
func adminToken(fromEnv, dataDir string) (token, source string, err error) {
	if fromEnv != "" {
		return fromEnv, "from SLT_ADMIN_TOKEN", nil
	}
	path := filepath.Join(dataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, "in " + path, nil
		}
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", fmt.Errorf("admin token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", fmt.Errorf("admin token: %w", err)
	}
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("admin token: %w", err)
	}
	return token, "generated in " + path, nil
}

// serveDebug serves the profiler on its own listener, never on the API's.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "url", "http://"+addr+"/debug/pprof/")
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("profiler", "err", err)
	}
}
