package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shiliantong/shiliantong/internal/receivecode"
	"github.com/shiliantong/shiliantong/pkg/paycode"
)

// PaycodeCmd prints the payment code (付款码) a device shows, as the wallet
// app derives it offline: one 18-digit code per line and nothing else, so
// scripts and tests can read it.
type PaycodeCmd struct {
	Device uint64 `required:"" help:"Device number assigned at enrolment."`
	Secret string `required:"" env:"SLT_PAYCODE_SECRET" help:"Device secret issued at enrolment, base32 (prefer the environment variable to the flag)."`
	At     string `help:"RFC 3339 time; default now."`
	Watch  bool   `help:"Print a new code every step until interrupted."`
	QR     string `name:"qr" type:"path" help:"Also write the code as a QR code PNG to this file."`
	Bar    string `name:"barcode" type:"path" help:"Also write the code as a Code-128 barcode PNG to this file."`
}

// Run prints the code at --at (or now), or with --watch one code per time
// step until the context ends.
func (c *PaycodeCmd) Run(ctx context.Context, g *Globals) error {
	secret, err := paycode.DecodeSecret(c.Secret)
	if err != nil {
		return err
	}
	dev := paycode.Device{Number: c.Device, Secret: secret}
	cfg := paycode.DefaultConfig()
	if c.Watch {
		if c.At != "" {
			return errors.New("--at and --watch cannot be combined")
		}
		return watchPaycode(ctx, g.stdout, dev, cfg)
	}
	at, err := c.time()
	if err != nil {
		return err
	}
	if err := printPaycode(g.stdout, dev, at, cfg); err != nil {
		return err
	}
	return c.images(dev, at, cfg)
}

// images writes the code as the pictures a till scans, when asked.
func (c *PaycodeCmd) images(dev paycode.Device, at time.Time, cfg paycode.Config) error {
	if c.QR == "" && c.Bar == "" {
		return nil
	}
	code, err := paycode.Generate(dev, at, cfg)
	if err != nil {
		return err
	}
	for _, out := range []struct {
		path   string
		render func() ([]byte, error)
	}{
		{c.QR, func() ([]byte, error) { return receivecode.PNG(code, 256) }},
		{c.Bar, func() ([]byte, error) { return paycode.Barcode(code, 600, 120) }},
	} {
		if out.path == "" {
			continue
		}
		img, err := out.render()
		if err != nil {
			return err
		}
		if err := os.WriteFile(out.path, img, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// time returns --at, or now when it is empty.
func (c *PaycodeCmd) time() (time.Time, error) {
	if c.At == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, c.At)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at: %w", err)
	}
	return t, nil
}

// printPaycode writes the code of dev at t on one line.
func printPaycode(w io.Writer, dev paycode.Device, t time.Time, cfg paycode.Config) error {
	code, err := paycode.Generate(dev, t, cfg)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, code)
	return err
}

// watchPaycode prints the current code, then a new one at the start of each
// time step, until ctx is done (an interrupt is a normal end).
func watchPaycode(ctx context.Context, w io.Writer, dev paycode.Device, cfg paycode.Config) error {
	last := int64(-1)
	for {
		now := time.Now()
		step, err := paycode.Counter(now, cfg.Step)
		if err != nil {
			return err
		}
		if step != last { // the wall clock may lag the timer: print each step once
			if err := printPaycode(w, dev, now, cfg); err != nil {
				return err
			}
			last = step
		}
		if !sleepUntil(ctx, paycode.StepStart(step+1, cfg.Step)) {
			return nil
		}
	}
}

// sleepUntil waits until t by the wall clock, or until ctx is done, and
// reports whether it waited the whole way.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
