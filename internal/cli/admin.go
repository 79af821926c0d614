package cli

import (
	"context"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/wallet"
)

// AdminCmd groups administration commands.
type AdminCmd struct {
	Create AdminCreateCmd `cmd:"" help:"Create an operator user (with SQLite, while no server runs)."`
}

// AdminCreateCmd creates an operator.
type AdminCreateCmd struct {
	Phone    string `required:"" help:"The operator's mobile number, e.g. +8613800138000."`
	Name     string `required:"" help:"The operator's name."`
	Password string `required:"" env:"SLT_ADMIN_PASSWORD" help:"The operator's password (prefer the environment variable to the flag)."`
}

// Run creates the operator.
func (a *AdminCreateCmd) Run(ctx context.Context, g *Globals) error {
	u, err := server.CreateAdmin(ctx, server.Config{DB: g.DB, Logger: g.log},
		wallet.Registration{Phone: a.Phone, Name: a.Name, Password: a.Password})
	if err != nil {
		if e, ok := wallet.AsError(err); ok {
			return fmt.Errorf("%s", e.Message)
		}
		return err
	}
	fmt.Fprintf(g.stdout, "operator %s (%s) created; log in with POST /v1/sessions\n", u.Name, u.Phone)
	return nil
}
