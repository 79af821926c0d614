// Package cli is the slt command line: one binary with subcommands.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/shiliantong/shiliantong/internal/store"
)

// Globals are the flags every subcommand takes.
type Globals struct {
	DB       string `name:"db" env:"SLT_DB" default:"${default_db}" help:"Database: sqlite:PATH or a postgres:// URL."`
	LogLevel string `name:"log-level" env:"SLT_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level (${enum})."`

	stdout, stderr io.Writer
	log            *slog.Logger
}

// CLI is the command tree.
type CLI struct {
	Globals

	Serve     ServeCmd     `cmd:"" help:"Run the server."`
	Migrate   MigrateCmd   `cmd:"" help:"Apply database migrations and exit."`
	Check     CheckCmd     `cmd:"" help:"Recompute every balance from the transfers and verify the ledger's invariants."`
	Bench     BenchCmd     `cmd:"" help:"Measure the ledger."`
	Admin     AdminCmd     `cmd:"" help:"Administration: create the first operator."`
	QR        QRCmd        `cmd:"" name:"qr" help:"Decode and encode EMVCo merchant-presented QR payloads."`
	Paycode   PaycodeCmd   `cmd:"" help:"Print a device's payment code (what the wallet app shows at a till)."`
	Keys      KeysCmd      `cmd:"" help:"The keys that seal card numbers and other secrets at rest."`
	Verify    VerifyCmd    `cmd:"" help:"Verify the transparency log's checkpoint, inclusion and consistency proofs offline, with only its public key."`
	Audit     AuditCmd     `cmd:"" help:"Replay the whole transparency log against the ledger's transfers (read-only)."`
	Screening ScreeningCmd `cmd:"" help:"Sanctions screening: load the lists, screen names."`
	Risk      RiskCmd      `cmd:"" help:"The fraud model offline: train, replay transactions, evaluate scores."`
	Sim       SimCmd       `cmd:"" help:"Simulate wallet traffic with labelled fraud (transactions and labels CSV)."`
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	var c CLI
	exited := -1 // set when kong has finished the run (--help): do nothing more
	parser, err := kong.New(&c,
		kong.Name("slt"),
		kong.Description("ShiLianTong (世链通): a digital wallet and payments platform."),
		kong.UsageOnError(),
		kong.Vars{"default_db": store.DefaultDSN},
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) {
			if exited < 0 {
				exited = code
			}
		}),
	)
	if err != nil {
		fmt.Fprintln(stderr, "slt:", err)
		return 2
	}
	kctx, err := parser.Parse(args)
	if exited >= 0 {
		return exited
	}
	if err != nil {
		if kctx == nil || len(args) > 0 {
			fmt.Fprintln(stderr, "slt:", err)
		}
		return 2
	}
	c.stdout, c.stderr = stdout, stderr
	c.log = newLogger(stderr, c.LogLevel)
	slog.SetDefault(c.log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(&c.Globals); err != nil {
		var ec exitCode
		if asExit(err, &ec) {
			return int(ec)
		}
		fmt.Fprintln(stderr, "slt:", err)
		return 1
	}
	return 0
}

// exitCode is an error that only sets the exit status (its message has
// been printed already).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func asExit(err error, ec *exitCode) bool {
	return errors.As(err, ec)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// open opens the store named by --db.
func (g *Globals) open(ctx context.Context) (store.Store, error) {
	return store.Open(ctx, g.DB, g.log)
}

// openReader opens the store named by --db for reading only.
func (g *Globals) openReader(ctx context.Context) (store.ReadStore, error) {
	return store.OpenReadOnly(ctx, g.DB, g.log)
}

// MigrateCmd applies migrations (opening the store does) and exits.
type MigrateCmd struct{}

// Run applies the migrations.
func (m *MigrateCmd) Run(ctx context.Context, g *Globals) error {
	st, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(g.stdout, "migrations applied")
	return nil
}
