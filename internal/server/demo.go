package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/shiliantong/shiliantong/internal/wallet"
)

// demoUsers are the people --demo creates: a newcomer logs in as one of
// them and sees a living wallet.
var demoUsers = []struct {
	phone, name string
	cny         int64
}{
	{"+8613800138000", "王小明", 5_000_00},
	{"+8613900139000", "李华", 3_000_00},
	{"+6591234567", "Tan Mei Ling", 1_000_00},
}

const (
	demoPassword = "demo-Pass-2026"
	demoPIN      = "258036"
)

// seedDemo creates the demo users with PINs and balances; on a database
// that has them, it changes nothing.
func seedDemo(ctx context.Context, w *wallet.Service, log *slog.Logger) error {
	for _, d := range demoUsers {
		u, err := w.Register(ctx, wallet.Registration{Phone: d.phone, Password: demoPassword, Name: d.name})
		if e, ok := wallet.AsError(err); ok && e.Code == wallet.CodePhoneTaken {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := w.SetPIN(ctx, u, demoPassword, demoPIN); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := w.DemoSetup(ctx, u.ID, "CNY", d.cny); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	log.Info("demo data: log in with any of these", "phones", phonesOf(), "password", demoPassword, "payment_pin", demoPIN)
	return nil
}

func phonesOf() []string {
	out := make([]string, len(demoUsers))
	for i, d := range demoUsers {
		out[i] = d.phone
	}
	return out
}
