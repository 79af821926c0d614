package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/shiliantong/shiliantong/internal/risk"
	"github.com/shiliantong/shiliantong/internal/risk/model"
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
	LogOrigin       string        `env:"SLT_LOG_ORIGIN" default:"shiliantong.example/log" help:"The transparency log's origin: the first line of its checkpoints and its key's name."`
	RiskVelocity    []int         `env:"SLT_RISK_VELOCITY" default:"30,120" help:"Risk rules: a user's money-outs per minute above which the PIN is asked, and above which they are refused (0 turns a rule off)."`
	Limits          string        `env:"SLT_LIMITS" type:"existingfile" help:"A JSON file of the KYC tier limits per currency (see docs/wallet.md); default: the built-in ones."`
	PaycodeStep     time.Duration `env:"SLT_PAYCODE_STEP" default:"60s" help:"Time step of payment codes; shorter only for benchmarks, where a simulated phone may pay once per step."`
	RiskNewDevice   time.Duration `env:"SLT_RISK_NEW_DEVICE" default:"10m" help:"Risk rules: for this long after a login, password-free payments from that device ask for the PIN (0 turns the rule off)."`
	RiskModel       string        `env:"SLT_RISK_MODEL" type:"existingfile" help:"A fraud model file (slt risk train): it decides every money-out within 2 ms, the rules when it fails or is late (docs/risk.md). Without it the rules decide."`
	RiskShadow      string        `env:"SLT_RISK_SHADOW" type:"existingfile" help:"A candidate model to run in shadow beside --risk-model: its decisions are counted (metrics slt_risk_shadow_*), never used."`
	GCPercent       int           `name:"gc-percent" env:"SLT_GC_PERCENT" default:"400" help:"Go's garbage-collection target (GOGC): the heap may grow this many percent over the live data before a collection. Higher spends memory to save CPU; the environment's GOGC, if set, wins."`
}

// setGCPercent applies the GC target unless GOGC is set.
func setGCPercent(pct int) {
	if _, set := os.LookupEnv("GOGC"); !set && pct != 0 {
		debug.SetGCPercent(pct)
	}
}

// Run serves until SIGTERM or SIGINT.
func (s *ServeCmd) Run(ctx context.Context, g *Globals) error {
	if len(s.RiskVelocity) != 2 {
		return fmt.Errorf("--risk-velocity takes two numbers: challenge,deny (e.g. 30,120)")
	}
	setGCPercent(s.GCPercent)
	rules, shadow, err := s.assessor()
	if err != nil {
		return err
	}
	wcfg := walletConfig(s.PINLock, s.PaycodeStep)
	if s.Limits != "" {
		data, err := os.ReadFile(s.Limits)
		if err != nil {
			return err
		}
		if wcfg.Limits, err = wallet.ParseLimits(data); err != nil {
			return fmt.Errorf("%s: %w", s.Limits, err)
		}
	}
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
		LogOrigin:       s.LogOrigin,
		Risk:            rules,
		RiskShadow:      shadow,
		Wallet:          wcfg,
	})
}

func rulesConfig(challenge, deny int, newDevice time.Duration) risk.RulesConfig {
	c := risk.DefaultRulesConfig()
	c.ChallengeCount, c.DenyCount = challenge, deny
	c.NewDeviceFor = newDevice
	return c
}

// assessor is the risk decision point the flags ask for: the rules, or
// the model with the rules as its fallback (and a shadow candidate).
func (s *ServeCmd) assessor() (risk.Assessor, *model.ShadowStats, error) {
	rc := rulesConfig(s.RiskVelocity[0], s.RiskVelocity[1], s.RiskNewDevice)
	if s.RiskModel == "" {
		if s.RiskShadow != "" {
			return nil, nil, fmt.Errorf("--risk-shadow runs beside a live model: give --risk-model too")
		}
		return risk.NewRules(rc), nil, nil
	}
	live, err := model.Load(s.RiskModel)
	if err != nil {
		return nil, nil, fmt.Errorf("--risk-model: %w", err)
	}
	var d model.Decider = live
	var stats *model.ShadowStats
	if s.RiskShadow != "" {
		cand, err := model.Load(s.RiskShadow)
		if err != nil {
			return nil, nil, fmt.Errorf("--risk-shadow: %w", err)
		}
		stats = &model.ShadowStats{}
		d = &model.Shadow{Live: live, Candidate: cand, Record: stats.Record}
	}
	mc := risk.DefaultModelConfig()
	mc.Rules = rc
	return risk.NewModelAssessor(d, mc), stats, nil
}

func walletConfig(pinLock, paycodeStep time.Duration) *wallet.Config {
	c := wallet.DefaultConfig()
	c.PINLockFor = pinLock
	c.PaycodeStep = paycodeStep
	return &c
}
