package cli

import (
	"context"
	"os"
	"runtime/pprof"
	"time"

	"github.com/shiliantong/shiliantong/internal/bench"
	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/store"
)

// BenchCmd groups the benchmarks.
type BenchCmd struct {
	Ledger   BenchLedgerCmd   `cmd:"" help:"Benchmark the ledger engine in process."`
	HTTP     BenchHTTPCmd     `cmd:"" name:"http" help:"Benchmark a running server through its API (a load generator)."`
	P2P      BenchP2PCmd      `cmd:"" name:"p2p" help:"Benchmark wallet P2P transfers through a running server's API (users, sessions, limits, idempotency keys)."`
	Micropay BenchMicropayCmd `cmd:"" help:"Benchmark payment-code payments at tills through a running server's signed merchant API."`
	Web      BenchWebCmd      `cmd:"" help:"Benchmark the web app's pages (wallet, merchant portal, operator console) under concurrent sessions, and weigh the home page."`

	GCPercent int `name:"gc-percent" default:"400" help:"Go's garbage-collection target for the load generator (as slt serve's); the environment's GOGC, if set, wins."`
}

// AfterApply sets the generator's GC target before any benchmark runs.
func (b *BenchCmd) AfterApply() error {
	setGCPercent(b.GCPercent)
	return nil
}

// BenchWebCmd measures the web app's pages against a running server.
type BenchWebCmd struct {
	Duration         time.Duration `default:"20s" help:"How long to measure."`
	Sessions         int           `default:"32" help:"Concurrent sessions (users, each owning a merchant)."`
	Think            time.Duration `default:"0s" help:"Each session's pause after a page (±50 %), as a person reads it; 0 asks again at once (a closed loop that saturates the server)."`
	JSON             bool          `help:"Print one JSON object instead of a table."`
	Addr             string        `default:"127.0.0.1:8080" env:"SLT_ADDR" help:"The server's address or URL."`
	Token            string        `env:"SLT_ADMIN_TOKEN" help:"The operator token, to approve the merchants (default: $SLT_ADMIN_TOKEN)."`
	OperatorPhone    string        `env:"SLT_OPERATOR_PHONE" help:"An operator user's mobile number (slt admin create), for the console's pages; without it the console is not measured."`
	OperatorPassword string        `env:"SLT_OPERATOR_PASSWORD" help:"That operator's password."`
}

// Run benchmarks the web app at --addr.
func (b *BenchWebCmd) Run(ctx context.Context, g *Globals) error {
	cfg := bench.WebConfig{Addr: b.Addr, Sessions: b.Sessions, Duration: b.Duration, Think: b.Think, Token: b.Token,
		OperatorPhone: b.OperatorPhone, OperatorPassword: b.OperatorPassword}
	if !b.JSON {
		cfg.Progress = g.stderr
	}
	res, err := bench.Web(ctx, cfg)
	if err != nil {
		return err
	}
	if b.JSON {
		return res.WriteJSON(g.stdout)
	}
	res.WriteTable(g.stdout)
	return nil
}

// BenchMicropayCmd runs tills against a running server.
type BenchMicropayCmd struct {
	Duration  time.Duration `default:"30s" help:"How long to measure."`
	Clients   int           `default:"64" help:"Tills (POS clients)."`
	Users     int           `default:"200" help:"Customers to register, verify and fund."`
	Devices   int           `default:"25" help:"Phones per customer. Each pays at most once per payment-code step, so users × devices must exceed the payments of one step, or the tills wait for phones (the result's 'clients idle')."`
	Merchants int           `default:"1" help:"Merchants the tills belong to."`
	Seed      uint64        `default:"0" help:"Random seed; 0 picks one."`
	JSON      bool          `help:"Print one JSON object instead of a table."`
	Addr      string        `default:"127.0.0.1:8080" env:"SLT_ADDR" help:"The server's address or URL (run it with a short --paycode-step)."`
	Token     string        `env:"SLT_ADMIN_TOKEN" help:"The operator token, to approve the merchants (default: $SLT_ADMIN_TOKEN)."`
}

// Run benchmarks micropay at --addr.
func (b *BenchMicropayCmd) Run(ctx context.Context, g *Globals) error {
	cfg := bench.Config{Clients: b.Clients, Batch: 1, Duration: b.Duration, Seed: b.Seed, Accounts: 2}
	if !b.JSON {
		cfg.Progress = g.stderr
	}
	res, err := bench.Micropay(ctx, bench.MicropayConfig{Config: cfg, Addr: b.Addr, Token: b.Token, Users: b.Users,
		Devices: b.Devices, Merchants: b.Merchants})
	if err != nil {
		return err
	}
	return printResult(g, &res, b.JSON)
}

// BenchP2PCmd runs the wallet load generator against a running server.
type BenchP2PCmd struct {
	Duration time.Duration `default:"30s" help:"How long to measure."`
	Clients  int           `default:"64" help:"Concurrent clients."`
	Users    int           `default:"200" help:"Users to register, verify and fund first (the sandbox bank and identity provider must be on)."`
	PIN      bool          `name:"pin" help:"Confirm every transfer with the payment PIN (argon2id) instead of password-free."`
	Rate     int           `default:"0" help:"Target transfers per second (open loop); 0 = as fast as possible."`
	Seed     uint64        `default:"0" help:"Random seed; 0 picks one."`
	JSON     bool          `help:"Print one JSON object instead of a table."`
	Addr     string        `default:"127.0.0.1:8080" env:"SLT_ADDR" help:"The server's address or URL."`
}

// Run benchmarks P2P transfers at --addr.
func (b *BenchP2PCmd) Run(ctx context.Context, g *Globals) error {
	cfg := bench.Config{Clients: b.Clients, Batch: 1, Duration: b.Duration, Rate: b.Rate, Seed: b.Seed, Accounts: b.Users}
	if !b.JSON {
		cfg.Progress = g.stderr
	}
	res, err := bench.P2P(ctx, bench.P2PConfig{Config: cfg, Addr: b.Addr, Users: b.Users, PIN: b.PIN})
	if err != nil {
		return err
	}
	return printResult(g, &res, b.JSON)
}

// benchFlags are the knobs both benchmarks share.
type benchFlags struct {
	Accounts   int           `default:"10000" help:"Accounts to create and pick from."`
	Duration   time.Duration `default:"30s" help:"How long to measure."`
	Hot        float64       `default:"0" help:"Fraction of transfers that credit one single account (0 to 1)."`
	Rate       int           `default:"0" help:"Target transfers per second (open loop); 0 = as fast as possible."`
	Seed       uint64        `default:"0" help:"Random seed; 0 picks one."`
	JSON       bool          `help:"Print one JSON object instead of a table."`
	CPUProfile string        `name:"cpuprofile" help:"Write a CPU profile of this process to the file." type:"path"`
}

// profile starts a CPU profile if asked; call the returned func when done.
func (f *benchFlags) profile() (func(), error) {
	if f.CPUProfile == "" {
		return func() {}, nil
	}
	out, err := os.Create(f.CPUProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
	}, nil
}

func (f *benchFlags) config(clients, batch int, g *Globals) bench.Config {
	c := bench.Config{
		Accounts: f.Accounts, Clients: clients, Batch: batch, Duration: f.Duration,
		Hot: f.Hot, Rate: f.Rate, Seed: f.Seed, Progress: g.stderr,
	}
	return c
}

// BenchLedgerCmd runs the in-process engine benchmark.
type BenchLedgerCmd struct {
	benchFlags
	Clients int  `default:"40" help:"Concurrent clients."`
	Batch   int  `default:"64" help:"Transfers per request."`
	Log     bool `help:"Run the transparency log's appender beside the engine (every 200 ms, as the server does) and report whether it kept up."`
}

// Run benchmarks the engine on --db.
func (b *BenchLedgerCmd) Run(ctx context.Context, g *Globals) error {
	st, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var lg *logBench
	if b.Log {
		if lg, err = startLogBench(ctx, g, st); err != nil {
			return err
		}
	}
	stats := bench.NewEngineStats()
	eng := ledger.New(st, ledger.Options{Logger: g.log, OnBatch: stats.Observe})
	stop, err := b.profile()
	if err != nil {
		return err
	}
	res, err := bench.Ledger(ctx, eng, b.config(b.Clients, b.Batch, g), stats)
	stop()
	if cerr := eng.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	res.Store, _ = store.Kind(g.DB)
	if err := printResult(g, &res, b.JSON); err != nil {
		return err
	}
	if lg != nil {
		return lg.finish(ctx, g)
	}
	return nil
}

// BenchHTTPCmd runs the load generator against a running server.
type BenchHTTPCmd struct {
	benchFlags
	Clients int    `default:"128" help:"Concurrent clients, each with its own connection."`
	Batch   int    `default:"1" help:"Transfers per request."`
	Addr    string `default:"127.0.0.1:8080" env:"SLT_ADDR" help:"The server's address or URL."`
	Token   string `env:"SLT_ADMIN_TOKEN" help:"The operator token (default: $SLT_ADMIN_TOKEN)."`
}

// Run benchmarks the server at --addr.
func (b *BenchHTTPCmd) Run(ctx context.Context, g *Globals) error {
	stop, err := b.profile()
	if err != nil {
		return err
	}
	res, err := bench.HTTP(ctx, bench.HTTPConfig{Config: b.config(b.Clients, b.Batch, g), Addr: b.Addr, Token: b.Token})
	stop()
	if err != nil {
		return err
	}
	return printResult(g, &res, b.JSON)
}

// printResult prints a benchmark's result as a table, or as JSON.
func printResult(g *Globals, res *bench.Result, asJSON bool) error {
	if asJSON {
		return res.WriteJSON(g.stdout)
	}
	res.WriteTable(g.stdout)
	return nil
}
