package cli

import (
	"context"
	"os"
	"time"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// Version is the server's version, set at build time with
// -ldflags "-X github.com/shiliantong/shiliantong/internal/cli.Version=…".
var Version = "dev"

// ServeCmd runs the server.
type ServeCmd struct {
	Addr            string        `env:"SLT_ADDR" default:"127.0.0.1:8080" help:"Address to listen on (port 0 picks a free one)."`
	ShutdownTimeout time.Duration `default:"30s" help:"How long a shutdown waits for requests in flight."`
	DebugAddr       string        `env:"SLT_DEBUG_ADDR" help:"If set, serve Go's profiler (/debug/pprof) on this address, e.g. 127.0.0.1:6060. Keep it private."`
	CacheAccounts   int           `env:"SLT_CACHE_ACCOUNTS" default:"100000" help:"Accounts the ledger keeps in memory (about 450 bytes each); the rest are read from the database when used."`
	Demo            bool          `env:"SLT_DEMO" help:"Create demo users with verified identities and balances (once) and print how to log in."`
	PINLock         time.Duration `env:"SLT_PIN_LOCK" default:"3h" help:"How long a payment PIN stays locked after 5 wrong tries."`
	PublicURL       string        `env:"SLT_PUBLIC_URL" default:"http://localhost:8080" help:"Where users reach this server; personal receive codes point there."`
}

// Run serves until SIGTERM or SIGINT.
func (s *ServeCmd) Run(ctx context.Context, g *Globals) error {
	return server.Run(ctx, server.Config{
		DB:              g.DB,
		Addr:            s.Addr,
		AdminToken:      os.Getenv("SLT_ADMIN_TOKEN"),
		Version:         Version,
		Logger:          g.log,
		ShutdownTimeout: s.ShutdownTimeout,
		DebugAddr:       s.DebugAddr,
		CacheAccounts:   s.CacheAccounts,
		Demo:            s.Demo,
		PublicURL:       s.PublicURL,
		Wallet:          walletConfig(s.PINLock),
	})
}

func walletConfig(pinLock time.Duration) *wallet.Config {
	c := wallet.DefaultConfig()
	c.PINLockFor = pinLock
	return &c
}
