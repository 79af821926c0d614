package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/money"
)

// CheckCmd verifies the whole ledger.
type CheckCmd struct {
	JSON bool `help:"Print the report as JSON."`
}

// Run checks the ledger and exits non-zero on any violation.
func (c *CheckCmd) Run(ctx context.Context, g *Globals) error {
	st, err := g.openReader(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := ledger.Check(ctx, st)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printCheck(g, &rep)
	}
	if !rep.OK() {
		return exitCode(1)
	}
	return nil
}

func printCheck(g *Globals, rep *ledger.CheckReport) {
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "accounts\t%d\n", rep.Accounts)
	fmt.Fprintf(w, "transfers\t%d\n", rep.Transfers)
	fmt.Fprintf(w, "pending transfers\t%d\n", rep.Pending)
	for _, t := range rep.Currencies {
		cur, _ := money.Lookup(t.Currency)
		fmt.Fprintf(w, "%s (%d accounts)\tdebits %s posted, %s pending; credits %s posted, %s pending\n", t.Currency, t.Accounts,
			money.FormatAmount(t.DebitsPosted, cur), money.FormatAmount(t.DebitsPending, cur),
			money.FormatAmount(t.CreditsPosted, cur), money.FormatAmount(t.CreditsPending, cur))
	}
	w.Flush()
	if rep.OK() {
		fmt.Fprintln(g.stdout, "OK: every invariant holds")
		return
	}
	fmt.Fprintf(g.stdout, "FAILED: %d violations\n", rep.ViolationCount)
	for _, v := range rep.Violations {
		fmt.Fprintln(g.stdout, "  -", v)
	}
	if rep.ViolationCount > len(rep.Violations) {
		fmt.Fprintf(g.stdout, "  … and %d more\n", rep.ViolationCount-len(rep.Violations))
	}
}
