package cli

import (
	"context"
	"fmt"

	"github.com/shiliantong/shiliantong/internal/bank"
	"github.com/shiliantong/shiliantong/internal/server"
	"github.com/shiliantong/shiliantong/internal/store"
)

// KeysCmd groups the vault's key commands.
type KeysCmd struct {
	Rotate KeysRotateCmd `cmd:"" help:"Add a new current key to the data directory's key file; a running server loads it and seals everything again under it, without a restart."`
	New    KeysNewCmd    `cmd:"" help:"Print a new key entry (id:base64), to append to SLT_CARD_KEYS."`
}

// KeysRotateCmd rotates the vault's key.
type KeysRotateCmd struct{}

// Run adds the key.
func (c *KeysRotateCmd) Run(ctx context.Context, g *Globals) error {
	id, err := server.RotateKeys(store.DataDir(g.DB))
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "key %s is the current key; a running server seals everything again under it within seconds (the older keys stay in the file to open what they sealed)\n", id)
	return nil
}

// KeysNewCmd prints a key entry.
type KeysNewCmd struct{}

// Run prints it.
func (c *KeysNewCmd) Run(ctx context.Context, g *Globals) error {
	fmt.Fprintln(g.stdout, bank.GenerateKeySpec())
	return nil
}
