package cli

import (
	"context"
	"errors"
)

// ServeCmd runs the server.
type ServeCmd struct {
	Addr string `env:"SLT_ADDR" default:"127.0.0.1:8080" help:"Address to listen on."`
}

// Run serves until SIGTERM or SIGINT.
func (s *ServeCmd) Run(ctx context.Context, g *Globals) error {
	return errors.New("serve: not wired yet")
}
