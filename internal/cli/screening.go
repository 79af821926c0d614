package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/shiliantong/shiliantong/internal/screening"
	"github.com/shiliantong/shiliantong/internal/server"
)

// ScreeningCmd groups the sanctions screening commands.
type ScreeningCmd struct {
	Load  ScreeningLoadCmd  `cmd:"" help:"Load sanctions lists from their published files into the database (a running server uses them within a minute; with SQLite, stop the server first)."`
	Check ScreeningCheckCmd `cmd:"" help:"Screen names against the lists loaded in the database, or against list files; prints the hits as JSON lines."`
}

// ScreeningFiles names list files in their published formats.
type ScreeningFiles struct {
	OFACSDN string `name:"ofac-sdn" type:"existingfile" help:"OFAC's SDN.CSV."`
	OFACAlt string `name:"ofac-alt" type:"existingfile" help:"OFAC's ALT.CSV (aliases), with --ofac-sdn."`
	UN      string `name:"un" type:"existingfile" help:"The UN Security Council's consolidated list (consolidated.xml)."`
}

func (f ScreeningFiles) any() bool { return f.OFACSDN != "" || f.UN != "" }

// read parses the files.
func (f ScreeningFiles) read() ([]server.ScreeningList, error) {
	var lists []server.ScreeningList
	if f.OFACAlt != "" && f.OFACSDN == "" {
		return nil, errors.New("--ofac-alt goes with --ofac-sdn")
	}
	if f.OFACSDN != "" {
		sdn, err := os.ReadFile(f.OFACSDN)
		if err != nil {
			return nil, err
		}
		var alt []byte
		if f.OFACAlt != "" {
			if alt, err = os.ReadFile(f.OFACAlt); err != nil {
				return nil, err
			}
		}
		es, err := screening.ParseSDN(bytes.NewReader(sdn), bytes.NewReader(alt))
		if err != nil {
			return nil, err
		}
		lists = append(lists, server.ScreeningList{Source: screening.SourceOFAC, Entries: es, Raw: append(sdn, alt...)})
	}
	if f.UN != "" {
		raw, err := os.ReadFile(f.UN)
		if err != nil {
			return nil, err
		}
		es, err := screening.ParseUN(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		lists = append(lists, server.ScreeningList{Source: screening.SourceUN, Entries: es, Raw: raw})
	}
	return lists, nil
}

// ScreeningLoadCmd loads lists.
type ScreeningLoadCmd struct {
	ScreeningFiles
}

// Run loads them.
func (c *ScreeningLoadCmd) Run(ctx context.Context, g *Globals) error {
	if !c.any() {
		return errors.New("name a list: --ofac-sdn (and --ofac-alt) and/or --un")
	}
	lists, err := c.read()
	if err != nil {
		return err
	}
	if err := server.LoadScreeningLists(ctx, g.DB, g.log, lists); err != nil {
		return err
	}
	for _, l := range lists {
		names := 0
		for _, e := range l.Entries {
			names += len(e.Names)
		}
		fmt.Fprintf(g.stdout, "%s: %d entries, %d names loaded\n", l.Source, len(l.Entries), names)
	}
	return nil
}

// ScreeningCheckCmd screens names.
type ScreeningCheckCmd struct {
	ScreeningFiles
	Threshold float64  `default:"0.88" help:"The score (0..1) from which a name is a hit."`
	Names     []string `arg:"" help:"The names to screen."`
}

// Run screens them: one JSON line per hit; the exit status is 1 when a
// name hit.
func (c *ScreeningCheckCmd) Run(ctx context.Context, g *Globals) error {
	var entries []screening.Entry
	if c.any() {
		lists, err := c.read()
		if err != nil {
			return err
		}
		for _, l := range lists {
			entries = append(entries, l.Entries...)
		}
	} else {
		var err error
		if entries, err = server.ScreeningEntries(ctx, g.DB, g.log); err != nil {
			return err
		}
	}
	if len(entries) == 0 {
		return errors.New("no list to screen against: load one (slt screening load) or name the files")
	}
	x := screening.Build(entries)
	enc := json.NewEncoder(g.stdout)
	hit := false
	for _, n := range c.Names {
		for _, h := range x.Screen(n, c.Threshold) {
			hit = true
			if err := enc.Encode(map[string]any{"name": n, "source": h.Entry.Source, "ref": h.Entry.Ref, "listed_name": h.Name,
				"programs": h.Entry.Programs, "score": h.Score, "reason": h.Reason}); err != nil {
				return err
			}
		}
	}
	if hit {
		return errHits
	}
	return nil
}

var errHits = errors.New("some names matched a list entry")
